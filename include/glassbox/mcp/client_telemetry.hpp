// Server execution telemetry (SEP-2448), client side: rules C1..C8 of the passback spec, as one
// outgoing middleware on a glassbox Client.
//
//   auto exporter = std::make_shared<MyOtlpExporter>(...);          // any trace::SpanExporter
//   glassbox::mcp::Client client({.name = "agent"});
//   auto telemetry = glassbox::mcp::enable_client_telemetry(client, {
//       .exporter = exporter,
//       .on_trace = [](const glassbox::mcp::StitchedTrace& t) { /* draw a waterfall */ }});
//   client.connect(...);
//   client.call_tool("search", {...});   // CLIENT span, passback asked, spans stitched, forwarded
//   telemetry->force_flush();
//
// For each tools/call and resources/read (every request with trace_all_requests) it makes a
// CLIENT span (C1) and sends its traceparent in params._meta; asks for passback (C2); reads the
// returned `_meta.otel.traces` (or `error.data._meta.otel.traces` on a JSON-RPC error) as
// untrusted input: bounded before it is decoded (C3, C8), kept only when it descends from the
// CLIENT span (C4), under the server's own resource (C5); records the join on the CLIENT span
// (C6) and forwards the accepted spans with the client's own to `exporter` (C7). Nothing the
// server sends can fail the call: the result (or the error) reaches the caller unchanged.
// (The payload arrives already parsed with the rest of the response, so its bounds apply before
// the OTLP decoding, not before the JSON parse; a response nested past the JSON-RPC parser's
// depth limit, or larger than ClientOptions::max_message_bytes, is refused whole by the
// transport, as any other message would be.)
//
// The CLIENT span: when the calling thread has a trace context bound (trace::ContextScope, as in
// a server handler), it is a child of that context's span and records into that context's
// recorder, so it goes wherever the caller's spans go. Otherwise it is a child of a traceparent
// the caller put in CallOptions::meta, or the root of a new trace, and it ends into `provider`'s
// processors and `exporter`. The Client's default trace propagation runs inside this middleware
// and adds no second span.
//
// Threads: install before connect(); the middleware runs on each calling thread, concurrently;
// on_trace runs on the calling thread before the call returns (for an asynchronous call, on the
// thread of its completion, before it). Forwarding runs on one background
// thread owned by ClientTelemetry, which therefore calls `exporter` from one thread at a time.
// ClientTelemetry is thread-safe; keep it alive as long as the Client (the middleware holds a
// shared_ptr to its state, so destroying it early only stops forwarding).
#pragma once

#include "glassbox/mcp/client.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/trace/tracer.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::mcp {

// When to ask the server for its spans (C2).
enum class PassbackMode {
  automatic,  // when the server advertised serverExecutionTelemetry or the extension identifier
  always,
  never,
};

// What happened to the telemetry of one response. Counts describe spans, not bytes.
struct PassbackReport {
  bool requested = false;  // the request carried otel.traces.request: true
  bool present = false;    // the response carried _meta.otel.traces
  bool discarded = false;  // the whole payload was refused (C3, C8); reason says why
  std::string reason;      // why spans were refused or dropped; empty when all were kept
  std::size_t received_span_count = 0;  // spans in the payload (up to the count bound)
  std::size_t payload_bytes = 0;        // approximate encoded size (up to the byte bound)
  std::size_t accepted_span_count = 0;
  std::size_t foreign_trace_span_count = 0;  // C4: a trace id other than the one sent
  std::size_t unlinked_span_count = 0;       // C4: not descended from the CLIENT span
  std::size_t duplicate_span_count = 0;      // a span id seen twice (or the client's own)
  // What the server says it withheld (droppedSpanCount, S15 policy); untrusted, shown only.
  std::uint64_t server_dropped_span_count = 0;
  json::object server_policy;

  std::size_t dropped_span_count() const noexcept {
    return foreign_trace_span_count + unlinked_span_count + duplicate_span_count;
  }
};

// One traced call, stitched: the CLIENT span and the server's spans beneath it.
struct StitchedTrace {
  std::string method;  // "tools/call"
  std::string target;  // the tool name or resource URI; empty for other methods
  std::optional<jsonrpc::Id> request_id;
  trace::SpanData client_span;
  trace::Resource client_resource;  // the resource the CLIENT span was recorded under
  trace::InstrumentationScope client_scope;
  // The accepted server spans, each group under the resource and scope the server sent (C5).
  std::vector<trace::ResourceSpans> server_spans;
  std::optional<trace::SpanId> server_root_span_id;  // C6
  bool failed = false;  // a JSON-RPC error, or a result with isError: true
  PassbackReport report;

  std::size_t server_span_count() const noexcept;
};

struct ClientTelemetryOptions {
  PassbackMode passback = PassbackMode::automatic;
  bool detailed = false;  // ask for the whole tree (S6); the server's policy may refuse it
  // Ask for streamed passback (S17): spans that have ended come in notifications/progress while
  // the call runs; they are checked, exported at once and shown through on_partial.
  bool stream = false;
  // Called on the client's reader thread after each accepted partial payload, with the trace
  // stitched so far (the CLIENT span still open: its end is the time of the call). Exceptions
  // it throws are swallowed.
  std::function<void(const StitchedTrace&)> on_partial;
  // The client's own telemetry: its resource names the CLIENT spans, its processors receive
  // them. Null: the global provider (trace::tracer_provider()) at construction.
  std::shared_ptr<trace::TracerProvider> provider;
  // Where the accepted server spans (under their own resources) and the client's own CLIENT
  // spans (under provider's resource) are exported (C7); e.g. an OTLP/HTTP exporter. Do not
  // also give it to `provider` as a processor, or the CLIENT spans go out twice. Null: none.
  std::shared_ptr<trace::SpanExporter> exporter;
  // Bounds per response (C3): over either, the whole payload is discarded and reported.
  std::size_t max_spans = 1000;
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_value_depth = 8;  // nested arrayValue/kvlistValue levels (C8)
  // Give every request a CLIENT span, not only tools/call and resources/read (which alone
  // carry passback).
  bool trace_all_requests = false;
  // Called on the calling thread after each traced call, with the stitched result (for a
  // waterfall, a test, a log). Exceptions it throws are swallowed.
  std::function<void(const StitchedTrace&)> on_trace;
  // Forwarding queue bound, in spans; beyond it batches are dropped and counted.
  std::size_t max_queued_spans = 8192;
};

// Counters since construction (monotonic).
struct ClientTelemetryStats {
  std::uint64_t traced_calls = 0;
  std::uint64_t passback_requested = 0;
  std::uint64_t passback_received = 0;   // responses that carried _meta.otel.traces
  std::uint64_t payloads_discarded = 0;  // refused whole (C3, C8)
  std::uint64_t spans_accepted = 0;
  std::uint64_t spans_dropped = 0;         // refused one by one (C4)
  std::uint64_t spans_forwarded = 0;       // accepted by the exporter
  std::uint64_t spans_forward_failed = 0;  // rejected by the exporter, or dropped from the queue
};

class ClientTelemetry {
 public:
  explicit ClientTelemetry(ClientTelemetryOptions options = {});
  ~ClientTelemetry();  // force_flush, then stops the forwarding thread
  ClientTelemetry(const ClientTelemetry&) = delete;
  ClientTelemetry& operator=(const ClientTelemetry&) = delete;

  // The middleware for `client` (which it asks for the advertised capability in automatic mode;
  // null: automatic asks always). Add it with client.use() before connect().
  OutgoingMiddleware middleware(const Client* client = nullptr);
  // Its form for asynchronous calls (Client::request_async): the CLIENT span starts on the
  // calling thread; the checks, on_trace and forwarding run where the outcome arrives, before
  // the call's completion.
  AsyncOutgoingMiddleware async_middleware(const Client* client = nullptr);
  // client.use(middleware(&client), async_middleware(&client)).
  void install(Client& client);

  // Waits until everything queued so far has been exported (and flushes the exporter and the
  // provider). Any thread.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ClientTelemetryStats stats() const;
  const ClientTelemetryOptions& options() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Makes a ClientTelemetry and installs it on `client` (before connect()).
std::shared_ptr<ClientTelemetry> enable_client_telemetry(Client& client,
                                                         ClientTelemetryOptions options = {});

// True when an initialize result's capabilities advertise server execution telemetry, in the
// capability form or the extension form (passback spec, "Wire shapes").
bool advertises_passback(const json::object& capabilities);

// The ingest step on its own: bounds (C3), decoding (C8) and lineage (C4) of one response's
// `otel.traces` value against the CLIENT span that made the request. Fills `report` (never
// null) and returns the accepted spans under their own resources. Never throws.
struct PassbackIngestLimits {
  std::size_t max_spans = 1000;
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_value_depth = 8;
};
std::vector<trace::ResourceSpans> ingest_passback(const json::value& traces,
                                                  const trace::SpanContext& client_span,
                                                  const PassbackIngestLimits& limits,
                                                  PassbackReport* report) noexcept;

}  // namespace glassbox::mcp
