// Curation of a request's spans into a payload handed to someone outside the server (SEP-2448
// passback): which spans (top level or whole tree), what they may say (redaction of
// credentials), and how much (value lengths, span count, bytes). Knows nothing of MCP: the
// caller decides where the result goes.
//
// Threads: free functions and values; thread-safe. A Redaction with a custom predicate must
// make that predicate thread-safe if the options are shared between threads.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/trace/span_data.hpp"
#include "glassbox/trace/tracer.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace {

// What is redacted (S11). Redacting replaces the value with `replacement` (the key stays, so
// the reader sees that something was there); the count goes into the report.
//
// Keys are matched by words: a key is lowercased and split into words at '.', '_', '-', ' ',
// '/', ':' and camelCase boundaries ("http.request.header.x-api-key" -> http request header x
// api key; "accessToken" -> access token). A pattern ("api key", "password") matches when its
// words appear consecutively in the key's words, so "token" redacts "access_token" and
// "auth.token" but not "gen_ai.usage.input_tokens". A pattern ending in '*' matches as a prefix
// of the last word ("passw*").
struct Redaction {
  // The built-in rules: keys authorization, cookie, set-cookie, token, password, passwd, pwd,
  // secret, api key, apikey, private key, credential(s), client secret, session token, x auth;
  // values shaped like "Bearer <token>", "Basic <base64 user:pass>", JWTs (eyJ...x.y.z), PEM
  // private keys, and well-known API key formats (sk-..., sk_live_..., AKIA..., ghp_...,
  // github_pat_..., xox?-..., AIza..., glpat-...).
  bool default_rules = true;
  std::vector<std::string> deny_keys{};   // extra key patterns (word rules above)
  std::vector<std::regex> deny_values{};  // extra: a string value matching (search) is redacted
  // Allow-list mode: when set, only attributes whose key matches one of these patterns keep
  // their value ("http.route", "db.system", "mcp.*" as a prefix); the rest are redacted. Value
  // rules still apply to the allowed keys.
  std::optional<std::vector<std::string>> allow_keys{};
  // Extra owner rule: return true to redact (key, string value). Called for string values only.
  std::function<bool(std::string_view key, std::string_view value)> predicate{};
  std::string replacement = "[REDACTED]";
};

struct CurationOptions {
  bool detailed = false;       // the caller asked for the whole tree (S6)
  bool allow_detailed = true;  // server policy: may the whole tree leave? (else top level, S15)
  Redaction redaction{};
  std::size_t max_spans = 256;         // root included; the root is never dropped
  std::size_t max_bytes = 256 * 1024;  // the curated OTLP JSON text (only a root alone is over)
  std::size_t max_attribute_value_length = 1024;  // strings and bytes; longer ones are cut
  std::size_t max_attributes = 128;               // per span, event and link (S12)
  std::size_t max_events = 128;                   // per span
  std::size_t max_links = 128;                    // per span
  std::size_t max_value_depth = 4;                // nested arrays/kvlists deeper are cut
  std::size_t max_array_length = 128;             // elements kept per array/kvlist value
};

// What curation did, for the caller to report (S15).
struct CurationReport {
  bool detailed = false;  // the whole tree was returned
  std::size_t kept_span_count = 0;
  std::size_t dropped_span_count = 0;   // left out by the top-level filter or the bounds
  std::size_t filtered_span_count = 0;  // of which: below the top level (not detailed)
  std::size_t redacted_attribute_count = 0;
  std::size_t truncated_attribute_count = 0;  // values cut, or attributes/events dropped
  bool truncated = false;                     // a bound (count, bytes) removed spans or content
  bool root_found = true;                     // false: no span had the given root id
  std::string reason;                         // why something was withheld; empty when nothing was

  // {"detailed":false,"droppedSpanCount":3,"redactedAttributeCount":1,
  //  "truncatedAttributeCount":0,"reason":"..."}  (reason omitted when empty)
  json::object to_json() const;
  // The same object as JSON text, appended to `out`: the bytes json::serialize(to_json()) gives,
  // without the tree (the passback response writes it straight after the spans).
  void append_json(std::string& out) const;
};

// Curates the spans of one request: keeps the root (span id `root`) and its direct children,
// or the whole tree when options.detailed and options.allow_detailed; spans not under the root
// are dropped too. Then applies redaction, value/attribute limits, the span-count bound and the
// byte bound (dropping the deepest, then the latest-starting spans first; never the root), and
// encodes the result as OTLP JSON: {"resourceSpans":[...]} (S7), with `resource` (S8) and
// `scope`. Spans come out root first, then by depth and start time. Resource attributes are the
// server's own configuration and are not redacted. The result is built in `sp` (the default
// resource unless given; pass the storage of the JSON document it will be inserted into, so
// that inserting it moves instead of copying). A caller that writes the result out anyway
// takes the text instead (curate_to_otlp_json_string, below): no tree at all.
json::object curate_to_otlp_json(std::vector<SpanData> spans, const SpanId& root,
                                 const Resource& resource, const InstrumentationScope& scope,
                                 const CurationOptions& options, CurationReport* report = nullptr,
                                 boost::json::storage_ptr sp = {});

// The same curation written straight as OTLP JSON text by the direct writer (no tree): the
// text serialize(curate_to_otlp_json(...)) would give, each span's size measured as it is
// written for the byte bound. curate_to_otlp_json is this text, parsed.
std::string curate_to_otlp_json_string(std::vector<SpanData> spans, const SpanId& root,
                                       const Resource& resource, const InstrumentationScope& scope,
                                       const CurationOptions& options,
                                       CurationReport* report = nullptr);
// The same for a recorder's spans where they ended (Recorder::take_in_place), with the resource
// and scope of `provider` (its recorder's): nothing moved, and their storage goes back to this
// thread for the next request's spans.
std::string curate_to_otlp_json_string(RecordedSpans spans, const SpanId& root,
                                       const TracerProvider& provider,
                                       const CurationOptions& options,
                                       CurationReport* report = nullptr);

// The redaction rules on their own (the same the curation applies). Returns true when the
// attribute `key` with string `value` (may be empty for a non-string) must be redacted.
bool should_redact_key(std::string_view key, const Redaction& redaction);
bool should_redact_value(std::string_view key, std::string_view value, const Redaction& redaction);
// True when `text` contains something shaped like a credential (the built-in value rules).
bool looks_like_credential(std::string_view text);

}  // namespace glassbox::trace
