#include "glassbox/mcp/client_telemetry.hpp"

#include "glassbox/jsonrpc/envelope.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/trace/otlp_http.hpp"
#include "mcp/passback_wire.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

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

// ---- bounds before decoding (C3) ------------------------------------------------------------

// Approximate encoded size of `v`, walking iteratively; stops as soon as it passes `budget`
// (then returns budget + 1), so the work is bounded by the budget, not by the payload.
std::size_t approximate_size(const json::value& v, std::size_t budget) {
  std::size_t total = 0;
  std::vector<const json::value*> stack{&v};
  while (!stack.empty()) {
    const json::value* x = stack.back();
    stack.pop_back();
    switch (x->kind()) {
      case boost::json::kind::string:
        total += x->get_string().size() + 2;
        break;
      case boost::json::kind::array: {
        const json::array& a = x->get_array();
        total += 2 + a.size();  // brackets and commas, counted before descending
        if (total > budget) return budget + 1;
        for (const auto& e : a) stack.push_back(&e);
        break;
      }
      case boost::json::kind::object: {
        const json::object& o = x->get_object();
        total += 2 + o.size() * 4;  // braces, quotes, colons, commas
        if (total > budget) return budget + 1;
        for (const auto& m : o) {
          total += m.key().size();
          stack.push_back(&m.value());
        }
        break;
      }
      case boost::json::kind::bool_:
      case boost::json::kind::null:
        total += 5;
        break;
      default:
        total += 20;
        break;  // numbers
    }
    if (total > budget) return budget + 1;
  }
  return total;
}

// Counts spans through the envelope only (resourceSpans[].scopeSpans[].spans), without reading
// a span. Stops past `bound`. False with a reason when the envelope has the wrong shape.
bool count_spans(const json::object& traces, std::size_t bound, std::size_t& count,
                 std::string& reason) {
  count = 0;
  const json::value* rs = traces.if_contains("resourceSpans");
  if (rs == nullptr) return true;  // an empty payload
  if (!rs->is_array()) {
    reason = "resourceSpans is not an array";
    return false;
  }
  std::size_t containers = 0;
  for (const auto& r : rs->get_array()) {
    if (++containers > bound + 1) {
      reason = "too many resourceSpans";
      return false;
    }
    const json::object* ro = r.if_object();
    if (ro == nullptr) {
      reason = "resourceSpans element is not an object";
      return false;
    }
    const json::value* ss = ro->if_contains("scopeSpans");
    if (ss == nullptr) continue;
    if (!ss->is_array()) {
      reason = "scopeSpans is not an array";
      return false;
    }
    for (const auto& s : ss->get_array()) {
      if (++containers > bound + 1) {
        reason = "too many scopeSpans";
        return false;
      }
      const json::object* so = s.if_object();
      if (so == nullptr) {
        reason = "scopeSpans element is not an object";
        return false;
      }
      const json::value* spans = so->if_contains("spans");
      if (spans == nullptr) continue;
      if (!spans->is_array()) {
        reason = "spans is not an array";
        return false;
      }
      count += spans->get_array().size();
      if (count > bound) return true;
    }
  }
  return true;
}

void discard(PassbackReport& report, std::string reason) {
  report.discarded = true;
  report.reason = std::move(reason);
}

}  // namespace

std::vector<trace::ResourceSpans> ingest_passback(const json::value& traces,
                                                  const trace::SpanContext& client_span,
                                                  const PassbackIngestLimits& limits,
                                                  PassbackReport* report_out) noexcept {
  PassbackReport scratch;
  PassbackReport& report = report_out ? *report_out : scratch;
  std::vector<trace::ResourceSpans> accepted;
  try {
    report.present = true;
    const json::object* envelope = traces.if_object();
    if (envelope == nullptr) {
      discard(report, "malformed passback: otel.traces is not an object");
      return {};
    }
    const passback_wire::PayloadClaims claims = passback_wire::read_claims(*envelope);
    // The transport dropped it while reading (over its bytes or nesting bound, C3/C8).
    if (claims.discarded != nullptr) {
      discard(report, "passback discarded: " + std::string(*claims.discarded));
      return {};
    }
    report.server_dropped_span_count = claims.dropped_span_count;
    // Shown to the user, never acted upon; bounded like the rest.
    if (claims.policy != nullptr && approximate_size(*claims.policy, 4096) <= 4096)
      report.server_policy = *claims.policy;
    std::string reason;
    if (!count_spans(*envelope, limits.max_spans, report.received_span_count, reason)) {
      discard(report, "malformed passback: " + reason);
      return {};
    }
    if (report.received_span_count > limits.max_spans) {
      discard(report, "passback has more than " + std::to_string(limits.max_spans) + " spans");
      return {};
    }
    report.payload_bytes = approximate_size(traces, limits.max_bytes);
    if (report.payload_bytes > limits.max_bytes) {
      discard(report, "passback is larger than " + std::to_string(limits.max_bytes) + " bytes");
      return {};
    }
    trace::OtlpDecodeLimits decode_limits{.max_bytes = limits.max_bytes,
                                          .max_spans = limits.max_spans,
                                          .max_depth = limits.max_value_depth};
    std::string error;
    std::optional<trace::TracesData> decoded =
        trace::decode_otlp_json(traces, decode_limits, &error);
    if (!decoded) {
      discard(report, "malformed passback: " + error);
      return {};
    }

    // C4: same trace, and descended from the CLIENT span. Walk down from the client span over
    // the parent links, so cycles and spans hanging off nothing fall out by construction.
    std::map<trace::SpanId, std::vector<trace::SpanId>> children;
    std::set<trace::SpanId> seen{client_span.span_id};
    std::set<trace::SpanId> duplicates;
    for (const auto& rs : decoded->resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        for (const auto& span : ss.spans) {
          if (span.trace_id != client_span.trace_id) continue;
          if (!seen.insert(span.span_id).second) {
            duplicates.insert(span.span_id);
            continue;
          }
          children[span.parent_span_id].push_back(span.span_id);
        }
      }
    }
    std::set<trace::SpanId> reachable;
    std::vector<trace::SpanId> frontier{client_span.span_id};
    while (!frontier.empty()) {
      trace::SpanId id = frontier.back();
      frontier.pop_back();
      auto it = children.find(id);
      if (it == children.end()) continue;
      for (const trace::SpanId& child : it->second) {
        if (!duplicates.contains(child) && reachable.insert(child).second)
          frontier.push_back(child);
      }
    }
    std::set<trace::SpanId> kept;
    for (auto& rs : decoded->resource_spans) {
      trace::ResourceSpans out{std::move(rs.resource), {}, std::move(rs.schema_url)};
      for (auto& ss : rs.scope_spans) {
        trace::ScopeSpans scope{std::move(ss.scope), {}, std::move(ss.schema_url)};
        for (auto& span : ss.spans) {
          if (span.trace_id != client_span.trace_id) {
            ++report.foreign_trace_span_count;
          } else if (duplicates.contains(span.span_id) || span.span_id == client_span.span_id ||
                     kept.contains(span.span_id)) {
            ++report.duplicate_span_count;
          } else if (!reachable.contains(span.span_id)) {
            ++report.unlinked_span_count;
          } else {
            kept.insert(span.span_id);
            scope.spans.push_back(std::move(span));
          }
        }
        if (!scope.spans.empty()) out.scope_spans.push_back(std::move(scope));
      }
      if (!out.scope_spans.empty()) accepted.push_back(std::move(out));
    }
    report.accepted_span_count = kept.size();
    if (report.foreign_trace_span_count > 0) {
      report.reason =
          std::to_string(report.foreign_trace_span_count) + " spans of another trace dropped";
    } else if (report.unlinked_span_count > 0) {
      report.reason =
          std::to_string(report.unlinked_span_count) + " spans not under the client span dropped";
    } else if (report.duplicate_span_count > 0) {
      report.reason =
          std::to_string(report.duplicate_span_count) + " spans with a repeated id dropped";
    }
    return accepted;
  } catch (const std::exception& e) {  // allocation failure, mostly: C8, never fail the call
    discard(report, std::string("passback could not be read: ") + e.what());
  } catch (...) {
    discard(report, "passback could not be read");
  }
  report.accepted_span_count = 0;
  return {};
}

// ---- forwarding (C7) -----------------------------------------------------------------------

namespace {

// One background thread that exports in order, so the exporter sees one caller at a time and
// the calling threads never wait on the network. One job is the spans of one call, each group
// under its own resource; an OTLP/HTTP exporter sends it as one request.
class Forwarder {
 public:
  Forwarder(std::shared_ptr<trace::SpanExporter> exporter, std::size_t max_queued_spans)
      : exporter_(std::move(exporter)),
        otlp_(dynamic_cast<trace::OtlpHttpExporter*>(exporter_.get())),
        max_queued_spans_(max_queued_spans),
        worker_([this] { run(); }) {}

  ~Forwarder() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  void enqueue(trace::TracesData job) {
    std::size_t n = job.span_count();
    if (n == 0) return;
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queued_spans_ + n > max_queued_spans_) {
        failed_ += n;
        return;
      }
      queued_spans_ += n;
      queue_.push_back(std::move(job));
    }
    wake_.notify_all();
  }

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
  }

  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      trace::TracesData job = std::move(queue_.front());
      queue_.pop_front();
      std::size_t n = job.span_count();
      queued_spans_ -= n;
      busy_ = true;
      lock.unlock();
      export_job(job);
      lock.lock();
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  void export_job(const trace::TracesData& job) {
    if (otlp_ != nullptr) {
      std::size_t n = job.span_count();
      (otlp_->export_traces(job) == trace::ExportResult::success ? forwarded_ : failed_) += n;
      return;
    }
    for (const auto& rs : job.resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        auto result = exporter_->export_spans(ss.spans, rs.resource, ss.scope);
        (result == trace::ExportResult::success ? forwarded_ : failed_) += ss.spans.size();
      }
    }
  }

  std::shared_ptr<trace::SpanExporter> exporter_;
  trace::OtlpHttpExporter* otlp_;  // exporter_ when it can send several resources at once
  std::size_t max_queued_spans_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<trace::TracesData> queue_;
  std::size_t queued_spans_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> forwarded_{0}, failed_{0};
  std::thread worker_;  // last: starts after the members it uses
};

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

struct ClientTelemetry::State {
  explicit State(ClientTelemetryOptions o) : options(std::move(o)) {
    if (!options.provider) options.provider = trace::tracer_provider();
    if (options.exporter)
      forwarder = std::make_unique<Forwarder>(options.exporter, options.max_queued_spans);
  }

  Outcome run(OutgoingRequest& request, const OutgoingHandler& send, const Client* client);

  ClientTelemetryOptions options;
  std::unique_ptr<Forwarder> forwarder;
  std::atomic<std::uint64_t> traced_calls{0}, passback_requested{0}, passback_received{0},
      payloads_discarded{0}, spans_accepted{0}, spans_dropped{0};
};

Outcome ClientTelemetry::State::run(OutgoingRequest& request, const OutgoingHandler& send,
                                    const Client* client) {
  const bool passback_method = is_passback_method(request.method);
  if (!passback_method && !options.trace_all_requests) return send(request);
  ++traced_calls;

  StitchedTrace stitched;
  stitched.method = request.method;
  if (passback_method) {
    const json::string* target =
        json::find_string(request.params, request.method == "tools/call" ? "name" : "uri");
    if (target != nullptr) stitched.target = std::string(*target);
  }
  std::string name =
      stitched.target.empty() ? request.method : request.method + " " + stitched.target;

  json::value& meta_value = request.params["_meta"];
  if (!meta_value.is_object()) meta_value = json::object{};
  json::object& meta = meta_value.get_object();

  // C1: the CLIENT span, in the caller's context when there is one.
  const passback_wire::Ask stated = passback_wire::read_ask(meta);
  const std::optional<trace::SpanContext>& explicit_parent = stated.parent;
  trace::Context bound = trace::current_context();
  std::shared_ptr<trace::Recorder> own;
  trace::Span span;
  if (!explicit_parent && !bound.empty()) {
    span = trace::start_span_in(bound, name, trace::SpanKind::client);
  } else {
    own = std::make_shared<trace::Recorder>(
        trace::RecorderOptions{.provider = options.provider, .max_spans = 4});
    span = trace::start_root_span(own, name, trace::SpanKind::client, explicit_parent);
  }
  const trace::SpanContext client_context = span.context();
  const std::uint64_t started = trace::now_unix_nano();
  span.set_attribute("mcp.method.name", request.method);
  if (request.method == "tools/call" && !stitched.target.empty()) {
    span.set_attribute("gen_ai.tool.name", stitched.target);
    span.set_attribute("gen_ai.operation.name", "execute_tool");
  } else if (request.method == "resources/read" && !stitched.target.empty()) {
    span.set_attribute("mcp.resource.uri", stitched.target);
  }
  passback_wire::write_trace_context(meta, client_context);

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
        passback_wire::write_ask(meta, options.detailed);
        requested = true;
      }
    }
  }
  stitched.report.requested = requested;
  if (requested) ++passback_requested;
  span.set_attribute("mcp.passback.requested", requested);

  // C6: the JSON-RPC id, known only once the session assigns it.
  auto previous_on_id = request.options.on_request_id;
  request.options.on_request_id = [&stitched, &previous_on_id](const jsonrpc::Id& id) {
    stitched.request_id = id;
    if (previous_on_id) previous_on_id(id);
  };
  Outcome outcome;
  try {
    outcome = send(request);
  } catch (...) {
    request.options.on_request_id = previous_on_id;
    span.set_status(trace::StatusCode::error, "request failed");
    throw;
  }
  request.options.on_request_id = previous_on_id;
  if (stitched.request_id)
    span.set_attribute("jsonrpc.request.id", jsonrpc::to_string(*stitched.request_id));
  describe_outcome(span, outcome, stitched.failed);

  // C3, C4, C8: read what came back; nothing here may fail the call.
  if (const json::value* traces =
          passback_method ? passback_wire::find_payload(outcome) : nullptr) {
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
    stitched.client_span.start_time_unix_nano = started;
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
    forwarder->enqueue(std::move(job));
  }
  if (options.on_trace) {
    try {
      options.on_trace(stitched);
    } catch (...) {  // the caller's callback must not fail the call either
    }
  }
  return outcome;
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

void ClientTelemetry::install(Client& client) {
  client.use(middleware(&client));
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
