#include "mcp/session.hpp"

#include "glassbox/json/non_finite.hpp"
#include "glassbox/mcp/request_context.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace glassbox::mcp {

Session::Session(std::shared_ptr<transport::Transport> transport, std::weak_ptr<WorkerPool> pool,
                 Dispatch dispatch, NotificationHandler on_notification)
    : transport_(std::move(transport)),
      pool_(std::move(pool)),
      dispatch_(std::move(dispatch)),
      notification_handler_(std::move(on_notification)) {}

Session::~Session() {
  transport_->close();
  end_async();
}

void Session::start(std::function<void()> on_finished) {
  if (on_finished) {
    on_finished_ = std::make_shared<const std::function<void()>>(std::move(on_finished));
  }
  std::weak_ptr<Session> weak = weak_from_this();
  transport_callbacks_ = std::make_shared<const transport::Callbacks>(transport::Callbacks{
      .on_message =
          [weak](jsonrpc::Message message, transport::MessageContext context) {
            if (auto self = weak.lock()) self->on_message(std::move(message), std::move(context));
          },
      .on_close =
          [weak] {
            if (auto self = weak.lock()) self->on_input_closed();
          },
  });
  restart();
}

void Session::restart() {
  transport_->start_shared(transport_callbacks_);
}

void Session::reset(std::shared_ptr<transport::Transport> transport) {
  end_async();  // as ~Session: asynchronous requests still waiting complete, the timer stops
  std::shared_ptr<transport::Transport> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(transport_, std::move(transport));
    pending_.clear();
    in_flight_.clear();
    answering_ = 0;
    next_id_ = 0;
    input_closed_.store(false);
    closed_ = false;
    finished_taken_ = false;
    peer_capabilities_ = json::object{};
    peer_info_ = Implementation{};
    protocol_version_.clear();
    log_level_.reset();
    subscriptions_.clear();
    // A token handed out before (subscriptions/listen) stays stopped; the next input gets its
    // own.
    input_closed_source_ = std::stop_source(std::nostopstate);
  }
  old->close();
}

void Session::on_message(jsonrpc::Message message, transport::MessageContext context) {
  switch (message.index()) {
    case 0:
      on_request(std::get<jsonrpc::Request>(std::move(message)), std::move(context));
      break;
    case 1:
      on_notification(std::get<jsonrpc::Notification>(message));
      break;
    case 2: {
      auto& r = std::get<jsonrpc::Response>(message);
      on_answer(r.id, std::move(r.result));
      break;
    }
    default: {
      auto& e = std::get<jsonrpc::ErrorResponse>(message);
      if (e.id) on_answer(*e.id, std::move(e.error));
      break;
    }
  }
}

void Session::on_request(jsonrpc::Request request, transport::MessageContext context) {
  std::shared_ptr<WorkerPool> pool = pool_.lock();
  if (!pool) {
    transport_->send(jsonrpc::ErrorResponse{
        request.id, {jsonrpc::error_code::kInternalError, "shutting down", nullptr}});
    return;
  }
  std::stop_source stop;
  {
    std::lock_guard lock(mutex_);
    bool added = false;
    if (spare_in_flight_.empty()) {
      added = in_flight_.emplace(request.id, stop).second;
    } else if (!in_flight_.contains(request.id)) {
      spare_in_flight_.key() = request.id;
      spare_in_flight_.mapped() = stop;
      added = in_flight_.insert(std::move(spare_in_flight_)).inserted;
    }
    if (!added) {
      transport_->send(
          jsonrpc::ErrorResponse{request.id,
                                 {jsonrpc::error_code::kInvalidRequest,
                                  "a request with this id is already in flight", nullptr}});
      return;
    }
  }
  auto task = [self = shared_from_this(), request = std::move(request),
               context = std::move(context), token = stop.get_token()]() mutable {
    self->run_request(std::move(request), std::move(context), token);
  };
  // A transport that keeps reading while a callback runs lets the request run right here: no
  // hand-off to a worker, which is most of the cost of a quick call.
  if (transport_->callbacks_may_block()) {
    task();
  } else {
    pool->post(std::move(task));
  }
}

namespace {

// A progressToken is a string or a number (MCP); 1e400 reads as an infinity, which no JSON
// writer can echo.
std::optional<std::string> bad_progress_token(const json::object& meta) {
  auto it = meta.find("progressToken");
  if (it == meta.end()) return std::nullopt;
  const json::value& t = it->value();
  if (t.is_string() || t.is_int64() || t.is_uint64()) return std::nullopt;
  if (t.is_double() && std::isfinite(t.get_double())) return std::nullopt;
  return std::string("_meta.progressToken must be a string or a finite number");
}

}  // namespace

void Session::run_request(jsonrpc::Request request, transport::MessageContext context,
                          std::stop_token token) {
  jsonrpc::Id id = request.id;
  Outcome outcome;
  std::optional<jsonrpc::RawMember> raw;  // passback's payload text, spliced into the result
  {
    // The context looks params._meta up once; the check reads it there.
    RequestContext ctx(shared_from_this(), std::move(request), std::move(context),
                       std::move(token));
    if (auto problem = bad_progress_token(ctx.meta())) {
      // Refused where it enters: it would be echoed in every progress notification.
      outcome = jsonrpc::Error{jsonrpc::error_code::kInvalidParams, std::move(*problem), nullptr};
    } else {
      outcome = invoke_handler(dispatch_, ctx);
      raw = take_raw_result_member(ctx);
    }
  }
  bool cancelled = false;
  {
    // The id is free again before its answer goes out: a client may reuse it as soon as it has
    // the answer. Until the answer is written, `answering_` holds off the drain.
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(id);
    cancelled = it != in_flight_.end() && it->second.stop_requested();
    if (it != in_flight_.end() && spare_in_flight_.empty()) {
      spare_in_flight_ = in_flight_.extract(it);
      spare_in_flight_.mapped() = std::stop_source(std::nostopstate);
    } else if (it != in_flight_.end()) {
      in_flight_.erase(it);
    }
    ++answering_;
  }
  // A request the client cancelled gets no response (MCP cancellation).
  if (!cancelled) {
    transport::SendOptions options{.related_request = id};
    if (outcome.index() == 0) {
      // What no JSON reader could take never goes out (tools/call maps it to an isError result
      // first; this is every other method's guard).
      if (auto at = json::find_non_finite(std::get<0>(outcome))) {
        outcome = jsonrpc::Error{
            jsonrpc::error_code::kInternalError,
            "the result holds a non-finite number at " + *at + ", which JSON cannot carry",
            nullptr};
      }
    }
    if (outcome.index() == 0) {
      transport_->send(jsonrpc::Response{id, std::move(std::get<0>(outcome)), std::move(raw)},
                       options);
    } else {
      transport_->send(jsonrpc::ErrorResponse{id, std::move(std::get<1>(outcome))}, options);
    }
  }
  finish_request();
}

void Session::finish_request() {
  std::shared_ptr<const std::function<void()>> finished;
  {
    std::lock_guard lock(mutex_);
    --answering_;
    // Only the last answer after end of input can satisfy wait_until_drained(); waking its
    // waiter after every request would cost a context switch per call.
    if (input_closed_.load() && in_flight_.empty() && answering_ == 0) drained_.notify_all();
    finished = take_finished_locked();
  }
  if (finished) (*finished)();
}

std::shared_ptr<const std::function<void()>> Session::take_finished_locked() {
  if (!input_closed_.load() || !in_flight_.empty() || answering_ > 0 || finished_taken_) return {};
  finished_taken_ = true;
  return on_finished_;
}

void Session::on_notification(const jsonrpc::Notification& n) {
  const json::object& params = json::as_object_or_empty(n.params);
  if (n.method == "notifications/cancelled") {
    auto it = params.find("requestId");
    if (it == params.end()) return;
    std::optional<jsonrpc::Id> id;
    if (it->value().is_int64()) id = it->value().get_int64();
    if (it->value().is_string()) id = std::string(it->value().get_string());
    if (!id) return;
    std::lock_guard lock(mutex_);
    if (auto f = in_flight_.find(*id); f != in_flight_.end()) f->second.request_stop();
    return;
  }
  if (n.method == "notifications/progress") {
    auto token = params.find("progressToken");
    if (token == params.end() || !token->value().is_int64()) return;
    std::shared_ptr<Pending> pending;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(jsonrpc::Id{token->value().get_int64()});
      if (it != pending_.end()) pending = it->second;
    }
    if (pending && pending->on_progress) {
      ProgressUpdate update;
      update.progress = json::find_number(params, "progress").value_or(0);
      update.total = json::find_number(params, "total");
      if (const json::string* m = json::find_string(params, "message"))
        update.message = std::string(*m);
      if (const json::object* meta = json::find_object(params, "_meta")) update.meta = *meta;
      pending->on_progress(update);
    }
    return;
  }
  if (notification_handler_) notification_handler_(*this, n);
}

void Session::add_pending_locked(jsonrpc::Id id, std::shared_ptr<Pending> pending) {
  if (spare_node_.empty()) {
    pending_.emplace(std::move(id), std::move(pending));
    return;
  }
  spare_node_.key() = std::move(id);
  spare_node_.mapped() = std::move(pending);
  pending_.insert(std::move(spare_node_));
}

std::shared_ptr<Session::Pending> Session::take_pending_locked(PendingMap::iterator it) {
  std::shared_ptr<Pending> pending = std::move(it->second);
  if (spare_node_.empty()) {
    spare_node_ = pending_.extract(it);
  } else {
    pending_.erase(it);
  }
  return pending;
}

void Session::on_answer(const jsonrpc::Id& id, Outcome outcome) {
  std::shared_ptr<Pending> pending;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // late answer to a timed-out request, or unknown id
    pending = take_pending_locked(it);
  }
  complete_taken(pending, id, std::move(outcome));
}

void Session::on_input_closed() {
  std::map<jsonrpc::Id, std::shared_ptr<Pending>> pending;
  std::shared_ptr<const std::function<void()>> finished;
  std::stop_source input_closed;  // none when no token was asked for: nothing to stop
  {
    std::lock_guard lock(mutex_);
    input_closed_.store(true);
    pending.swap(pending_);
    drained_.notify_all();
    finished = take_finished_locked();
    input_closed = input_closed_source_;
  }
  for (auto& [id, p] : pending) {
    complete_taken(
        p, id,
        jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr});
  }
  input_closed.request_stop();
  if (finished) (*finished)();
}

std::stop_token Session::input_closed_token() const {
  std::lock_guard lock(mutex_);
  if (!input_closed_source_.stop_possible()) {
    input_closed_source_ = std::stop_source();
    // Asked after the input ended: on_input_closed() had no source to stop.
    if (input_closed_.load()) input_closed_source_.request_stop();
  }
  return input_closed_source_.get_token();
}

std::chrono::steady_clock::time_point Session::deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() +
         std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24 * 365));
}

bool Session::write_request(const jsonrpc::Id& id, std::string_view method, json::object& params,
                            const RequestOptions& options) {
  if (options.on_request_id) options.on_request_id(id);
  if (options.on_progress) {
    json::value& meta = params["_meta"];
    if (!meta.is_object()) meta = json::object{};
    meta.get_object()["progressToken"] = std::get<0>(id);
  }
  transport::HeaderList headers;
  if (header_hook_ && transport_->carries_headers()) headers = header_hook_(method, params);
  jsonrpc::Message message = jsonrpc::Request{id, std::string(method), std::move(params)};
  const bool sent = transport_->send(
      message, {.related_request = options.related_request, .headers = std::move(headers)});
  params = std::move(std::get<jsonrpc::Request>(message).params.as_object());  // handed back
  return sent;
}

Outcome Session::request(std::string_view method, json::object params,
                         const RequestOptions& options) {
  return request_lending(method, params, options);
}

Outcome Session::request_lending(std::string_view method, json::object& params,
                                 const RequestOptions& options) {
  auto pending = std::make_shared<Pending>();
  pending->on_progress = options.on_progress;
  jsonrpc::Id id;
  {
    std::lock_guard lock(mutex_);
    if (input_closed_.load() || closed_) {
      return jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr};
    }
    id = next_id_++;
    add_pending_locked(id, pending);
  }
  if (!write_request(id, method, params, options)) {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
    return jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr};
  }
  // Takes the request out of pending_ (false: its answer came first) and tells the peer.
  auto abandon = [&](std::string_view reason) {
    std::shared_ptr<Pending> taken;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return std::shared_ptr<Pending>();
      taken = take_pending_locked(it);
    }
    notify("notifications/cancelled", {{"requestId", jsonrpc::to_json(id)}, {"reason", reason}},
           options.related_request);
    return taken;
  };
  std::optional<std::stop_callback<std::function<void()>>> on_cancel;
  if (options.cancel.stop_possible()) {
    on_cancel.emplace(options.cancel, std::function<void()>([&] {
                        if (auto taken = abandon("cancelled")) {
                          taken->complete(jsonrpc::Error{jsonrpc::error_code::kRequestCancelled,
                                                         "request cancelled", nullptr});
                        }
                      }));
  }
  // A lone caller reads its answer itself when it can (no reader thread to wake, then wake it);
  // not when a cancel may answer it from another thread. Else the answer arrives through this
  // transport's reader: when this thread is that reader, reading must move elsewhere while it
  // waits.
  auto deadline = deadline_after(options.timeout);
  waiting_->fetch_add(1);
  if (!options.cancel.stop_possible()) {
    pending->read_wait.waiting = waiting_;
    transport_->read_on_caller({.wait = std::shared_ptr<const transport::Transport::CallerWait>(
                                    pending, &pending->read_wait),
                                .deadline = deadline});
  }
  // A wait is coming (this may be the reader's thread, in a handler): reading moves elsewhere.
  if (!pending->answered.load()) transport_->will_block();
  auto wait_for_answer = [&] {
    std::unique_lock lock(pending->answer_mutex);
    return pending->answer_cv.wait_until(lock, deadline,
                                         [&] { return pending->answer.has_value(); });
  };
  // The answer read on this thread is in already: no lock, no wait.
  const bool in_time = pending->answered.load() || wait_for_answer();
  waiting_->fetch_sub(1);
  if (!in_time && abandon("timed out")) {
    return jsonrpc::Error{
        jsonrpc::error_code::kRequestTimeout,
        "request timed out after " + std::to_string(options.timeout.count()) + " ms", nullptr};
  }
  // Timed out, but answered meanwhile: the answer is on its way (whoever took the request out of
  // pending_ completes it).
  if (!in_time) {
    std::unique_lock lock(pending->answer_mutex);
    pending->answer_cv.wait(lock, [&] { return pending->answer.has_value(); });
  }
  on_cancel.reset();  // before `abandon` and `pending` go out of scope
  // Seen complete (answered, or under answer_mutex): nobody writes the answer again.
  return std::move(*pending->answer);
}

bool Session::notify(std::string_view method, json::object params,
                     const std::optional<jsonrpc::Id>& related_request) {
  transport::HeaderList headers;
  if (header_hook_ && transport_->carries_headers()) headers = header_hook_(method, params);
  json::value p = params.empty() ? json::value(nullptr) : json::value(std::move(params));
  return transport_->send(jsonrpc::Notification{std::string(method), std::move(p)},
                          {.related_request = related_request, .headers = std::move(headers)});
}

void Session::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, stop] : in_flight_) stop.request_stop();
  }
  transport_->close();
  fail_async_pending();
}

void Session::wait_until_drained() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock,
                [&] { return input_closed_.load() && in_flight_.empty() && answering_ == 0; });
}

void Session::set_peer(json::object capabilities, Implementation info,
                       std::string protocol_version) {
  std::lock_guard lock(mutex_);
  peer_capabilities_ = std::move(capabilities);
  peer_info_ = std::move(info);
  protocol_version_ = std::move(protocol_version);
}
json::object Session::peer_capabilities() const {
  std::lock_guard lock(mutex_);
  return peer_capabilities_;
}
bool Session::initialized() const {
  std::lock_guard lock(mutex_);
  return !protocol_version_.empty();
}
std::string Session::protocol_version() const {
  std::lock_guard lock(mutex_);
  return protocol_version_;
}
std::optional<LogLevel> Session::log_level() const {
  std::lock_guard lock(mutex_);
  return log_level_;
}
void Session::set_log_level(LogLevel level) {
  std::lock_guard lock(mutex_);
  log_level_ = level;
}
void Session::subscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.insert(uri);
}
void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(uri);
}
bool Session::subscribed(const std::string& uri) const {
  std::lock_guard lock(mutex_);
  return subscriptions_.count(uri) > 0;
}

}  // namespace glassbox::mcp
