// Streamable HTTP client (MCP 2025-11-25) on Asio + Beast with C++20 coroutines: lifecycle,
// delivery, the POST side and authorization. Connections are http_client_connection.cpp, the
// SSE and GET side http_client_stream.cpp (see http_client_impl.hpp).
#include "glassbox/transport/http_client.hpp"

#include "transport/http_client_impl.hpp"
#include "transport/http_common.hpp"
#include "transport/sse.hpp"

#include "glassbox/json/ascii.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <variant>

namespace glassbox::transport {

namespace http_detail {

namespace {

constexpr std::size_t kErrorBodyBytes = 64 * 1024;

}  // namespace

jsonrpc::ErrorResponse transport_error(const std::string& key_json, int code, std::string message,
                                       json::value data) {
  jsonrpc::ErrorResponse e;
  // Recover the id from its canonical text: a number or a JSON string.
  if (auto v = json::parse(key_json)) {
    if (v->is_int64()) {
      e.id = v->as_int64();
    } else if (v->is_string()) {
      e.id = std::string(v->as_string());
    }
  }
  e.error = jsonrpc::Error{code, std::move(message), std::move(data)};
  return e;
}

Target parse_target(const std::string& url) {
  std::string error;
  std::optional<HttpUrl> parsed = parse_http_url(url, error);
  if (!parsed) throw std::invalid_argument(error + " '" + url + "'");
  return std::move(*parsed);
}

void HttpClientImpl::start(Callbacks callbacks) {
  if (started_.exchange(true)) return;
  callbacks_ = std::move(callbacks);
  work_.emplace(io_.get_executor());
  // The thread keeps the impl alive: the transport may be destroyed on this very thread.
  thread_ = std::thread([self = shared_from_this()] { self->run_io_thread(); });
  thread_id_ = thread_.get_id();
}

bool HttpClientImpl::send(const jsonrpc::Message& message, HeaderList headers) {
  if (closed_.load() || !started_.load()) return false;
  Outgoing out{.body = jsonrpc::serialize(message), .headers = std::move(headers)};
  if (const auto* r = std::get_if<jsonrpc::Request>(&message)) {
    out.key = jsonrpc::to_string(r->id);
    out.initialize = r->method == "initialize";
  } else if (const auto* n = std::get_if<jsonrpc::Notification>(&message)) {
    out.initialized = n->method == "notifications/initialized";
    out.cancel = n->method == "notifications/cancelled";
    const json::value* id =
        out.cancel ? json::as_object_or_empty(n->params).if_contains("requestId") : nullptr;
    if (id != nullptr && (id->is_int64() || id->is_string())) {
      out.cancel_key =
          jsonrpc::to_string(id->is_int64() ? jsonrpc::Id(id->get_int64())
                                            : jsonrpc::Id(std::string(id->get_string())));
    }
  }
  net::post(io_, [self = shared_from_this(), out = std::move(out)]() mutable {
    if (self->closing_) return;
    net::co_spawn(self->io_, self->post_message(std::move(out)), net::detached);
  });
  return true;
}

void HttpClientImpl::close() {
  if (closed_.exchange(true)) return;
  // A person may be in the middle of logging in for a refused request: nobody wants it now.
  if (options_.authorizer) options_.authorizer->cancel();
  if (!started_.load()) return;
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  net::post(io_, [self = shared_from_this(), done] {
    net::co_spawn(self->io_, self->shutdown(done), net::detached);
  });
  resume_io_thread();
  if (!runs_io_here()) {
    finished.wait_for(options_.delete_timeout + options_.connect_timeout + std::chrono::seconds(1));
  }
}

void HttpClientImpl::release() {
  close();
  join_auth_threads();
  if (!started_.load()) return;
  std::unique_lock lock(lead_mutex_);
  ended_ = true;
  standby_cv_.notify_all();
  if (std::this_thread::get_id() == thread_id_) {
    lock.unlock();
    io_.stop();
    thread_.detach();
  } else {
    // The reads and waits that shutdown() cut short complete now and end their coroutines,
    // which hold this object: let the I/O thread run them out (bounded; whatever is still
    // pending after that is abandoned).
    standby_cv_.wait_for(lock, kReleaseDrain, [&] { return io_ran_out_; });
    lock.unlock();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
}

void HttpClientImpl::deliver(jsonrpc::Message message) {
  if (close_delivered_) return;
  if (auto* r = std::get_if<jsonrpc::Response>(&message)) {
    std::string key = jsonrpc::to_string(r->id);
    if (initialize_key_ && key == *initialize_key_) {
      // The negotiated version goes on every later request (MCP-Protocol-Version).
      if (const auto* v =
              json::find_string(json::as_object_or_empty(r->result), "protocolVersion")) {
        protocol_version_ = std::string(*v);
      }
      initialize_key_.reset();
    }
    pending_.erase(key);
  } else if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&message)) {
    if (e->id) pending_.erase(jsonrpc::to_string(*e->id));
  }
  MessageContext context;
  context.protocol_version = protocol_version_;
  context.session_id = session_id_;
  if (callbacks_.on_message) {
    try {
      callbacks_.on_message(std::move(message), std::move(context));
    } catch (...) {
    }
  }
}

void HttpClientImpl::finish_close() {
  if (close_delivered_) return;
  close_delivered_ = true;
  if (callbacks_.on_close) {
    try {
      callbacks_.on_close();
    } catch (...) {
    }
  }
}

void HttpClientImpl::session_lost() {
  if (closing_) return;
  closed_ = true;
  closing_ = true;
  session_id_.reset();
  for (Connection* c : active_) c->close();
  wake_auth_waiters();
  idle_.clear();
  finish_close();
  work_.reset();
}

void HttpClientImpl::start_helper(std::shared_ptr<AuthWait> wait,
                                  std::function<transport::HttpChallengeAnswer()> work) {
  std::weak_ptr<HttpClientImpl> weak = weak_from_this();
  std::lock_guard lock(auth_threads_mutex_);
  auth_threads_.emplace_back([weak, wait = std::move(wait), work = std::move(work)] {
    transport::HttpChallengeAnswer answer;
    try {
      answer = work();
    } catch (const std::exception& e) {
      answer = {.retry = false, .reason = e.what()};
    } catch (...) {
      answer = {.retry = false, .reason = "the authorizer failed"};
    }
    if (auto self = weak.lock()) {
      net::post(self->io_, [wait, answer = std::move(answer)]() mutable {
        wait->answer = std::move(answer);
        wait->done = true;
        if (wait->timer) wait->timer->cancel();
      });
    }
  });
}

net::awaitable<transport::HttpChallengeAnswer> HttpClientImpl::run_blocking(
    std::function<transport::HttpChallengeAnswer()> work) {
  auto wait = std::make_shared<AuthWait>();
  net::steady_timer timer(io_, net::steady_timer::time_point::max());
  wait->timer = &timer;
  auth_waits_.insert(wait);
  start_helper(wait, std::move(work));
  while (!wait->done && !closing_) co_await timer.async_wait(kTuple);
  wait->timer = nullptr;
  auth_waits_.erase(wait);
  if (!wait->done) co_return transport::HttpChallengeAnswer{.reason = "the transport closed"};
  co_return std::move(wait->answer);
}

std::string HttpClientImpl::www_authenticate(const http::response<http::buffer_body>& res) {
  std::string joined;
  for (auto [it, end] = res.equal_range(http::field::www_authenticate); it != end; ++it) {
    if (!joined.empty()) joined += ", ";
    joined += std::string(it->value());
  }
  return joined;
}

void HttpClientImpl::join_auth_threads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(auth_threads_mutex_);
    threads.swap(auth_threads_);
  }
  for (std::thread& t : threads) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
}

bool HttpClientImpl::cancel_by_closing(const Outgoing& out) {
  if (!out.cancel) return false;
  bool sessionless = std::any_of(out.headers.begin(), out.headers.end(), [](const auto& h) {
    return json::ascii_iequals(h.first, "MCP-Protocol-Version");
  });
  if (!sessionless) return false;
  if (!out.cancel_key) return true;  // nothing to close
  const std::string& key = *out.cancel_key;
  if (!pending_.erase(key)) return true;  // already answered
  if (auto it = streaming_.find(key); it != streaming_.end()) {
    it->second->close();
  } else {
    cancelled_.insert(key);  // its stream has not begun: closed as soon as it does
  }
  return true;
}

net::awaitable<void> HttpClientImpl::post_message(Outgoing out) {
  if (cancel_by_closing(out)) co_return;
  if (!out.initialized) {
    while (initialized_in_flight_ && !closing_) co_await initialized_gate_.async_wait(kTuple);
    if (!closing_) co_await post_one(std::move(out));
    co_return;
  }
  initialized_in_flight_ = true;
  try {
    co_await post_one(std::move(out));
  } catch (...) {
    initialized_in_flight_ = false;
    initialized_gate_.cancel();
    throw;
  }
  initialized_in_flight_ = false;
  initialized_gate_.cancel();
}

net::awaitable<void> HttpClientImpl::post_one(Outgoing out) {
  auto self = shared_from_this();
  const std::optional<std::string>& key = out.key;
  const HeaderList& headers = out.headers;
  if (key) {
    pending_.insert(*key);
    if (out.initialize) {
      initialize_key_ = key;
      session_id_.reset();
      protocol_version_.reset();
    }
  }
  const bool is_initialized_notice = out.initialized;
  bool is_initialize = key && initialize_key_ && *key == *initialize_key_;

  const std::string& body_text = out.body;
  std::unique_ptr<Parser> parser_owner;
  std::unique_ptr<Connection> c;
  boost::system::error_code ec;
  std::string auth_note;  // why a 401/403 is final, for the error message
  // A 401/403 goes to the authorizer; while it says retry, the same message goes again.
  for (std::size_t attempt = 0;; ++attempt) {
    co_await refresh_if_due();
    if (closing_) co_return;
    std::string sent_token;
    auto req = make_request(http::verb::post, &sent_token);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json, text/event-stream");
    req.body() = body_text;
    req.prepare_payload();
    c = co_await exchange(req, parser_owner, ec);
    if (!c || !is_challenge(parser_owner->get().result_int())) break;
    if (attempt >= options_.max_auth_retries) {
      auth_note = " (still refused after " + std::to_string(attempt) + " authorizations)";
      break;
    }
    transport::HttpChallenge challenge{.status = static_cast<int>(parser_owner->get().result_int()),
                                       .www_authenticate = www_authenticate(parser_owner->get()),
                                       .sent_token = sent_token,
                                       .url = options_.url,
                                       .attempt = attempt};
    std::string refusal;
    {
      Track track(this, c.get());
      bool complete = false;
      refusal = co_await read_small_body(*c, *parser_owner, kErrorBodyBytes, complete);
      if (complete && parser_owner->get().keep_alive()) give_back(std::move(c));
    }
    c.reset();
    transport::HttpChallengeAnswer answer = co_await run_blocking(challenge_job(challenge));
    if (closing_) co_return;
    if (answer.retry) continue;
    json::object data;
    data["httpStatus"] = static_cast<std::int64_t>(challenge.status);
    if (!challenge.www_authenticate.empty())
      data["wwwAuthenticate"] = challenge.www_authenticate.substr(0, 4096);
    if (!refusal.empty()) data["body"] = refusal.substr(0, 4096);
    deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                  "HTTP " + std::to_string(challenge.status) + ": authorization failed" +
                      (answer.reason.empty() ? std::string() : ": " + answer.reason),
                  std::move(data));
    co_return;
  }
  if (!c) {
    if (!closing_) {
      deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                    "HTTP request to " + options_.url + " failed: " + ec.message());
    }
    co_return;
  }
  Track track(this, c.get());
  Parser& parser = *parser_owner;
  auto& res = parser.get();
  unsigned status = res.result_int();
  if (is_initialize && status / 100 == 2) {
    if (auto it = res.find(kSessionHeader); it != res.end()) session_id_ = std::string(it->value());
  }
  if (status / 100 != 2) {
    bool complete = false;
    std::string body = co_await read_small_body(*c, parser, kErrorBodyBytes, complete);
    bool lost = status == 404 && session_id_ && !is_initialize;
    std::string reason;
    int code = jsonrpc::error_code::kConnectionClosed;
    if (auto parsed = jsonrpc::parse(body); parsed.message) {
      if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&*parsed.message)) {
        code = e->error.code;
        reason = e->error.message;
      }
    }
    if (reason.empty()) reason = std::string(res.reason());
    json::object data;
    data["httpStatus"] = static_cast<std::int64_t>(status);
    if (!body.empty()) data["body"] = body.substr(0, 4096);
    deliver_error(key, code, "HTTP " + std::to_string(status) + ": " + reason + auth_note,
                  std::move(data));
    if (complete && res.keep_alive()) give_back(std::move(c));
    if (lost) session_lost();
    co_return;
  }
  std::string type = media_type(res[http::field::content_type]);
  if (type == "text/event-stream") {
    if (key && cancelled_.erase(*key)) co_return;  // cancelled meanwhile: the stream is dropped
    sse::Parser events(options_.max_event_bytes);
    if (key) streaming_[*key] = c.get();
    bool clean = co_await read_sse(*c, parser, events, key);
    if (key) streaming_.erase(*key);
    if (clean && res.keep_alive()) give_back(std::move(c));
    if (key && pending_.count(*key) && !closing_) {
      // The stream ended before the response: resume it (SEP-1699) when it has an id.
      if (!events.last_event_id().empty()) {
        co_await resume_stream(events.last_event_id(), events.retry(), key);
      } else {
        deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                      "the SSE stream ended before the response");
      }
    }
  } else {
    if (key) cancelled_.erase(*key);  // a whole answer: nothing left to close
    std::optional<jsonrpc::Received> body = co_await read_json_body(*c, parser);
    if (body && res.keep_alive()) give_back(std::move(c));
    if (!body) {
      deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                    "the connection broke while reading the response");
    } else if (type == "application/json") {
      deliver_received(std::move(*body));
    }
    if (key && pending_.count(*key) && !closing_) {
      deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                    "HTTP " + std::to_string(status) + " without a JSON-RPC response");
    }
  }
  if (is_initialized_notice && options_.open_get_stream && session_id_ && !get_started_ &&
      !closing_) {
    get_started_ = true;
    net::co_spawn(io_, resume_stream({}, std::nullopt, std::nullopt), net::detached);
  }
}

net::awaitable<void> HttpClientImpl::shutdown(std::shared_ptr<std::promise<void>> done) {
  auto self = shared_from_this();
  closing_ = true;
  for (Connection* c : active_) c->close();
  wake_pool_waiters();  // a request waiting for a pooled connection gives up now
  wake_auth_waiters();
  initialized_gate_.cancel();
  if (session_id_) {
    // Best effort: tell the server the session is over.
    net::steady_timer deadline(io_);
    auto req = make_request(http::verb::delete_);
    req.keep_alive(false);
    req.prepare_payload();
    boost::system::error_code ec;
    std::unique_ptr<Connection> c = take_idle();
    idle_.clear();
    if (!c) c = co_await connect(ec);
    if (c) {
      c->lowest().expires_after(options_.delete_timeout);
      Parser parser;
      ec = co_await write_request(*c, req);
      if (!ec) ec = co_await read_header(*c, parser);
      c->close();
    }
  }
  idle_.clear();
  finish_close();
  work_.reset();
  done->set_value();
}

}  // namespace http_detail

using http_detail::HttpClientImpl;

namespace {

class HttpClientTransport : public Transport {
 public:
  explicit HttpClientTransport(HttpClientOptions options)
      : impl_(std::make_shared<HttpClientImpl>(std::move(options))) {}
  ~HttpClientTransport() override { impl_->release(); }

  void start(Callbacks callbacks) override { impl_->start(std::move(callbacks)); }
  bool send(const jsonrpc::Message& message, const SendOptions& options) override {
    return impl_->send(message, options.headers);
  }
  void close() override { impl_->close(); }
  bool read_on_caller(const CallerRead& read) override { return impl_->read_on_caller(read); }

 private:
  std::shared_ptr<HttpClientImpl> impl_;
};

}  // namespace

std::shared_ptr<Transport> connect_http(HttpClientOptions options) {
  return std::make_shared<HttpClientTransport>(std::move(options));
}

}  // namespace glassbox::transport
