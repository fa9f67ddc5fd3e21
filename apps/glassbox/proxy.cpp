// `glassbox proxy`: forwarding (P1), and the calls that the gateway (P2) and the sidecar (P3)
// take over. See proxy.hpp and docs/proxy.md.
#include "proxy.hpp"
#include "proxy_shared_back.hpp"

#include "cli_telemetry.hpp"
#include "collector.hpp"

#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/worker_pool.hpp"
#include "glassbox/trace/context.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/http_server.hpp"
#include "glassbox/transport/stdio.hpp"
#include "stop_signals.hpp"

#include <signal.h>

#include <atomic>
#include <exception>
#include <future>
#include <iostream>
#include <list>
#include <set>

namespace glassbox::cli {

namespace {

using jsonrpc::Id;

bool traced_method(std::string_view method) {
  return method == "tools/call" || method == "resources/read";
}

void log(const std::string& line) {
  std::cerr << "glassbox proxy: " + line + "\n" << std::flush;
}

// _meta.otel.traces of a request's params, or null.
const json::object* requested_traces(const json::object& params) {
  const json::object* meta = json::find_object(params, "_meta");
  const json::object* otel = meta ? json::find_object(*meta, "otel") : nullptr;
  return otel ? json::find_object(*otel, "traces") : nullptr;
}

// How long the proxy's exports wait for more spans to go out with them (the flush at exit cuts
// it short).
constexpr std::chrono::milliseconds kExportBatchDelay{100};

// The StitchedTrace of the gateway call running on this thread: ClientTelemetry hands it to
// on_trace on the calling thread, before the call returns.
thread_local mcp::StitchedTrace* t_stitched = nullptr;

// What every session of one proxy shares: the roles and their telemetry.
struct Roles {
  ProxyCommandOptions options;
  ServerTarget target;
  std::shared_ptr<mcp::ClientTelemetry> gateway;  // null: no gateway role
  std::shared_ptr<trace::TracerProvider> provider;
  std::shared_ptr<mcp::TelemetryForwarder> export_queue;  // null: no exporter configured
  std::unique_ptr<Sidecar> sidecar;                       // null: no sidecar role
  // The calls taken over run here (options.max_calls at once). Only they: the front's answers to
  // the back's requests and its cancellations are forwarded on the front's reader thread, so
  // they never wait behind queued calls. Last, so that its threads are joined first.
  std::unique_ptr<mcp::WorkerPool> calls;

  std::shared_ptr<transport::Transport> open_back() const {
    if (!target.command.empty()) {
      transport::ProcessOptions process{.argv = target.command, .ordered_delivery = true};
      if (sidecar) process.env = sidecar->child_environment();
      return transport::spawn_process(std::move(process));
    }
    transport::HttpClientOptions http{.url = target.url};
    for (const auto& [name, value] : target.headers) http.headers[name] = value;
    http.bearer_token = target.bearer_token;
    return transport::connect_http(std::move(http));
  }
};

// Picks the back of a front from its first message (on the front's reader thread); throws when
// the back cannot be opened.
using BackChooser =
    std::function<std::shared_ptr<transport::Transport>(const transport::MessageContext&)>;

// One front connection and its back connection. Ids are not rewritten here: a front with a back
// of its own is the back's only client, so its ids are unique on the back, and the back's
// requests reach only the front; a front on the shared back (SharedBack) has them rewritten there.
class ProxySession : public std::enable_shared_from_this<ProxySession> {
 public:
  ProxySession(Roles& roles, std::shared_ptr<transport::Transport> front,
               std::shared_ptr<transport::Transport> back)
      : roles_(roles), front_(std::move(front)), back_(std::move(back)) {}
  // The back is chosen when the front's first message arrives.
  ProxySession(Roles& roles, std::shared_ptr<transport::Transport> front, BackChooser choose)
      : roles_(roles), front_(std::move(front)), choose_back_(std::move(choose)) {}

  void start() {
    std::weak_ptr<ProxySession> weak = weak_from_this();
    if (back_) start_back();
    front_->start({.on_message =
                       [weak](jsonrpc::Message m, transport::MessageContext context) {
                         if (auto self = weak.lock()) self->from_front(std::move(m), context);
                       },
                   .on_close =
                       [weak] {
                         if (auto self = weak.lock()) self->front_closed();
                       }});
  }

  void start_back() {
    std::weak_ptr<ProxySession> weak = weak_from_this();
    back_->start({.on_message =
                      [weak](jsonrpc::Message m, transport::MessageContext) {
                        if (auto self = weak.lock()) self->from_back(std::move(m));
                      },
                  .on_close =
                      [weak] {
                        if (auto self = weak.lock()) self->back_closed();
                      }});
  }

  // Blocks until either side has closed and every call taken over has been answered.
  void wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return (front_closed_ || back_closed_) && workers_ == 0; });
  }

  // Both sides done with: the HTTP front may let go of it.
  bool finished() const {
    std::lock_guard lock(mutex_);
    return (front_closed_ || back_closed_) && workers_ == 0;
  }

  bool back_failed() const {
    std::lock_guard lock(mutex_);
    return back_failed_;
  }

  void close() {
    front_->close();
    if (auto back = back_of()) back->close();
  }

 private:
  struct InFlight {
    std::string method;
    std::shared_ptr<std::promise<std::optional<mcp::Outcome>>> answer;  // set: taken over
  };

  // The request a back message belongs to, for HTTP at the front (which SSE stream carries it):
  // a progress notification names its token; anything else goes with the only call in flight.
  std::optional<Id> related(const jsonrpc::Message& m) {
    std::lock_guard lock(mutex_);
    if (const auto* n = std::get_if<jsonrpc::Notification>(&m)) {
      const json::object& params = json::as_object_or_empty(n->params);
      if (const json::value* token = params.if_contains("progressToken")) {
        auto it = progress_.find(json::serialize(*token));
        if (it != progress_.end()) return it->second;
      }
    }
    if (in_flight_.size() == 1) return in_flight_.begin()->first;
    return std::nullopt;
  }

  std::shared_ptr<transport::Transport> back_of() const {
    std::lock_guard lock(mutex_);
    return back_;
  }

  // The back for the front's first message, chosen and started now; false (the front closed)
  // when it cannot be opened.
  bool choose_back(const jsonrpc::Message& m, const transport::MessageContext& context) {
    if (!choose_back_) return true;
    std::shared_ptr<transport::Transport> back;
    try {
      back = choose_back_(context);
    } catch (const std::exception& e) {
      log(std::string("cannot start the server: ") + e.what());
      if (const auto* r = std::get_if<jsonrpc::Request>(&m)) {
        front_->send(jsonrpc::ErrorResponse{r->id,
                                            {jsonrpc::error_code::kConnectionClosed,
                                             std::string("glassbox proxy: cannot start the "
                                                         "server: ") +
                                                 e.what(),
                                             nullptr}},
                     {.related_request = r->id});
      }
      front_->close();
      return false;
    }
    {
      std::lock_guard lock(mutex_);
      back_ = std::move(back);
      choose_back_ = nullptr;
    }
    start_back();
    return true;
  }

  void from_front(jsonrpc::Message m, const transport::MessageContext& context) {
    if (!choose_back(m, context)) return;
    std::shared_ptr<transport::Transport> back = back_of();
    if (auto* r = std::get_if<jsonrpc::Request>(&m)) {
      bool take_over = traced_method(r->method) && (roles_.gateway || roles_.sidecar);
      {
        std::lock_guard lock(mutex_);
        InFlight entry{r->method, nullptr};
        if (take_over) {
          entry.answer = std::make_shared<std::promise<std::optional<mcp::Outcome>>>();
          ++workers_;
        }
        in_flight_[r->id] = std::move(entry);
        const json::object* meta = json::find_object(json::as_object_or_empty(r->params), "_meta");
        if (const json::value* token = meta ? meta->if_contains("progressToken") : nullptr)
          progress_[json::serialize(*token)] = r->id;
      }
      if (take_over) {
        roles_.calls->post([self = shared_from_this(), request = std::move(*r)]() mutable {
          self->take_over(std::move(request));
        });
        return;
      }
      if (!back->send(m)) answer_closed(r->id);
      return;
    }
    if (auto* n = std::get_if<jsonrpc::Notification>(&m);
        n && n->method == "notifications/cancelled") {
      // The front expects no answer any more: a call taken over stops waiting for one.
      const json::object& params = json::as_object_or_empty(n->params);
      if (const json::value* id_value = params.if_contains("requestId")) {
        std::optional<Id> id;
        if (id_value->is_int64()) id = Id(id_value->get_int64());
        if (id_value->is_string()) id = Id(std::string(id_value->get_string()));
        std::lock_guard lock(mutex_);
        if (auto it = id ? in_flight_.find(*id) : in_flight_.end(); it != in_flight_.end()) {
          if (it->second.answer) it->second.answer->set_value(std::nullopt);
          forget(it);
        }
      }
    }
    back->send(m);  // notifications, and the front's answers to the back's requests
  }

  void from_back(jsonrpc::Message m) {
    std::optional<Id> id;
    if (auto* r = std::get_if<jsonrpc::Response>(&m)) id = r->id;
    if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&m)) {
      if (!e->id) {  // the back could not read something the proxy sent: nothing to forward to
        log("the server refused a message: " + e->error.message);
        return;
      }
      id = e->id;
    }
    if (id) {
      std::unique_lock lock(mutex_);
      auto it = in_flight_.find(*id);
      if (it == in_flight_.end()) return;  // cancelled meanwhile: the front wants no answer
      if (auto answer = it->second.answer) {
        mcp::Outcome outcome;
        if (auto* r = std::get_if<jsonrpc::Response>(&m))
          outcome = std::move(r->result);
        else
          outcome = std::get<jsonrpc::ErrorResponse>(m).error;
        forget(it);
        lock.unlock();
        answer->set_value(std::move(outcome));
        return;
      }
      bool initialize = it->second.method == "initialize";
      forget(it);
      lock.unlock();
      if (initialize && roles_.sidecar) {
        // The proxy answers passback for this server now (S1 on its behalf).
        if (auto* r = std::get_if<jsonrpc::Response>(&m)) {
          mcp::Outcome outcome = std::move(r->result);
          mcp::advertise_passback(outcome);
          r->result = std::move(std::get<json::value>(outcome));
        }
      }
      front_->send(m, {.related_request = id});
      return;
    }
    front_->send(m, {.related_request = related(m)});
  }

  // A tools/call or resources/read taken over by the gateway and/or the sidecar; on its own
  // thread, since it waits for the back's answer and then (bounded) for the child's spans.
  void take_over(jsonrpc::Request request) {
    std::optional<mcp::Outcome> outcome;
    try {
      if (!still_in_flight(request.id)) {
        // Cancelled while queued (the front expects nothing), or the back closed meanwhile.
        std::lock_guard lock(mutex_);
        if (back_closed_) outcome = closed_error();
      } else {
        outcome = roles_.gateway ? through_gateway(request) : through_sidecar(request);
      }
    } catch (const std::exception& e) {
      outcome = jsonrpc::Error{jsonrpc::error_code::kInternalError,
                               std::string("glassbox proxy: ") + e.what(), nullptr};
    }
    if (outcome) {  // nullopt: cancelled, the front expects nothing
      if (outcome->index() == 0) {
        front_->send(jsonrpc::Response{request.id, std::move(std::get<0>(*outcome))},
                     {.related_request = request.id});
      } else {
        front_->send(jsonrpc::ErrorResponse{request.id, std::get<1>(std::move(*outcome))},
                     {.related_request = request.id});
      }
    }
    bool close_front = false;
    {
      std::lock_guard lock(mutex_);
      close_front = --workers_ == 0 && back_closed_;
      // Only when wait() may end: waking its thread after every call costs a context switch.
      if (workers_ == 0 && (front_closed_ || back_closed_)) done_.notify_all();
    }
    if (close_front) front_->close();
  }

  bool still_in_flight(const Id& id) const {
    std::lock_guard lock(mutex_);
    return in_flight_.contains(id);
  }

  // Sends the request to the back and waits for its answer; nullopt when the front cancelled.
  std::optional<mcp::Outcome> forward(const Id& id, const std::string& method,
                                      const json::object& params) {
    std::shared_ptr<std::promise<std::optional<mcp::Outcome>>> answer;
    {
      std::lock_guard lock(mutex_);
      auto it = in_flight_.find(id);
      if (it == in_flight_.end() || !it->second.answer) {
        if (back_closed_) return closed_error();
        return std::nullopt;  // cancelled before it went out
      }
      answer = it->second.answer;
    }
    std::future<std::optional<mcp::Outcome>> future = answer->get_future();
    if (!back_of()->send(jsonrpc::Request{id, method, params})) {
      std::lock_guard lock(mutex_);
      if (auto it = in_flight_.find(id); it != in_flight_.end()) {
        forget(it);
        answer->set_value(closed_error());
      }
    }
    return future.get();
  }

  std::optional<mcp::Outcome> through_sidecar(const jsonrpc::Request& request) {
    json::object params = json::as_object_or_empty(request.params);
    if (!roles_.sidecar) return forward(request.id, request.method, params);
    // S2: passback only for the JSON boolean true.
    bool asked = false, detailed = false;
    if (const json::object* traces = requested_traces(params)) {
      asked = json::find_bool(*traces, "request").value_or(false);
      detailed = json::find_bool(*traces, "detailed").value_or(false);
    }
    json::value& meta_value = params["_meta"];
    if (!meta_value.is_object()) meta_value = json::object{};
    json::object& meta = meta_value.get_object();
    meta.erase("otel");  // the proxy answers it; the child knows nothing of passback
    std::optional<trace::SpanContext> caller;
    if (const json::string* tp = json::find_string(meta, "traceparent")) {
      const json::string* ts = json::find_string(meta, "tracestate");
      caller = trace::parse_traceparent(*tp, ts ? std::string_view(*ts) : std::string_view());
    }
    if (!caller) {  // none, or invalid (S3): the call's own trace
      caller = trace::SpanContext{.trace_id = trace::generate_trace_id(),
                                  .span_id = trace::generate_span_id(),
                                  .flags = trace::kTraceFlagSampled};
      meta["traceparent"] = trace::format_traceparent(*caller);
      meta.erase("tracestate");
    }
    if (meta.empty()) params.erase("_meta");
    std::shared_ptr<Sidecar::Call> call = roles_.sidecar->begin(*caller);
    std::optional<mcp::Outcome> outcome;
    try {
      outcome = forward(request.id, request.method, params);
    } catch (...) {
      roles_.sidecar->end(call);
      throw;
    }
    if (!outcome || !asked) {
      roles_.sidecar->end(call);
      return outcome;
    }
    json::object traces = roles_.sidecar->finish(call, detailed);
    json::value& otel = mcp::outcome_meta(*outcome)["otel"];
    if (!otel.is_object()) otel = json::object{};
    otel.get_object()["traces"] = std::move(traces);
    return outcome;
  }

  std::optional<mcp::Outcome> through_gateway(const jsonrpc::Request& request) {
    json::object params = json::as_object_or_empty(request.params);
    // The front's own request for passback decides only what the front gets back; the proxy
    // asks the back itself, for the whole tree when either wants it.
    bool front_asked = false, detailed = roles_.options.detailed;
    if (const json::object* traces = requested_traces(params)) {
      front_asked = json::find_bool(*traces, "request").value_or(false);
      detailed = detailed || (front_asked && json::find_bool(*traces, "detailed").value_or(false));
    }
    json::value& meta_value = params["_meta"];
    if (!meta_value.is_object()) meta_value = json::object{};
    meta_value.get_object()["otel"] =
        json::object{{"traces", json::object{{"request", true}, {"detailed", detailed}}}};

    mcp::OutgoingRequest outgoing{.method = request.method, .params = std::move(params)};
    bool cancelled = false;
    auto send = [&](mcp::OutgoingRequest& q) -> mcp::Outcome {
      if (q.options.on_request_id) q.options.on_request_id(request.id);
      std::optional<mcp::Outcome> outcome =
          through_sidecar(jsonrpc::Request{request.id, q.method, q.params});
      if (!outcome) {
        cancelled = true;
        return jsonrpc::Error{jsonrpc::error_code::kRequestCancelled, "cancelled", nullptr};
      }
      return std::move(*outcome);
    };
    mcp::StitchedTrace stitched;
    t_stitched = &stitched;
    mcp::Outcome outcome = roles_.gateway->middleware()(outgoing, send);
    t_stitched = nullptr;
    if (cancelled) return std::nullopt;

    // What the back passed back was for the proxy; the front sees it only if it asked, and
    // then as checked: the proxy's CLIENT span with the accepted spans under it (C3-C5).
    json::object& meta = mcp::outcome_meta(outcome);
    const json::object* back_otel = json::find_object(meta, "otel");
    const json::object* back_traces = back_otel ? json::find_object(*back_otel, "traces") : nullptr;
    if (front_asked) {
      trace::TracesData checked;
      checked.resource_spans.push_back(
          {stitched.client_resource, {{stitched.client_scope, {stitched.client_span}, {}}}, {}});
      for (auto& rs : stitched.server_spans) checked.resource_spans.push_back(std::move(rs));
      json::object traces = trace::encode_otlp_json(checked);
      traces["truncated"] =
          stitched.report.discarded ||
          (back_traces && json::find_bool(*back_traces, "truncated").value_or(false));
      traces["droppedSpanCount"] =
          stitched.report.server_dropped_span_count + stitched.report.dropped_span_count();
      json::object policy = stitched.report.server_policy;
      if (!stitched.report.reason.empty()) policy["proxyReason"] = stitched.report.reason;
      if (!policy.empty()) traces["policy"] = std::move(policy);
      meta["otel"] = json::object{{"traces", std::move(traces)}};
    } else {
      meta.erase("otel");
    }
    strip_empty_meta(outcome);
    return outcome;
  }

  // outcome_meta creates _meta; leave no empty one where the back sent none.
  static void strip_empty_meta(mcp::Outcome& outcome) {
    json::value* holder = nullptr;
    if (outcome.index() == 0)
      holder = &std::get<0>(outcome);
    else
      holder = &std::get<1>(outcome).data;
    if (!holder->is_object()) return;
    json::object& o = holder->get_object();
    if (const json::object* meta = json::find_object(o, "_meta"); meta && meta->empty())
      o.erase("_meta");
    if (outcome.index() == 1 && o.empty()) *holder = nullptr;
  }

  void forget(std::map<Id, InFlight>::iterator it) {  // with mutex_ held
    for (auto p = progress_.begin(); p != progress_.end();) {
      if (p->second == it->first)
        p = progress_.erase(p);
      else
        ++p;
    }
    in_flight_.erase(it);
  }

  jsonrpc::Error closed_error() const {
    return {jsonrpc::error_code::kConnectionClosed,
            back_failed_ ? "glassbox proxy: the server closed the connection (it exited or crashed)"
                         : "glassbox proxy: shutting down (the client closed its connection)",
            nullptr};
  }

  void answer_closed(const Id& id) {
    {
      std::lock_guard lock(mutex_);
      auto it = in_flight_.find(id);
      if (it == in_flight_.end()) return;
      forget(it);
    }
    front_->send(jsonrpc::ErrorResponse{id, closed_error()}, {.related_request = id});
  }

  void back_closed() {
    std::map<Id, InFlight> pending;
    {
      std::lock_guard lock(mutex_);
      if (back_closed_) return;
      back_closed_ = true;
      back_failed_ = !front_closed_;
      pending.swap(in_flight_);
      progress_.clear();
    }
    if (!front_closed_now()) {  // a back that closes after the front did is expected
      log("the server closed the connection (it exited or crashed); " +
          std::to_string(pending.size()) + " request(s) in flight answered with an error");
    }
    for (auto& [id, entry] : pending) {
      if (entry.answer)
        entry.answer->set_value(closed_error());
      else
        front_->send(jsonrpc::ErrorResponse{id, closed_error()}, {.related_request = id});
    }
    // The front closes once the calls taken over have sent their answers (take_over closes it
    // after the last one).
    bool close_front = false;
    {
      std::lock_guard lock(mutex_);
      close_front = workers_ == 0;
      done_.notify_all();
    }
    if (close_front) front_->close();
  }

  bool front_closed_now() {
    std::lock_guard lock(mutex_);
    return front_closed_;
  }

  void front_closed() {
    {
      std::lock_guard lock(mutex_);
      front_closed_ = true;
    }
    // The child gets end of input, then SIGTERM if it lingers (MCP stdio); a port of the shared
    // back cancels what this front still had in flight.
    if (auto back = back_of()) back->close();
    std::lock_guard lock(mutex_);
    done_.notify_all();
  }

  Roles& roles_;
  std::shared_ptr<transport::Transport> front_;
  std::shared_ptr<transport::Transport> back_;  // set once (at once, or by choose_back)
  BackChooser choose_back_;                     // the front's reader thread only
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::map<Id, InFlight> in_flight_;
  std::map<std::string, Id> progress_;  // serialized progressToken -> its request
  std::size_t workers_ = 0;
  bool front_closed_ = false;
  bool back_closed_ = false;
  std::atomic<bool> back_failed_{false};  // the back closed first: it exited or crashed
};

int serve_stdio_front(Roles& roles) {
  std::shared_ptr<transport::Transport> back;
  try {
    back = roles.open_back();
  } catch (const std::exception& e) {
    log(std::string("cannot start the server: ") + e.what());
    return kExitFailure;
  }
  auto session = std::make_shared<ProxySession>(
      roles, transport::make_stdio_transport({.ordered_delivery = true}), back);
  session->start();
  session->wait();
  bool failed = session->back_failed();
  session->close();
  return failed ? kExitFailure : kExitOk;
}

// `stop_signals` are blocked in every thread (run_proxy blocks them before it starts any), so
// that SIGINT/SIGTERM reach only the sigwait below.
//
// A 2025-11-25 session gets a back of its own. A sessionless POST (2026-07-28; the transport
// gives its messages no session id) shares the one back of SharedBack, so that every such request
// reaches the same server: one child for them all, and a multi-round call's retry reaches the
// process that sealed its requestState.
int serve_http_front(Roles& roles, const std::string& host, std::uint16_t port,
                     sigset_t stop_signals) {
  auto shared = std::make_shared<SharedBack>([&roles] { return roles.open_back(); });
  BackChooser choose = [&roles, shared](const transport::MessageContext& context) {
    return context.session_id ? roles.open_back() : shared->port();
  };
  std::mutex mutex;
  std::list<std::shared_ptr<ProxySession>> sessions;
  transport::HttpServer http({.host = host, .port = port, .endpoint = "/mcp"},
                             [&](std::shared_ptr<transport::Transport> front) {
                               auto session =
                                   std::make_shared<ProxySession>(roles, std::move(front), choose);
                               session->start();
                               std::lock_guard lock(mutex);
                               sessions.remove_if([](const auto& s) { return s->finished(); });
                               sessions.push_back(std::move(session));
                             });
  http.start();
  log("listening on " + http.url());
  int signal_number = apps::wait_for_stop_signal(stop_signals);
  log(signal_number == SIGINT ? "SIGINT, shutting down" : "SIGTERM, shutting down");
  http.stop();
  http.wait();
  std::lock_guard lock(mutex);
  for (auto& session : sessions) session->close();
  for (auto& session : sessions) session->wait();
  shared->close();
  return kExitOk;
}

}  // namespace

int run_proxy(const ProxyCommandOptions& options, const ServerTarget& target) {
  if (options.passback_from_otlp && target.command.empty()) {
    log("--passback-from-otlp needs a stdio server (-- COMMAND...): the proxy starts it");
    return kExitUsage;
  }
  std::optional<std::pair<std::string, std::uint16_t>> address;
  if (!options.http.empty()) {
    address = collector::parse_listen_address(options.http);
    if (!address) {
      log("--http wants HOST:PORT (127.0.0.1:8080), not '" + options.http + "'");
      return kExitUsage;
    }
  }
  // Before any thread starts (the exporter's queue, the sidecar, the client telemetry): a thread
  // that had SIGTERM unblocked would take it, and its default action, instead of the sigwait.
  std::optional<sigset_t> stop_signals;
  if (address) stop_signals = apps::block_stop_signals();
  try {
    Roles roles{.options = options,
                .target = target,
                .calls = std::make_unique<mcp::WorkerPool>(options.max_calls)};
    std::shared_ptr<transport::OtlpHttpExporter> exporter =
        make_command_exporter(options.otlp_endpoint, options.otlp_protocol);
    if (exporter) {
      // One queue for every span the proxy exports (the gateway's stitched traces, the
      // sidecar's child spans), in batches: one request per kExportBatchDelay, not per call.
      roles.export_queue = std::make_shared<mcp::TelemetryForwarder>(mcp::TelemetryForwarderOptions{
          .exporter = exporter, .max_queued_spans = 65536, .batch_delay = kExportBatchDelay});
    }
    if (options.passback_from_otlp) {
      roles.sidecar = std::make_unique<Sidecar>(
          SidecarOptions{.wait = options.passback_wait, .forward = roles.export_queue});
      roles.sidecar->start();
    }
    if (exporter) {
      trace::Resource defaults;
      defaults.set("service.name", "glassbox-proxy");
      defaults.set("service.version", "0.1.0");
      trace::TracerProviderOptions provider_options;
      provider_options.resource = trace::resource_from_environment(std::move(defaults));
      roles.provider = std::make_shared<trace::TracerProvider>(std::move(provider_options));
      std::shared_ptr<mcp::TelemetryForwarder> queue = roles.export_queue;
      bool sidecar = options.passback_from_otlp;
      // The stitched trace goes out through the proxy's queue (C7), not a forwarder of the
      // client telemetry's own: one thread and one batch for both roles.
      roles.gateway = std::make_shared<mcp::ClientTelemetry>(mcp::ClientTelemetryOptions{
          .passback = mcp::PassbackMode::always,
          .detailed = options.detailed,
          .provider = roles.provider,
          .on_trace =
              [queue, sidecar](const mcp::StitchedTrace& t) {
                trace::TracesData job;
                job.resource_spans.push_back(
                    {t.client_resource, {{t.client_scope, {t.client_span}, {}}}, {}});
                // With the sidecar, every span of the child already goes out (S13): the
                // gateway exports only its CLIENT span, so that no span is sent twice.
                if (!sidecar) {
                  for (const auto& rs : t.server_spans) job.resource_spans.push_back(rs);
                }
                queue->enqueue(std::move(job));
                if (t_stitched) *t_stitched = t;
              },
      });
    }
    int code = address ? serve_http_front(roles, address->first, address->second, *stop_signals)
                       : serve_stdio_front(roles);
    if (roles.gateway) roles.gateway->force_flush();
    if (roles.export_queue) roles.export_queue->flush(std::chrono::seconds(5));
    // Cuts short an export still waiting to retry: the proxy is leaving.
    if (exporter) exporter->shutdown();
    if (exporter && exporter->stats().failed_spans > 0) {
      log(std::to_string(exporter->stats().failed_spans) + " span(s) could not be exported to " +
          exporter->options().endpoint + ": " + exporter->last_error());
    }
    if (roles.sidecar) {
      SidecarStats stats = roles.sidecar->stats();
      if (stats.late_spans > 0 || stats.unmatched_spans > 0) {
        log(std::to_string(stats.received_spans) + " span(s) received from the server, " +
            std::to_string(stats.late_spans) + " late, " + std::to_string(stats.unmatched_spans) +
            " outside any call");
      }
    }
    return code;
  } catch (const std::exception& e) {
    log(e.what());
    return kExitFailure;
  }
}

}  // namespace glassbox::cli
