// Helpers for the HTTP transport tests: a raw HTTP/1.1 client (to send what a well-behaved
// client never would) and an echo session that answers requests over any Transport.
#pragma once

#include "glassbox/transport/http_server.hpp"
#include "transport/sse.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::transport::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<sse::Event> events;  // when the body is an SSE stream (data events only)
  std::string last_event_id;
  std::optional<std::chrono::milliseconds> retry;
  bool ended = false;  // the body ended (as opposed to a read timeout)

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline Headers post_headers(const std::string& session = {}) {
  Headers h = {{"Content-Type", "application/json"},
               {"Accept", "application/json, text/event-stream"}};
  if (!session.empty()) h.emplace_back("Mcp-Session-Id", session);
  return h;
}

// One connection; several requests may go over it (keep-alive).
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
    set_timeout(std::chrono::milliseconds(5000));
  }

  void set_timeout(std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void write_raw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }

  void send(const std::string& method, const std::string& target, const Headers& headers,
            const std::string& body = {}, const std::string& host = "127.0.0.1") {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
  }

  // Reads one response; for SSE stops after `max_events` events (or at the end / timeout);
  // more() continues the same response.
  RawResponse read(std::size_t max_events = SIZE_MAX) {
    RawResponse out;
    parser_.emplace();
    parser_->body_limit(boost::none);
    events_ = sse::Parser();
    beast::error_code ec;
    http::read_header(socket_, buffer_, *parser_, ec);
    if (ec) {
      out.status = -1;
      return out;
    }
    auto& res = parser_->get();
    out.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    is_sse_ = out.header("content-type").find("text/event-stream") != std::string::npos;
    if (max_events == 0 && is_sse_) {
      // Headers plus whatever the first read brings (the priming event).
      read_body(out, 1, true);
      return out;
    }
    read_body(out, max_events, false);
    return out;
  }

  RawResponse more(std::size_t max_events = SIZE_MAX) {
    RawResponse out;
    out.status = parser_->get().result_int();
    read_body(out, max_events, false);
    return out;
  }

  RawResponse request(const std::string& method, const std::string& target, const Headers& headers,
                      const std::string& body = {}) {
    send(method, target, headers, body);
    return read();
  }

  // True when the server closed the connection (reads EOF within the timeout).
  bool closed_by_peer() {
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  void close() {
    beast::error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void read_body(RawResponse& out, std::size_t max_events, bool one_read) {
    auto& res = parser_->get();
    char chunk[8192];
    beast::error_code ec;
    while (!parser_->is_done()) {
      res.body().data = chunk;
      res.body().size = sizeof chunk;
      http::read_some(socket_, buffer_, *parser_, ec);
      if (ec == http::error::need_buffer) ec = {};
      std::size_t n = sizeof chunk - res.body().size;
      if (is_sse_) {
        events_.feed(std::string_view(chunk, n), [&](sse::Event&& e) {
          if (!e.data.empty()) out.events.push_back(e);  // priming events are not messages
        });
        out.last_event_id = events_.last_event_id();
        out.retry = events_.retry();
        if (out.events.size() >= max_events || (one_read && !out.last_event_id.empty())) return;
      } else {
        out.body.append(chunk, n);
      }
      if (ec) return;
    }
    out.ended = true;
  }

  net::io_context io_;
  net::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  sse::Parser events_;
  bool is_sse_ = false;
};

inline std::string initialize_body(int id = 1, const std::string& version = "2025-11-25") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"initialize","params":{"protocolVersion":")" + version +
         R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
}

// Answers each request with {"echo": params}; method "notify_first" also sends a related
// notification first; "ask" sends a related request to the client and answers once the client
// responds; "broadcast" sends an unrelated notification then answers; "hold" never answers
// (until release()). Records what it receives. Thread-safe.
class EchoSessions {
 public:
  HttpServer::SessionHandler handler() {
    return [this](std::shared_ptr<Transport> t) {
      std::lock_guard lock(mutex_);
      transports_.push_back(t);
      std::weak_ptr<Transport> weak = t;
      t->start({[this, weak](jsonrpc::Message m, MessageContext ctx) { on_message(weak, m, ctx); },
                [this] {
                  std::lock_guard lock(mutex_);
                  ++closed_;
                  cv_.notify_all();
                }});
    };
  }

  void on_message(std::weak_ptr<Transport> weak, const jsonrpc::Message& m,
                  const MessageContext& ctx) {
    auto t = weak.lock();
    if (!t) return;
    {
      std::lock_guard lock(mutex_);
      contexts_.push_back(ctx);
      received_.push_back(m);
      cv_.notify_all();
    }
    if (auto* r = std::get_if<jsonrpc::Request>(&m)) {
      SendOptions related{r->id};
      if (r->method == "notify_first") {
        t->send(jsonrpc::Notification{"notifications/progress", json::object{{"progress", 1}}},
                related);
      } else if (r->method == "broadcast") {
        t->send(jsonrpc::Notification{"notifications/message", json::object{{"data", "hi"}}});
      } else if (r->method == "ask") {
        std::lock_guard lock(mutex_);
        asked_.push_back({t, r->id});
        t->send(jsonrpc::Request{std::int64_t{900} + static_cast<std::int64_t>(asked_.size()),
                                 "sampling/createMessage", json::object{}},
                related);
        return;
      } else if (r->method == "hold") {
        std::lock_guard lock(mutex_);
        held_.push_back({t, r->id});
        return;
      }
      t->send(jsonrpc::Response{r->id, json::object{{"echo", r->params}, {"method", r->method}}},
              related);
    } else if (std::get_if<jsonrpc::Response>(&m)) {
      std::lock_guard lock(mutex_);
      for (auto& [tr, id] : asked_) {
        if (auto live = tr.lock()) {
          live->send(jsonrpc::Response{id, json::object{{"answered", true}}}, SendOptions{id});
        }
      }
      asked_.clear();
    }
  }

  void release() {
    std::lock_guard lock(mutex_);
    for (auto& [tr, id] : held_) {
      if (auto live = tr.lock()) live->send(jsonrpc::Response{id, json::object{}}, SendOptions{id});
    }
    held_.clear();
  }

  bool wait_received(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }
  bool wait_closed(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return closed_ >= n; });
  }
  std::vector<jsonrpc::Message> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<MessageContext> contexts() {
    std::lock_guard lock(mutex_);
    return contexts_;
  }
  std::vector<std::shared_ptr<Transport>> transports() {
    std::lock_guard lock(mutex_);
    return transports_;
  }
  std::size_t closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Transport>> transports_;
  std::vector<jsonrpc::Message> received_;
  std::vector<MessageContext> contexts_;
  std::vector<std::pair<std::weak_ptr<Transport>, jsonrpc::Id>> asked_, held_;
  std::size_t closed_ = 0;
};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace glassbox::transport::testing
