// Passback's wire format (SEP-2448; docs/passback.md, "Wire shapes") in one place, for the
// library's three users: the passback middleware (src/mcp/passback.cpp), the authorizer that
// answers refused calls itself (src/mcp/auth.cpp), and the client telemetry
// (src/mcp/client_telemetry.cpp, telemetry_checks.cpp). Private to src/mcp.
//
//   request   params._meta: traceparent, tracestate, otel.traces {request, detailed}
//   response  result._meta.otel.traces, or error.data._meta.otel.traces on a JSON-RPC error:
//             {resourceSpans, truncated, droppedSpanCount, policy}
//
// Threads: plain functions on values; any thread.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/trace/context.hpp"
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/tracer.hpp"

#include <cstdint>
#include <optional>

namespace glassbox::mcp::passback_wire {

// ---- the ask, in a request's params._meta ---------------------------------------------------

struct Ask {
  bool requested = false;  // S2: otel.traces.request is the JSON boolean true
  bool detailed = false;   // otel.traces.detailed is true (S6)
  bool stated = false;     // otel.traces.request is there at all: the caller said something (C2)
  bool has_traceparent = false;              // a traceparent key, valid or not
  std::optional<trace::SpanContext> parent;  // S3: an invalid traceparent reads as absent
  std::size_t hops = 0;  // S16: servers the request passed through before this one
  bool stream = false;   // S17: stream: true, and a progressToken to send on
};

Ask read_ask(const json::object& meta);

// C1: the CLIENT span's traceparent (and tracestate when it has one).
void write_trace_context(json::object& meta, const trace::SpanContext& span);
// C2: otel.traces {request: true, detailed}, keeping the rest of otel.
void write_ask(json::object& meta, bool detailed, bool stream = false);

// ---- the payload ----------------------------------------------------------------------------

// Curates what `recorder` holds (taking it) under the span `root` into the payload: the OTLP
// JSON resourceSpans (S7, S8), truncated and droppedSpanCount (counting the spans the recorder
// itself dropped when it was full, S12), and the policy report (S15). `curation.detailed` is
// the caller's ask.
json::object build_payload(trace::Recorder& recorder, const trace::SpanId& root,
                           const trace::CurationOptions& curation);

// The payload's own fields beside resourceSpans: truncated and droppedSpanCount (the curation's
// and the `recorder_dropped` spans a full recorder left out, S12) and the policy report (S15).
void finish_payload(json::object& payload, trace::CurationReport report,
                    std::uint64_t recorder_dropped);

// The same payload as JSON text, for a response that carries it as it is (no tree): `curated`
// is trace::curate_to_otlp_json_string's text; the members are finish_payload's.
std::string finish_payload_text(std::string curated, trace::CurationReport report,
                                std::uint64_t recorder_dropped);

// Puts the payload text in result._meta.otel.traces: the text for the session to write there
// when it writes the response (jsonrpc::RawMember), and a null placeholder in the tree only
// when the result already has a _meta (or is not an object) so that the text keeps its place.
// On an error outcome (S10) it is parsed and attached as attach() does.
void attach_text(Outcome& outcome, RequestContext& ctx, std::string payload);

// Puts the payload in result._meta.otel.traces, or error.data._meta.otel.traces (S10), keeping
// what else _meta and otel hold.
void attach(Outcome& outcome, json::object payload);
// The same on an error's data object being built (a refusal answered outside the dispatch).
void attach_to_error_data(json::object& data, json::object payload);

// ---- reading it on the client ---------------------------------------------------------------

// The otel.traces value of a response, or nullptr: result._meta, or error.data._meta (S10).
const json::value* find_payload(const Outcome& outcome);

// What the payload says about itself, beside its spans; untrusted, for showing only.
struct PayloadClaims {
  const json::string* discarded = nullptr;  // the transport dropped it while reading (C3, C8)
  std::uint64_t dropped_span_count = 0;     // droppedSpanCount, when a positive integer
  const json::object* policy = nullptr;     // the S15 report
};
PayloadClaims read_claims(const json::object& payload);

}  // namespace glassbox::mcp::passback_wire
