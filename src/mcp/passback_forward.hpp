// Multi-hop passback (S16): a server whose caller asked for passback, and whose handler calls
// other MCP servers through a glassbox Client, asks those servers for passback too, checks what
// they return (C3-C5) and adds it to its own payload, each hop under its own resource.
//
// The pieces, by who runs them:
// - the passback middleware (passback.cpp) hangs a PassbackCall on the request's recorder when
//   the caller asked, refuses a request past the hop limit, and at the end builds the payload
//   with curate_with_nested() when nested calls brought spans back;
// - the Client's trace propagation (trace_propagation.cpp), on a thread bound to that request,
//   hands each nested tools/call or resources/read to forward_nested_call(), which asks with
//   the same `detailed` and one more hop, and files what came back on the PassbackCall.
//
// Threads: PassbackCall is thread-safe (a handler may call nested servers from several threads);
// the functions keep no state of their own.
#pragma once

#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/tracer.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace glassbox::mcp {

// What one nested call brought back.
struct NestedHop {
  std::string call;              // "tools/call search"
  trace::SpanId client_span_id;  // the CLIENT span that made the call (this server's span)
  std::vector<trace::ResourceSpans> spans;  // accepted on arrival, each under its own resource
  PassbackReport report;                    // what the arrival checks did (C3-C5)
};

// The passback of one traced request whose caller asked for it: what nested calls inherit, and
// what they brought back.
class PassbackStream;

class PassbackCall final : public trace::RecorderObserver {
 public:
  PassbackCall(bool detailed, std::size_t hops, PassbackForwarding forwarding)
      : detailed_(detailed), hops_(hops), forwarding_(std::move(forwarding)) {}

  bool detailed() const noexcept { return detailed_; }  // after the server's policy
  std::size_t hops() const noexcept { return hops_; }   // servers the request passed before this
  const PassbackForwarding& forwarding() const noexcept { return forwarding_; }

  void add(NestedHop hop);
  std::vector<NestedHop> take();

  // Streamed passback (S17): told of every span the request's recorder keeps. Set once, before
  // the handler runs.
  void stream_to(std::shared_ptr<PassbackStream> stream) { stream_ = std::move(stream); }
  void on_recorded() noexcept override;

 private:
  std::shared_ptr<PassbackStream> stream_;
  bool detailed_;
  std::size_t hops_;
  PassbackForwarding forwarding_;
  std::mutex mutex_;
  std::vector<NestedHop> nested_;  // under mutex_
};

// The PassbackCall of the request bound to this thread (trace::current_context()), or null.
PassbackCall* current_passback_call();

// `hops` of an ask (_meta.otel.traces): a non-negative integer, 0 when absent or malformed.
std::size_t read_hops(const json::object& traces);

// A nested tools/call or resources/read whose CLIENT span is `client_span` (its traceparent is
// already in params._meta): refuses it past the hop limit, asks for passback (unless the
// request already says something about it), sends it, and files the checked spans on `call`.
// Nothing the nested server returns can fail the call.
Outcome forward_nested_call(OutgoingRequest& request, const OutgoingHandler& send,
                            PassbackCall& call, const trace::SpanContext& client_span);
// Its two halves, for an asynchronous call: the ask (or, past the hop limit, the error to
// answer with), then filing what came back.
std::optional<Outcome> ask_nested(OutgoingRequest& request, PassbackCall& call, bool& asked);
void file_nested(const OutgoingRequest& request, bool asked, PassbackCall& call,
                 const trace::SpanContext& client_span, const Outcome& outcome);

// The payload of a request with nested hops: this server's spans (root `root`, top level or
// whole tree) plus each hop's, every group under its own resource; redaction and bounds of
// `options` over all of it. Fills `report` (over the whole payload) and `nested` (the policy
// report's "nested" member: services, spans, and per-hop drops; left alone without hops).
// `sent`: spans already streamed (S17), span -> parent, so that what is left still hangs off
// the tree they started.
json::object curate_with_nested(std::vector<trace::SpanData> own, const trace::SpanId& root,
                                const trace::TracerProvider& provider,
                                const trace::CurationOptions& options, std::vector<NestedHop> hops,
                                trace::CurationReport* report, json::object* nested,
                                const std::map<trace::SpanId, trace::SpanId>* sent = nullptr);

}  // namespace glassbox::mcp
