// HttpServer::Impl, private to the HTTP server: the class, and the coroutines that serve a
// connection, templated on the stream. http_server.cpp instantiates them for a plain TCP stream;
// glassbox_tls (src/tls/https_server.cpp) for a TLS one, so that a plain HTTP server links no
// OpenSSL (docs/architecture.md, "TLS"). Only those two files include this header.
#pragma once

#include "glassbox/transport/http_server.hpp"

#include "glassbox/transport/http_guard.hpp"

#include "transport/asio_net.hpp"
#include "transport/http_admission.hpp"
#include "transport/http_authorizer_bridge.hpp"
#include "transport/http_common.hpp"
#include "transport/http_inline.hpp"
#include "transport/http_public_document.hpp"
#include "transport/http_session.hpp"
#include "transport/tls_seam.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>
#include <variant>

namespace glassbox::transport {

using namespace http_detail;

namespace http_detail {

inline constexpr std::chrono::seconds kHandshakeTimeout{10};

using Headers = std::vector<std::pair<std::string, std::string>>;

// What stop() needs of a connection. `lowest` and `alive` are touched only on its strand.
struct ServerConnection : std::enable_shared_from_this<ServerConnection> {
  explicit ServerConnection(net::any_io_executor e) : executor(std::move(e)) {}
  void close() {
    net::post(executor, [self = shared_from_this()] {
      if (self->alive && self->lowest) self->lowest->close();
    });
  }
  net::any_io_executor executor;
  beast::tcp_stream* lowest = nullptr;
  bool alive = false;
  std::atomic<bool> busy{false};
};

// The first line of each field a POST reads (post_lines, http_server.cpp): views into the
// request, valid while it lives.
struct PostLines {
  std::optional<std::string_view> content_type, accept, authorization;
  std::optional<std::string_view> protocol_version,
      session_id;  // MCP-Protocol-Version, Mcp-Session-Id
};
PostLines post_lines(const Request& request);

// Whether a read failed because a TLS peer closed without close_notify (glassbox_tls).
bool tls_stream_truncated(const boost::system::error_code& ec);

}  // namespace http_detail

class HttpServer::Impl : public SessionHost, public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(HttpServerOptions options, SessionHandler on_session)
      : options_(std::move(options)), on_session_(std::move(on_session)), sessions_(options_) {}

  void start();
  void listen();  // binds options_.host:port and accepts on it
  bool adopt(int native_socket, std::string received);
  void stop();
  void wait() {
    std::unique_lock lock(state_mutex_);
    stopped_cv_.wait(lock, [&] { return stopped_; });
  }
  std::uint16_t port() const { return port_.load(); }
  std::string url() const {
    std::string host = options_.host;
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    return std::string(https_ ? "https://" : "http://") + host + ":" + std::to_string(port()) +
           options_.endpoint;
  }
  std::size_t session_count() { return sessions_.size(); }
  std::size_t connection_count() {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

  bool post(std::function<void()> fn) override {
    std::lock_guard lock(state_mutex_);
    if (io_finished_) return false;
    net::post(io_, std::move(fn));
    return true;
  }
  bool post_drain(std::shared_ptr<HttpSession> session) override {
    std::lock_guard lock(state_mutex_);
    if (io_finished_) return false;
    net::post(io_, [session = std::move(session)] { session->drain(); });
    return true;
  }
  void forget_session(const std::string& id) override { sessions_.forget(id); }
  InlineWatch& inline_watch() override { return inline_; }

  using Connection = ServerConnection;
  // Serves one connection until it closes; S is PlainStream here, TlsStream in glassbox_tls
  // (src/tls/https_server.cpp), which instantiates it there so that this file needs no OpenSSL.
  template <class S>
  net::awaitable<void> serve(S stream, std::shared_ptr<Connection> connection,
                             std::string received = {});

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> sweep_loop();
  // An answer decided without awaiting anything; send_answer() writes it.
  struct Answer {
    http::status status;
    std::string body;
    std::string content_type;
    Headers headers;
  };
  static Answer answer_error(http::status status, int code, std::string_view message) {
    return {status, error_body(code, message), "application/json", {}};
  }
  static Answer answer_of(Refusal refusal) {
    return {
        static_cast<http::status>(refusal.status), std::move(refusal.body), "application/json", {}};
  }
  static Answer answer_of(AuthorizationDecision decision) {
    return {static_cast<http::status>(decision.status), std::move(decision.body),
            std::move(decision.content_type), std::move(decision.headers)};
  }
  template <class S>
  net::awaitable<bool> send_answer(S& stream, const Request& request, Answer answer) {
    return reply(stream, request, answer.status, std::move(answer.body),
                 std::move(answer.content_type), std::move(answer.headers));
  }

  // The coroutines every request goes through (handle, handle_post) decide in plain functions
  // and only await in their own body: GCC keeps every local and temporary of a coroutine in its
  // frame, and Asio reuses a frame only under 1 KiB, else a request paid a malloc for each.
  struct Route {
    enum Kind { kAnswer, kPublic, kPost, kGetOrDelete } kind = kAnswer;
    Answer answer{};
    std::string document;  // kPublic
  };
  // Framing, public documents, Host/Origin, the path and the method (http_server.cpp).
  Route route(Request& request);
  // One POST on its way to a session.
  struct Post {
    // Made by moving the admitted message in (assigning to a Message would copy its JSON out
    // of the request's arena: a value assigned to one of another storage is copied).
    std::optional<jsonrpc::Message> message;
    MessageContext context;
    std::string owner;
    bool sessionless = false;
    std::shared_ptr<HttpSession> session;
    std::shared_ptr<Sink> sink;
    std::shared_ptr<Stream> sse;
  };
  // Media types and the body (admit_post); nullopt when admitted into `post`.
  std::optional<Answer> admit(const Request& request, Post& post);
  net::awaitable<std::optional<Answer>> authorize_post(const Request& request, Post& post);
  // Validation, protocol version, the session (found or made), and the message delivered to
  // it; nullopt when a request stream is open on `post.sse` for the connection to serve (its
  // Sink and a sessionless Stream taken from `spares`).
  std::optional<Answer> open_post(const Request& request, Post& post,
                                  const net::any_io_executor& executor, PostSpares& spares);

  // Everything but a POST to the endpoint, which serve() awaits directly (one coroutine frame
  // less for the common request).
  template <class S>
  net::awaitable<bool> handle(S& stream, Request& request, Route to);
  template <class S>
  net::awaitable<bool> handle_post(S& stream, Request& request, PostSpares& spares);
  template <class S>
  net::awaitable<bool> handle_get_or_delete(S& stream, Request& request);
  template <class S>
  net::awaitable<bool> handle_get(S& stream, Request& request, const std::string& owner);
  template <class S>
  net::awaitable<bool> serve_public(S& stream, const Request& request, std::string document);
  // Runs options_.authorizer and waits (without blocking the thread) for its answer.
  net::awaitable<AuthorizationDecision> authorize(const Request& request,
                                                  const jsonrpc::Message* message);
  template <class S>
  net::awaitable<bool> refuse(S& stream, const Request& request, AuthorizationDecision decision) {
    return reply(stream, request, static_cast<http::status>(decision.status),
                 std::move(decision.body), std::move(decision.content_type),
                 std::move(decision.headers));
  }
  template <class S>
  net::awaitable<bool> refuse(S& stream, const Request& request, Refusal refusal) {
    return reply(stream, request, static_cast<http::status>(refusal.status),
                 std::move(refusal.body), "application/json");
  }
  // (GCC 12 miscompiles initializer lists inside co_await expressions: callers build any
  // extra headers in a local first.)
  template <class S>
  net::awaitable<bool> reply(S& stream, const Request& request, http::status status,
                             std::string body, std::string content_type = {}, Headers headers = {});
  template <class S>
  net::awaitable<bool> reply_error(S& stream, const Request& request, http::status status, int code,
                                   std::string_view message) {
    return reply(stream, request, status, error_body(code, message), "application/json");
  }

  // How a session, or the authorizer's answer, gets onto an I/O thread of this server.
  IoPost io_post() {
    return [weak = weak_from_this()](std::function<void()> fn) {
      auto self = weak.lock();
      return self && self->post(std::move(fn));
    };
  }
  // The session a GET or DELETE names in Mcp-Session-Id: 400 without the header, 404 when
  // there is none of that id for this caller.
  std::variant<std::shared_ptr<HttpSession>, Refusal> session_of(const Request& request,
                                                                 const std::string& owner) {
    auto id = request.find(kSessionHeader);
    if (id == request.end()) {
      return refusal(400, jsonrpc::error_code::kConnectionClosed, "missing Mcp-Session-Id header");
    }
    if (auto session = sessions_.find(std::string(id->value()), owner)) return session;
    return refusal(404, jsonrpc::error_code::kConnectionClosed, "session not found");
  }
  SseTiming sse_timing() const {
    return {options_.sse_retry, options_.sse_keepalive,
            static_cast<bool>(options_.sessionless_error_status)};
  }

  HttpServerOptions options_;
  HostOriginRule host_origin_rule_{options_.host, options_.allowed_hosts, options_.allowed_origins};
  SessionHandler on_session_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stopping_{false};

  // Declared before io_ so that they outlive the coroutine frames io_ destroys.
  SessionTable sessions_;
  std::mutex mutex_;  // connections_
  std::list<std::shared_ptr<Connection>> connections_;
  std::shared_ptr<HttpsContext> https_;  // set when serving HTTPS (glassbox_tls)

  std::mutex state_mutex_;  // started_, stop_begun_, stopped_, io_finished_
  std::condition_variable stopped_cv_;
  bool started_ = false;
  bool stop_begun_ = false;
  bool stopped_ = false;
  bool io_finished_ = false;

  net::io_context io_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  InlineWatch inline_{io_};  // relief for a callback that runs long on an I/O thread
};

template <class S>
net::awaitable<void> HttpServer::Impl::serve(S stream, std::shared_ptr<Connection> connection,
                                             std::string received) {
  auto& lowest = beast::get_lowest_layer(stream);
  connection->lowest = &lowest;
  connection->alive = true;
  // `lowest` lives in this frame: stop() must not reach it once the frame is gone.
  struct Unregister {
    Impl* self;
    std::shared_ptr<Connection> connection;
    ~Unregister() {
      connection->alive = false;
      std::lock_guard lock(self->mutex_);
      self->connections_.remove(connection);
    }
  } unregister{this, connection};

  if constexpr (!std::is_same_v<S, PlainStream>) {
    lowest.expires_after(kHandshakeTimeout);
    auto [ec] = co_await stream.async_handshake(S::server, kTuple);
    if (ec) co_return;
  }
  beast::flat_buffer buffer;
  // An adopted connection: what its first owner already read is parsed first.
  buffer.commit(net::buffer_copy(buffer.prepare(received.size()), net::buffer(received)));
  FieldArena fields;  // each request's head, one request at a time
  PostSpares spares;  // a POST's Sink and sessionless Stream, for the next one
  for (;;) {
    fields.reset();  // the last request's parser is gone
    http::request_parser<http::string_body, FieldAllocator<char>> parser(
        std::piecewise_construct, std::make_tuple(),
        std::make_tuple(FieldAllocator<char>(&fields)));
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options_.max_body_bytes);
    lowest.expires_after(options_.keep_alive_timeout);
    auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) {
      if (ec == http::error::end_of_stream || ec == net::error::eof ||
          ec == beast::error::timeout || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset || stopping_) {
        break;
      }
      if constexpr (!std::is_same_v<S, PlainStream>) {
        if (tls_stream_truncated(ec)) break;
      }
      Request partial;
      partial.version(11);
      partial.keep_alive(false);
      if (ec == http::error::body_limit) {
        co_await reply_error(stream, partial, http::status::payload_too_large,
                             jsonrpc::error_code::kInvalidRequest, "request body too large");
      } else if (ec == http::error::header_limit) {
        co_await reply(stream, partial, http::status::request_header_fields_too_large,
                       "request headers too large\n", "text/plain");
      } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        co_await reply(stream, partial, http::status::bad_request, "malformed HTTP request\n",
                       "text/plain");
      }
      break;
    }
    connection->busy = true;
    Route to = route(parser.get());
    bool keep = false;
    if (to.kind == Route::kPost) {
      keep = co_await handle_post(stream, parser.get(), spares);
    } else {
      keep = co_await handle(stream, parser.get(), std::move(to));
    }
    connection->busy = false;
    if (!keep || stopping_) break;
  }
  lowest.expires_after(std::chrono::seconds(1));
  if constexpr (!std::is_same_v<S, PlainStream>) {
    co_await stream.async_shutdown(kTuple);
  }
  boost::system::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest.close();
}

template <class S>
net::awaitable<bool> HttpServer::Impl::reply(S& stream, const Request& request, http::status status,
                                             std::string body, std::string content_type,
                                             Headers headers) {
  http::response<http::string_body> res{status, request.version()};
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  for (auto& [name, value] : headers) res.set(name, value);
  res.body() = std::move(body);
  res.keep_alive(request.keep_alive() && !stopping_);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec && res.keep_alive();
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle(S& stream, Request& request, Route to) {
  switch (to.kind) {
    case Route::kPost: {  // (serve() awaits handle_post itself, with its connection's spares)
      PostSpares none;
      co_return co_await handle_post(stream, request, none);
    }
    case Route::kGetOrDelete:
      co_return co_await handle_get_or_delete(stream, request);
    case Route::kPublic:
      co_return co_await serve_public(stream, request, std::move(to.document));
    case Route::kAnswer:
      break;
  }
  co_return co_await send_answer(stream, request, std::move(to.answer));
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle_get_or_delete(S& stream, Request& request) {
  std::string owner;  // the caller, for session binding, as the authorizer names them
  if (options_.authorizer) {
    AuthorizationDecision decision = co_await authorize(request, nullptr);
    if (decision.status != 0) co_return co_await refuse(stream, request, std::move(decision));
    owner = std::move(decision.session_owner);
  }
  if (request.method() == http::verb::get) co_return co_await handle_get(stream, request, owner);
  if (options_.stateless) {
    Headers allow = {{"Allow", "POST"}};
    co_return co_await reply(stream, request, http::status::method_not_allowed, "", "",
                             std::move(allow));
  }
  auto found = session_of(request, owner);
  if (auto* refused = std::get_if<Refusal>(&found)) {
    co_return co_await refuse(stream, request, std::move(*refused));
  }
  std::get<std::shared_ptr<HttpSession>>(found)->close(true);
  co_return co_await reply(stream, request, http::status::ok, "");
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle_post(S& stream, Request& request,
                                                   PostSpares& spares) {
  Post post;
  std::optional<Answer> answer = admit(request, post);
  if (!answer && options_.authorizer) answer = co_await authorize_post(request, post);
  if (!answer) {
    answer = open_post(request, post, beast::get_lowest_layer(stream).get_executor(), spares);
  }
  if (answer) co_return co_await send_answer(stream, request, std::move(*answer));
  bool keep =
      co_await serve_sse(stream, request, post.session, post.sse, post.sink, false, sse_timing());
  if (post.sessionless) {
    post.session->close(true);
    std::shared_ptr<Stream> gave_way = spares.streams.keep(std::move(post.sse));
    sessions_.keep_one_shot(std::move(post.session));
  } else {
    post.session->end_request();
  }
  std::shared_ptr<Sink> gave_way = spares.sinks.keep(std::move(post.sink));
  co_return keep;
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle_get(S& stream, Request& request,
                                                  const std::string& owner) {
  if (options_.stateless) {
    Headers allow = {{"Allow", "POST"}};
    co_return co_await reply(stream, request, http::status::method_not_allowed, "", "",
                             std::move(allow));
  }
  if (auto refused = admit_get(request[http::field::accept])) {
    co_return co_await refuse(stream, request, std::move(*refused));
  }
  auto found = session_of(request, owner);
  if (auto* refused = std::get_if<Refusal>(&found)) {
    co_return co_await refuse(stream, request, std::move(*refused));
  }
  std::shared_ptr<HttpSession> session = std::get<std::shared_ptr<HttpSession>>(found);
  if (auto refused = admit_get_protocol_version(header_of(request, kProtocolHeader),
                                                options_.supported_protocol_versions)) {
    co_return co_await refuse(stream, request, std::move(*refused));
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> resume;
  if (auto last = request.find(kLastEventIdHeader); last != request.end()) {
    resume = parse_event_id(last->value());
    if (!resume) {
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kInvalidRequest,
                                     "malformed Last-Event-ID");
    }
  }
  auto sink = std::make_shared<Sink>(beast::get_lowest_layer(stream).get_executor());
  std::shared_ptr<Stream> sse;
  switch (session->attach(resume, sink, sse)) {
    case HttpSession::AttachResult::kOk:
      break;
    case HttpSession::AttachResult::kConflict:
      co_return co_await reply_error(stream, request, http::status::conflict,
                                     jsonrpc::error_code::kConnectionClosed,
                                     "this session already has a standalone SSE stream");
    case HttpSession::AttachResult::kUnknown:
      // Replaying another stream's events would break the one-stream-per-message rule, and
      // silently starting over would hide the loss: the client learns it must not resume.
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kInvalidRequest,
                                     "unknown Last-Event-ID for this session");
    case HttpSession::AttachResult::kLimit: {
      Headers retry = {{"Retry-After", "1"}};
      co_return co_await reply(stream, request, http::status::too_many_requests,
                               error_body(jsonrpc::error_code::kConnectionClosed,
                                          "too many open streams on this session"),
                               "application/json", std::move(retry));
    }
    case HttpSession::AttachResult::kClosed:
      co_return co_await reply_error(stream, request, http::status::not_found,
                                     jsonrpc::error_code::kConnectionClosed, "session not found");
  }
  session->touch();
  session->mark_used();
  co_return co_await serve_sse(stream, request, session, sse, sink, resume.has_value(),
                               sse_timing());
}

template <class S>
net::awaitable<bool> HttpServer::Impl::serve_public(S& stream, const Request& request,
                                                    std::string document) {
  http::response<http::string_body> res = public_document_response(request, std::move(document));
  res.keep_alive(request.keep_alive() && !stopping_);
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  boost::system::error_code ec;
  if (request.method() == http::verb::head) {
    http::response_serializer<http::string_body> serializer(res);
    serializer.split(true);  // the header only: a HEAD answer has no body
    std::tie(ec, std::ignore) = co_await http::async_write_header(stream, serializer, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write(stream, res, kTuple);
  }
  co_return !ec && res.keep_alive();
}

}  // namespace glassbox::transport
