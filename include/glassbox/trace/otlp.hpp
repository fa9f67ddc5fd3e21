// OTLP trace payloads (ExportTraceServiceRequest), in both encodings of OTLP/HTTP:
// - JSON (the protobuf JSON mapping with the OTLP exceptions: ids as lowercase hex, enums as
//   integers, 64-bit integers as decimal strings, camelCase names, zero/empty fields omitted);
// - protobuf (binary wire format, written and read by hand: no protoc).
// Decoders are for untrusted input (a passback payload, an OTLP/HTTP request): they are bounded
// (OtlpDecodeLimits), validate every field they read, ignore unknown fields as OTLP requires,
// and report the first problem as a short reason. They never throw and never crash.
//
// Threads: free functions on values; thread-safe.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/trace/span_data.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace {

// The OTLP message tree, as decoded (and as the multi-resource encoders take it).
struct ScopeSpans {
  InstrumentationScope scope;
  std::vector<SpanData> spans;
  std::string schema_url;
  friend bool operator==(const ScopeSpans&, const ScopeSpans&) = default;
};
struct ResourceSpans {
  Resource resource;
  std::vector<ScopeSpans> scope_spans;
  std::string schema_url;
  friend bool operator==(const ResourceSpans&, const ResourceSpans&) = default;
};
struct TracesData {
  std::vector<ResourceSpans> resource_spans;
  std::size_t span_count() const noexcept;
  friend bool operator==(const TracesData&, const TracesData&) = default;
};

// ---- JSON encoding -------------------------------------------------------------------------
// The trees are built in `sp` (the default resource unless given): pass an arena (e.g. a
// boost::json::monotonic_resource) when the tree is serialized and dropped right away.

// {"resourceSpans":[{"resource":{...},"scopeSpans":[{"scope":{...},"spans":[...]}]}]}
json::object encode_otlp_json(std::span<const SpanData> spans, const Resource& resource,
                              const InstrumentationScope& scope, boost::json::storage_ptr sp = {});
json::object encode_otlp_json(const TracesData& traces, boost::json::storage_ptr sp = {});
// The same, serialized (an OTLP/HTTP JSON body), written directly without building a tree
// (several times faster); equal to serialize(encode_otlp_json(...)) as JSON values.
std::string encode_otlp_json_string(std::span<const SpanData> spans, const Resource& resource,
                                    const InstrumentationScope& scope);
std::string encode_otlp_json_string(const TracesData& traces);
// The pieces, for callers that assemble their own payload (passback curation does).
json::object span_to_otlp_json(const SpanData& span, boost::json::storage_ptr sp = {});
json::value any_value_to_otlp_json(const AttributeValue& value, boost::json::storage_ptr sp = {});
json::array attributes_to_otlp_json(const Attributes& attributes, boost::json::storage_ptr sp = {});
json::object resource_to_otlp_json(const Resource& resource, boost::json::storage_ptr sp = {});
json::object scope_to_otlp_json(const InstrumentationScope& scope,
                                boost::json::storage_ptr sp = {});

// ---- protobuf encoding ---------------------------------------------------------------------

std::string encode_otlp_protobuf(std::span<const SpanData> spans, const Resource& resource,
                                 const InstrumentationScope& scope);
std::string encode_otlp_protobuf(const TracesData& traces);

// ---- decoding (untrusted input) --------------------------------------------------------------

struct OtlpDecodeLimits {
  std::size_t max_bytes = 4 * 1024 * 1024;  // the encoded payload
  std::size_t max_spans = 10'000;           // across all resources and scopes
  std::size_t max_depth = 8;                // AnyValue nesting (arrays and kvlists)
  std::size_t max_list_length = 4096;       // attributes, events, links, array/kvlist elements
};

// Accepts the OTLP JSON object with "resourceSpans" (other top-level members, such as the
// passback "truncated" or "policy", are ignored). Ids must be 32/16 hex digits (either case;
// parentSpanId and link tracestate may be empty); times and intValue decimal strings or JSON
// integers; kind and status.code integers (or their enum names); bytesValue base64.
std::optional<TracesData> decode_otlp_json(const json::value& payload,
                                           const OtlpDecodeLimits& limits = {},
                                           std::string* error = nullptr);
std::optional<TracesData> decode_otlp_json(std::string_view text,
                                           const OtlpDecodeLimits& limits = {},
                                           std::string* error = nullptr);
// Binary ExportTraceServiceRequest.
std::optional<TracesData> decode_otlp_protobuf(std::string_view bytes,
                                               const OtlpDecodeLimits& limits = {},
                                               std::string* error = nullptr);

// RFC 4648 base64 (with padding), as OTLP JSON carries bytesValue.
std::string base64_encode(std::string_view bytes);
// Standard or URL-safe alphabet, padding optional, no whitespace; nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace glassbox::trace
