// Streamable HTTP server (MCP 2025-11-25, 2026-07-28) on Asio + Beast, C++20 coroutines: lifecycle
// (start, listen, adopt, graceful stop), the session table, and routing a request to the MCP
// endpoint's POST, GET and DELETE or to a public document.
//
// Every connection is a coroutine on its own strand. The rest lives beside this file: a session
// with its SSE streams and replay (http_session.cpp), what a request must carry to be admitted
// (http_guard.cpp for framing and Host/Origin, http_admission.cpp for the endpoint's own rules),
// and the wait for the authorizer (http_authorizer_bridge.cpp).
#include "transport/http_server_impl.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace glassbox::transport {

// The first line of each of the five fields a POST reads, in one pass over the request's fields,
// as find() and operator[] give it (each look-up by name walks Beast's ordered set with
// case-insensitive compares). The three Beast knows are told by the field code its parser gave
// them; the two MCP ones, unknown to Beast, by name (header_name_is, a word at a time).
PostLines http_detail::post_lines(const Request& request) {
  PostLines lines;
  auto first = [](std::optional<std::string_view>& line, const auto& field) {
    if (!line) line = std::string_view(field.value().data(), field.value().size());
  };
  for (const auto& field : request) {
    switch (field.name()) {
      case http::field::content_type:
        first(lines.content_type, field);
        break;
      case http::field::accept:
        first(lines.accept, field);
        break;
      case http::field::authorization:
        first(lines.authorization, field);
        break;
      case http::field::unknown: {
        std::string_view name(field.name_string().data(), field.name_string().size());
        if (header_name_is(name, "mcp-protocol-version")) {  // kProtocolHeader
          first(lines.protocol_version, field);
        } else if (header_name_is(name, "mcp-session-id")) {  // kSessionHeader
          first(lines.session_id, field);
        }
        break;
      }
      default:
        break;
    }
  }
  return lines;
}

// ---- HttpServer::Impl -------------------------------------------------------------------------

void HttpServer::Impl::start() {
  {
    std::lock_guard lock(state_mutex_);
    if (started_) throw std::logic_error("HttpServer::start called twice");
    started_ = true;
  }
  if (!options_.tls_certificate_file.empty() || !options_.tls_private_key_file.empty()) {
    https_ = tls_seam("an HTTPS server")
                 .load_server_context(options_.tls_certificate_file, options_.tls_private_key_file);
  }
  work_.emplace(io_.get_executor());
  if (options_.listen) {
    listen();
  } else {
    port_ = options_.port;  // the port of the server the endpoint is mounted in
  }
  if (!options_.stateless) net::co_spawn(io_, sweep_loop(), net::detached);
  std::size_t threads = std::max<std::size_t>(1, options_.threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          io_.run();
          break;
        } catch (...) {
          // A handler that throws must not take the server down; keep serving.
        }
      }
    });
  }
}

void HttpServer::Impl::listen() {
  boost::system::error_code ec;
  auto address =
      net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address '" + options_.host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.emplace(net::make_strand(io_));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::system_error(
        ec, "cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(acceptor_->get_executor(), accept_loop(), net::detached);
}

bool HttpServer::Impl::adopt(int native_socket, std::string received) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
    ::close(native_socket);
    return false;
  }
  auto strand = net::make_strand(io_);
  tcp::socket socket(strand);
  boost::system::error_code ec;
  socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), native_socket, ec);
  if (ec) {
    ::close(native_socket);
    return false;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto connection = std::make_shared<Connection>(strand);
  {
    std::lock_guard lock(state_mutex_);
    if (!started_ || stop_begun_) return false;  // `socket` closes the descriptor
    std::lock_guard connections_lock(mutex_);
    connections_.push_back(connection);
  }
  net::co_spawn(strand,
                serve(beast::tcp_stream(std::move(socket)), connection, std::move(received)),
                net::detached);
  return true;
}

void HttpServer::Impl::stop() {
  {
    std::unique_lock lock(state_mutex_);
    if (!started_) {
      stopped_ = true;
      stopped_cv_.notify_all();
      return;
    }
    if (stop_begun_) {
      bool on_io_thread = std::any_of(threads_.begin(), threads_.end(), [](auto& t) {
        return t.get_id() == std::this_thread::get_id();
      });
      if (!on_io_thread) stopped_cv_.wait(lock, [&] { return stopped_; });
      return;
    }
    stop_begun_ = true;
  }
  stopping_ = true;
  if (acceptor_) {
    net::post(acceptor_->get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
  }

  // Idle keep-alive connections and standalone streams go now; requests get a grace period.
  std::vector<std::shared_ptr<HttpSession>> sessions = sessions_.all();
  {
    std::lock_guard lock(mutex_);
    for (auto& connection : connections_) {
      if (!connection->busy) connection->close();
    }
  }
  for (auto& session : sessions) session->drop_standalone();
  auto deadline = Clock::now() + options_.shutdown_grace;
  while (Clock::now() < deadline) {
    bool busy = false;
    {
      std::lock_guard lock(mutex_);
      for (auto& connection : connections_) busy = busy || connection->busy;
    }
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& session : sessions) session->close(false);
  sessions_.clear();
  {
    std::lock_guard lock(mutex_);
    for (auto& connection : connections_) connection->close();
  }
  // Let the connection ends run, then stop whatever is left.
  work_.reset();
  deadline = Clock::now() + std::chrono::milliseconds(500);
  while (Clock::now() < deadline && connection_count() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(state_mutex_);
    io_finished_ = true;
  }
  io_.stop();
  inline_.stop();
  for (auto& thread : threads_) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();
    } else if (thread.joinable()) {
      thread.join();
    }
  }
  // A close notice whose drain io_.stop() left unrun: every session is told it ended.
  for (auto& session : sessions) session->finish_close();
  std::lock_guard lock(state_mutex_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

net::awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    auto strand = net::make_strand(io_);
    auto [ec, socket] = co_await acceptor_->async_accept(strand, kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_ || !acceptor_->is_open()) co_return;
      // Out of descriptors and the like: back off instead of spinning.
      net::steady_timer timer(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await timer.async_wait(kTuple);
      continue;
    }
    if (stopping_) co_return;
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<Connection>(strand);
    {
      std::lock_guard lock(mutex_);
      connections_.push_back(connection);
    }
    if (https_) {
      tls_seam("an HTTPS server").serve_https(*this, *https_, std::move(socket), connection);
    } else {
      net::co_spawn(strand, serve(beast::tcp_stream(std::move(socket)), connection), net::detached);
    }
  }
}

net::awaitable<void> HttpServer::Impl::sweep_loop() {
  auto period = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min(options_.session_idle_timeout, options_.unused_session_timeout)) /
          4,
      std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!stopping_) {
    timer.expires_after(period);
    co_await timer.async_wait(kTuple);
    if (stopping_ || io_finished_) co_return;
    std::vector<std::shared_ptr<HttpSession>> expired = sessions_.expired(Clock::now());
    for (auto& session : expired) session->close(true);
  }
}

net::awaitable<AuthorizationDecision> HttpServer::Impl::authorize(const Request& request,
                                                                  const jsonrpc::Message* message) {
  std::string server_url = url();
  auto header = [&](auto field) -> std::string_view {
    auto it = request.find(field);
    return it == request.end() ? std::string_view() : std::string_view(it->value());
  };
  AuthorizationRequest info{
      .http_method = request.method_string(),
      .target = request.target(),
      .authorization = header(http::field::authorization),
      .session_id = header(kSessionHeader),
      .protocol_version = header(kProtocolHeader),
      .message = message,
      .server_url = server_url,
  };
  co_return co_await await_authorization(options_.authorizer, info, options_.authorizer_timeout,
                                         io_post());
}

// ---- Routing: what a request comes to, before anything is awaited -----------------------------

HttpServer::Impl::Route HttpServer::Impl::route(Request& request) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  RequestHeadFacts facts = head_facts(request);
  if (auto refusal = screen_framing(facts)) {
    // What follows on this connection cannot be trusted to start where the body ended.
    request.keep_alive(false);
    return {Route::kAnswer, answer_error(static_cast<http::status>(refusal->status),
                                         jsonrpc::error_code::kConnectionClosed, refusal->reason)};
  }
  if (options_.public_document && path != options_.endpoint) {
    if (std::optional<std::string> document = options_.public_document(path, url())) {
      return {Route::kPublic, {}, std::move(*document)};
    }
  }
  if (auto refusal = screen_host_origin(facts, host_origin_rule_)) {
    return {Route::kAnswer, answer_error(static_cast<http::status>(refusal->status),
                                         jsonrpc::error_code::kConnectionClosed, refusal->reason)};
  }
  if (path != options_.endpoint) {
    return {Route::kAnswer, {http::status::not_found, "not found\n", "text/plain", {}}};
  }
  switch (request.method()) {
    case http::verb::post:
      return {Route::kPost};
    case http::verb::get:
    case http::verb::delete_:
      return {Route::kGetOrDelete};
    default: {
      Headers allow = {{"Allow", options_.stateless ? "POST" : "GET, POST, DELETE"}};
      return {Route::kAnswer, {http::status::method_not_allowed, "", "", std::move(allow)}};
    }
  }
}

std::optional<HttpServer::Impl::Answer> HttpServer::Impl::admit(const Request& request,
                                                                Post& post) {
  const PostLines lines = post_lines(request);
  auto admitted =
      admit_post(lines.content_type.value_or(""), lines.accept.value_or(""), request.body());
  if (auto* refused = std::get_if<Refusal>(&admitted)) return answer_of(std::move(*refused));
  post.message.emplace(std::get<jsonrpc::Message>(std::move(admitted)));
  post.context.bearer_token = bearer_token(lines.authorization.value_or(""));
  return std::nullopt;
}

net::awaitable<std::optional<HttpServer::Impl::Answer>> HttpServer::Impl::authorize_post(
    const Request& request, Post& post) {
  // After the parse, so that the decision can depend on the method (a tool's scopes); before
  // any session is found or made, so that a refused caller leaves no trace in the server.
  AuthorizationDecision decision = co_await authorize(request, &*post.message);
  if (decision.status != 0) co_return answer_of(std::move(decision));
  post.context.principal = std::move(decision.principal);
  post.owner = std::move(decision.session_owner);
  co_return std::nullopt;
}

std::optional<HttpServer::Impl::Answer> HttpServer::Impl::open_post(
    const Request& request, Post& post, const net::any_io_executor& executor, PostSpares& spares) {
  jsonrpc::Message& message = *post.message;
  auto* as_request = std::get_if<jsonrpc::Request>(&message);
  bool is_initialize = as_request && as_request->method == "initialize";
  if (auto refusal = validate_post(options_.validate_request, request, message)) {
    return answer_of(std::move(*refusal));
  }
  // A sessionless version (2026-07-28): every POST stands alone.
  // Walked again (about 150 instructions) rather than kept in `post`, which lives in
  // handle_post's coroutine frame: kept there, the frame missed Asio's recycled blocks more
  // often in the runs measured (docs/benchmarks.md, branch http-pb).
  const auto [content_type, accept, authorization, version_header, session_header] =
      post_lines(request);
  post.sessionless = options_.stateless ||
                     (version_header &&
                      version_supported(options_.sessionless_protocol_versions, *version_header));
  auto version = post_protocol_version(version_header, is_initialize || post.sessionless,
                                       options_.supported_protocol_versions);
  if (auto* refused = std::get_if<Refusal>(&version)) return answer_of(std::move(*refused));
  if (auto& v = std::get<std::optional<std::string>>(version)) {
    post.context.protocol_version = std::move(v);
  }

  std::shared_ptr<HttpSession>& session = post.session;
  bool fresh = false;
  if (post.sessionless) {
    session = sessions_.make_one_shot(shared_from_this());
    fresh = true;
  } else if (!session_header) {
    if (!is_initialize) {
      return answer_error(http::status::bad_request, jsonrpc::error_code::kConnectionClosed,
                          "missing Mcp-Session-Id header");
    }
    session = sessions_.create(post.owner, weak_from_this(), stopping_);
    if (!session) {
      Headers retry = {{"Retry-After", std::to_string(sessions_.retry_after_seconds())}};
      return Answer{http::status::service_unavailable,
                    error_body(jsonrpc::error_code::kConnectionClosed, "too many sessions"),
                    "application/json", std::move(retry)};
    }
    fresh = true;
  } else {
    session = sessions_.find(std::string(*session_header), post.owner);
    if (!session) {
      return answer_error(http::status::not_found, jsonrpc::error_code::kConnectionClosed,
                          "session not found");
    }
    if (as_request && !is_initialize) session->mark_used();
  }
  if (!session->id().empty()) post.context.session_id = session->id();
  if (fresh && on_session_) {
    bool started = true;
    try {
      on_session_(std::make_shared<SessionTransport>(session));
    } catch (...) {
      started = false;
    }
    if (!started) {
      session->close(true);
      return answer_error(http::status::internal_server_error, jsonrpc::error_code::kInternalError,
                          "session could not be started");
    }
  }

  Headers session_headers;
  if (!session->id().empty()) session_headers.emplace_back(kSessionHeader, session->id());

  if (!as_request) {
    // Notifications and responses (a sampling answer, say) are accepted and go to the session.
    session->touch();
    session->deliver(std::move(message), std::move(post.context));
    if (post.sessionless) session->close(true);
    return Answer{http::status::accepted, "", "", std::move(session_headers)};
  }

  post.sink = spares.take_sink(executor);
  std::string key = jsonrpc::to_string(as_request->id);
  bool duplicate = false;
  post.sse = session->open_request_stream(
      key, post.sink, duplicate,
      post.sessionless ? spares.take_stream() : std::make_shared<Stream>());
  if (!post.sse && duplicate) {
    return answer_error(http::status::bad_request, jsonrpc::error_code::kInvalidRequest,
                        "a request with this id is already in flight");
  }
  if (!post.sse) {
    session_headers.emplace_back("Retry-After", "1");
    return Answer{
        http::status::too_many_requests,
        error_body(jsonrpc::error_code::kConnectionClosed, "too many open streams on this session"),
        "application/json", std::move(session_headers)};
  }
  // A session outside the table (sessionless) is never expired or evicted: nothing to count.
  if (!post.sessionless) session->begin_request();
  session->deliver(std::move(message), std::move(post.context));
  return std::nullopt;
}

// ---- HttpServer -------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options, SessionHandler on_session)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(on_session))) {}

HttpServer::~HttpServer() {
  impl_->stop();
}

bool HttpServer::adopt(int native_socket, std::string received) {
  return impl_->adopt(native_socket, std::move(received));
}

void HttpServer::start() {
  impl_->start();
}
std::uint16_t HttpServer::port() const {
  return impl_->port();
}
std::string HttpServer::url() const {
  return impl_->url();
}
void HttpServer::stop() {
  impl_->stop();
}
void HttpServer::wait() {
  impl_->wait();
}
std::size_t HttpServer::session_count() const {
  return impl_->session_count();
}
std::size_t HttpServer::connection_count() const {
  return impl_->connection_count();
}

}  // namespace glassbox::transport
