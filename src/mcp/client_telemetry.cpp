// The client telemetry's middleware (C1, C2, C6, C7): the CLIENT span, the ask, the join to
// the server's root span, and handing the result to the checks (telemetry_checks.cpp) and the
// forwarder (telemetry_forwarder.cpp).
#include "glassbox/mcp/client_telemetry.hpp"

#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/telemetry_forwarder.hpp"
#include "mcp/client_stream.hpp"
#include "mcp/passback_wire.hpp"

#include <algorithm>
#include <atomic>

namespace glassbox::mcp {

std::size_t StitchedTrace::server_span_count() const noexcept {
  std::size_t n = 0;
  for (const auto& rs : server_spans)
    for (const auto& ss : rs.scope_spans) n += ss.spans.size();
  return n;
}

bool advertises_passback(const json::object& capabilities) {
  if (auto it = capabilities.find(kPassbackCapability);
      it != capabilities.end() && it->value().is_object()) {
    return true;
  }
  const json::object* extensions = json::find_object(capabilities, "extensions");
  return extensions != nullptr && extensions->contains(kPassbackExtension);
}

namespace {

bool is_passback_method(std::string_view method) {
  return method == "tools/call" || method == "resources/read";
}

// The JSON-RPC error or isError result, for the CLIENT span's status.
void describe_outcome(trace::Span& span, const Outcome& outcome, bool& failed) {
  if (outcome.index() == 1) {
    const jsonrpc::Error& e = std::get<1>(outcome);
    span.set_attribute("error.type", std::to_string(e.code));
    span.set_attribute("rpc.jsonrpc.error_code", static_cast<std::int64_t>(e.code));
    span.set_status(trace::StatusCode::error, e.message);
    failed = true;
    return;
  }
  if (json::find_bool(json::as_object_or_empty(std::get<0>(outcome)), "isError").value_or(false)) {
    span.set_attribute("error.type", "tool_error");
    span.set_status(trace::StatusCode::error, "tool reported isError");
    failed = true;
  }
}

}  // namespace

// One traced call, from its CLIENT span to the stitched result: begun on the calling thread,
// ended where the outcome arrives (the same thread for a blocking call).
struct TracedCall {
  StitchedTrace stitched;
  bool passback_method = false;
  std::string name;
  trace::Context bound;
  std::shared_ptr<trace::Recorder> own;
  trace::Span span;
  trace::SpanContext client_context;
  std::uint64_t started = 0;
  std::shared_ptr<PartialStitcher> partials;
  std::function<void(const ProgressUpdate&)> previous_on_progress;
  std::function<void(const jsonrpc::Id&)> previous_on_id;
};

struct ClientTelemetry::State {
  explicit State(ClientTelemetryOptions o) : options(std::move(o)) {
    if (!options.provider) options.provider = trace::tracer_provider();
    if (options.exporter)
      forwarder = std::make_unique<TelemetryForwarder>(TelemetryForwarderOptions{
          .exporter = options.exporter, .max_queued_spans = options.max_queued_spans});
  }

  Outcome run(OutgoingRequest& request, const OutgoingHandler& send, const Client* client);
  // Null when the request is not traced.
  std::shared_ptr<TracedCall> begin(OutgoingRequest& request, const Client* client);
  void end(TracedCall& call, OutgoingRequest& request, const Outcome& outcome);
  void on_partial(PartialStitcher& partials, const json::object& meta,
                  const trace::SpanContext& client_context, const std::string& name,
                  const StitchedTrace& call, std::uint64_t started);

  ClientTelemetryOptions options;
  std::unique_ptr<TelemetryForwarder> forwarder;
  std::atomic<std::uint64_t> traced_calls{0}, passback_requested{0}, passback_received{0},
      payloads_discarded{0}, spans_accepted{0}, spans_dropped{0};
};

Outcome ClientTelemetry::State::run(OutgoingRequest& request, const OutgoingHandler& send,
                                    const Client* client) {
  std::shared_ptr<TracedCall> call = begin(request, client);
  if (!call) return send(request);
  Outcome outcome;
  try {
    outcome = send(request);
  } catch (...) {
    request.options.on_request_id = call->previous_on_id;
    request.options.on_progress = call->previous_on_progress;
    call->span.set_status(trace::StatusCode::error, "request failed");
    throw;
  }
  end(*call, request, outcome);
  return outcome;
}

std::shared_ptr<TracedCall> ClientTelemetry::State::begin(OutgoingRequest& request,
                                                          const Client* client) {
  const bool passback_method = is_passback_method(request.method);
  if (!passback_method && !options.trace_all_requests) return nullptr;
  ++traced_calls;

  auto call = std::make_shared<TracedCall>();
  call->passback_method = passback_method;
  StitchedTrace& stitched = call->stitched;
  stitched.method = request.method;
  if (passback_method) {
    const json::string* target =
        json::find_string(request.params, request.method == "tools/call" ? "name" : "uri");
    if (target != nullptr) stitched.target = std::string(*target);
  }
  call->name = stitched.target.empty() ? request.method : request.method + " " + stitched.target;
  const std::string& name = call->name;

  json::value& meta_value = request.params["_meta"];
  if (!meta_value.is_object()) meta_value = json::object{};
  json::object& meta = meta_value.get_object();

  // C1: the CLIENT span, in the caller's context when there is one.
  const passback_wire::Ask stated = passback_wire::read_ask(meta);
  const std::optional<trace::SpanContext>& explicit_parent = stated.parent;
  call->bound = trace::current_context();
  trace::Span& span = call->span;
  if (!explicit_parent && !call->bound.empty()) {
    span = trace::start_span_in(call->bound, name, trace::SpanKind::client);
  } else {
    call->own = std::make_shared<trace::Recorder>(
        trace::RecorderOptions{.provider = options.provider, .max_spans = 4});
    span = trace::start_root_span(call->own, name, trace::SpanKind::client, explicit_parent);
  }
  call->client_context = span.context();
  call->started = trace::now_unix_nano();
  span.set_attribute("mcp.method.name", request.method);
  if (request.method == "tools/call" && !stitched.target.empty()) {
    span.set_attribute("gen_ai.tool.name", stitched.target);
    span.set_attribute("gen_ai.operation.name", "execute_tool");
  } else if (request.method == "resources/read" && !stitched.target.empty()) {
    span.set_attribute("mcp.resource.uri", stitched.target);
  }
  passback_wire::write_trace_context(meta, call->client_context);

  // C2: ask unless the caller already said something about it.
  bool requested = false;
  if (passback_method) {
    if (stated.stated) {
      requested = stated.requested;
    } else {
      bool ask = options.passback == PassbackMode::always ||
                 (options.passback == PassbackMode::automatic &&
                  (client == nullptr || advertises_passback(client->server_capabilities())));
      if (ask) {
        passback_wire::write_ask(meta, options.detailed, options.stream);
        requested = true;
      }
    }
  }
  stitched.report.requested = requested;
  if (requested) ++passback_requested;
  span.set_attribute("mcp.passback.requested", requested);

  // S17: partial payloads, checked and exported as they arrive.
  call->previous_on_progress = request.options.on_progress;
  if (requested && options.stream) {
    call->partials = std::make_shared<PartialStitcher>(
        call->client_context, PassbackIngestLimits{.max_spans = options.max_spans,
                                                   .max_bytes = options.max_bytes,
                                                   .max_value_depth = options.max_value_depth});
    request.options.on_progress = [this, call](const ProgressUpdate& update) {
      on_partial(*call->partials, update.meta, call->client_context, call->name, call->stitched,
                 call->started);
      if (call->previous_on_progress) call->previous_on_progress(update);
    };
  }
  // C6: the JSON-RPC id, known only once the session assigns it (on the sending thread).
  call->previous_on_id = request.options.on_request_id;
  request.options.on_request_id = [raw = call.get()](const jsonrpc::Id& id) {
    raw->stitched.request_id = id;
    if (raw->previous_on_id) raw->previous_on_id(id);
  };
  return call;
}

void ClientTelemetry::State::end(TracedCall& call, OutgoingRequest& request,
                                 const Outcome& outcome) {
  request.options.on_request_id = call.previous_on_id;
  request.options.on_progress = call.previous_on_progress;
  StitchedTrace& stitched = call.stitched;
  trace::Span& span = call.span;
  const trace::SpanContext& client_context = call.client_context;
  const std::shared_ptr<PartialStitcher>& partials = call.partials;
  const std::shared_ptr<trace::Recorder>& own = call.own;
  const trace::Context& bound = call.bound;
  const std::string& name = call.name;
  if (stitched.request_id)
    span.set_attribute("jsonrpc.request.id", jsonrpc::to_string(*stitched.request_id));
  describe_outcome(span, outcome, stitched.failed);

  // C3, C4, C8: read what came back; nothing here may fail the call.
  const json::value* traces = call.passback_method ? passback_wire::find_payload(outcome) : nullptr;
  json::value whole_call;  // S17: the partials and the final payload, checked as one
  if (partials && partials->any()) {
    whole_call = partials->combine(traces);
    traces = &whole_call;
  }
  if (traces != nullptr) {
    ++passback_received;
    stitched.server_spans = ingest_passback(*traces, client_context,
                                            {.max_spans = options.max_spans,
                                             .max_bytes = options.max_bytes,
                                             .max_value_depth = options.max_value_depth},
                                            &stitched.report);
    spans_accepted += stitched.report.accepted_span_count;
    spans_dropped += stitched.report.dropped_span_count();
    if (stitched.report.discarded) ++payloads_discarded;
  }
  const PassbackReport& report = stitched.report;
  if (report.present) {
    span.set_attribute("mcp.passback.accepted_span_count", report.accepted_span_count);
    if (report.dropped_span_count() > 0)
      span.set_attribute("mcp.passback.dropped_span_count", report.dropped_span_count());
    if (report.discarded) {
      span.add_event("mcp.passback.discarded",
                     {{"reason", report.reason},
                      {"mcp.passback.received_span_count", report.received_span_count}});
    } else if (!report.reason.empty()) {
      span.add_event("mcp.passback.dropped", {{"reason", report.reason}});
    }
  }
  // C6: the join to the server's root span (the SERVER span under ours, else the first root).
  bool root_is_server = false;
  for (const auto& rs : stitched.server_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const auto& s : ss.spans) {
        if (s.parent_span_id != client_context.span_id) continue;
        if (!stitched.server_root_span_id ||
            (s.kind == trace::SpanKind::server && !root_is_server)) {
          stitched.server_root_span_id = s.span_id;
          root_is_server = s.kind == trace::SpanKind::server;
        }
      }
    }
  }
  if (stitched.server_root_span_id) {
    span.set_attribute("mcp.server.root_span_id", stitched.server_root_span_id->to_hex());
    span.add_link({client_context.trace_id, *stitched.server_root_span_id, 0, {}, true},
                  {{"mcp.link", "server.root"}});
  }
  span.end();
  const std::uint64_t ended = trace::now_unix_nano();

  // The CLIENT span's data as recorded (for the caller's view and for forwarding).
  std::vector<trace::SpanData> recorded = own ? own->take() : bound.recorder()->snapshot();
  auto found = std::find_if(recorded.begin(), recorded.end(), [&](const trace::SpanData& s) {
    return s.span_id == client_context.span_id;
  });
  if (found != recorded.end()) {
    stitched.client_span = std::move(*found);
  } else {  // the caller's recorder was full: a minimal copy
    stitched.client_span.name = name;
    stitched.client_span.kind = trace::SpanKind::client;
    stitched.client_span.trace_id = client_context.trace_id;
    stitched.client_span.span_id = client_context.span_id;
    stitched.client_span.parent_span_id = bound.span_context().span_id;
    stitched.client_span.start_time_unix_nano = call.started;
    stitched.client_span.end_time_unix_nano = ended;
  }
  const trace::TracerProvider& provider = own ? *options.provider : *bound.recorder()->provider();
  stitched.client_resource = provider.resource();
  stitched.client_scope = provider.scope();

  // C5, C7: the server's spans under the server's resource; our own span only when it is ours
  // to export (a bound caller's spans go through the caller's pipeline).
  if (forwarder) {
    trace::TracesData job;
    if (own) {
      job.resource_spans.push_back(
          {stitched.client_resource, {{stitched.client_scope, {stitched.client_span}, {}}}, {}});
    }
    for (const auto& rs : stitched.server_spans) job.resource_spans.push_back(rs);
    if (partials) drop_exported(job, *partials);  // S17: those went out as they arrived
    forwarder->enqueue(std::move(job));
  }
  if (options.on_trace) {
    try {
      options.on_trace(stitched);
    } catch (...) {  // the caller's callback must not fail the call either
    }
  }
}

void ClientTelemetry::State::on_partial(PartialStitcher& partials, const json::object& meta,
                                        const trace::SpanContext& client_context,
                                        const std::string& name, const StitchedTrace& call,
                                        std::uint64_t started) {
  std::vector<trace::ResourceSpans> fresh = partials.add(meta);
  if (fresh.empty()) return;
  if (forwarder) forwarder->enqueue({std::move(fresh)});  // C7, at once
  if (!options.on_partial) return;
  StitchedTrace so_far{.method = call.method, .target = call.target};
  so_far.client_span.name = name;
  so_far.client_span.kind = trace::SpanKind::client;
  so_far.client_span.trace_id = client_context.trace_id;
  so_far.client_span.span_id = client_context.span_id;
  so_far.client_span.start_time_unix_nano = started;
  so_far.client_span.end_time_unix_nano = trace::now_unix_nano();
  so_far.client_resource = options.provider->resource();
  so_far.client_scope = options.provider->scope();
  so_far.server_spans = partials.accepted();
  try {
    options.on_partial(so_far);
  } catch (...) {  // the caller's callback must not fail the call
  }
}

ClientTelemetry::ClientTelemetry(ClientTelemetryOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

ClientTelemetry::~ClientTelemetry() {
  force_flush();
  state_->forwarder.reset();
}

OutgoingMiddleware ClientTelemetry::middleware(const Client* client) {
  std::shared_ptr<State> state = state_;
  return [state, client](OutgoingRequest& request, const OutgoingHandler& send) {
    return state->run(request, send, client);
  };
}

AsyncOutgoingMiddleware ClientTelemetry::async_middleware(const Client* client) {
  std::shared_ptr<State> state = state_;
  return [state, client](OutgoingRequest& request, const AsyncOutgoingHandler& send,
                         OutcomeCallback done) {
    std::shared_ptr<TracedCall> call = state->begin(request, client);
    if (!call) return send(request, std::move(done));
    send(request, [state, call, &request, done = std::move(done)](Outcome outcome) {
      state->end(*call, request, outcome);
      done(std::move(outcome));
    });
  };
}

void ClientTelemetry::install(Client& client) {
  client.use(middleware(&client), async_middleware(&client));
}

bool ClientTelemetry::force_flush(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  if (state_->forwarder) ok = state_->forwarder->flush(timeout);
  auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  if (state_->options.exporter) ok = state_->options.exporter->force_flush(left()) && ok;
  ok = state_->options.provider->force_flush(left()) && ok;
  return ok;
}

ClientTelemetryStats ClientTelemetry::stats() const {
  const State& s = *state_;
  return {.traced_calls = s.traced_calls.load(),
          .passback_requested = s.passback_requested.load(),
          .passback_received = s.passback_received.load(),
          .payloads_discarded = s.payloads_discarded.load(),
          .spans_accepted = s.spans_accepted.load(),
          .spans_dropped = s.spans_dropped.load(),
          .spans_forwarded = s.forwarder ? s.forwarder->forwarded() : 0,
          .spans_forward_failed = s.forwarder ? s.forwarder->failed() : 0};
}

const ClientTelemetryOptions& ClientTelemetry::options() const {
  return state_->options;
}

std::shared_ptr<ClientTelemetry> enable_client_telemetry(Client& client,
                                                         ClientTelemetryOptions options) {
  auto telemetry = std::make_shared<ClientTelemetry>(std::move(options));
  telemetry->install(client);
  return telemetry;
}

}  // namespace glassbox::mcp
