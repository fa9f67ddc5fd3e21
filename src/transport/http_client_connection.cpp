// The Streamable HTTP client's connections (http_client_impl.hpp): connect (TLS with SNI and
// host name verification), the keep-alive pool, one request/response exchange with a retry on a
// dead pooled connection, and reading bodies.
#include "transport/http_client_impl.hpp"

#include "transport/http_common.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <charconv>
#include <vector>

namespace glassbox::transport::http_detail {

net::awaitable<boost::system::error_code> write_request(Connection& c,
                                                        http::request<http::string_body>& req) {
  // The head written out by hand, fields in order, and the body beside it in one write: Beast's
  // serializer costs more than the rest of a small call's write path.
  std::string head;
  head.reserve(256);
  head.append(req.method_string()).append(" ").append(req.target()).append(" HTTP/1.1\r\n");
  for (const auto& field : req)
    head.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  head.append("\r\n");
  std::array<net::const_buffer, 2> bytes{net::buffer(head), net::buffer(req.body())};
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [ec, n] = co_await net::async_write(*plain, bytes, kTuple);
    co_return ec;
  }
  auto [ec, n] = co_await net::async_write(std::get<TlsStream>(c.stream), bytes, kTuple);
  co_return ec;
}

net::awaitable<boost::system::error_code> read_header(Connection& c, Parser& parser) {
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [ec, n] = co_await http::async_read_header(*plain, c.buffer, parser, kTuple);
    co_return ec;
  }
  auto [ec, n] =
      co_await http::async_read_header(std::get<TlsStream>(c.stream), c.buffer, parser, kTuple);
  co_return ec;
}

// Reads some body bytes into `into`; returns the error and the count.
net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(Connection& c,
                                                                                 Parser& parser,
                                                                                 char* into,
                                                                                 std::size_t size) {
  parser.get().body().data = into;
  parser.get().body().size = size;
  boost::system::error_code ec;
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [e, n] = co_await http::async_read_some(*plain, c.buffer, parser, kTuple);
    ec = e;
  } else {
    auto [e, n] =
        co_await http::async_read_some(std::get<TlsStream>(c.stream), c.buffer, parser, kTuple);
    ec = e;
  }
  if (ec == http::error::need_buffer) ec = {};
  co_return std::pair{ec, size - parser.get().body().size};
}

net::awaitable<std::unique_ptr<Connection>> HttpClientImpl::connect(boost::system::error_code& ec) {
  auto executor = co_await net::this_coro::executor;
  // An address needs no resolver (whose lookups run on a thread of their own: two hand-offs).
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code not_ip;
  net::ip::address address = net::ip::make_address(target_.host, not_ip);
  unsigned port = 0;
  const char* port_end = target_.port.data() + target_.port.size();
  auto [digits_end, bad_port] = std::from_chars(target_.port.data(), port_end, port);
  if (!not_ip && bad_port == std::errc() && digits_end == port_end && port <= 65535) {
    endpoints.emplace_back(address, static_cast<unsigned short>(port));
  } else {
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(target_.host, target_.port, kTuple);
    if (rec) {
      ec = rec;
      co_return nullptr;
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  std::unique_ptr<Connection> c;
  if (ssl_) {
    c = std::make_unique<Connection>(std::in_place_type<TlsStream>, executor, *ssl_);
  } else {
    c = std::make_unique<Connection>(std::in_place_type<PlainStream>, executor);
  }
  c->lowest().expires_after(options_.connect_timeout);
  auto [cec, ep] = co_await c->lowest().async_connect(endpoints, kTuple);
  if (cec) {
    ec = cec;
    co_return nullptr;
  }
  boost::system::error_code ignored;
  c->lowest().socket().set_option(tcp::no_delay(true), ignored);
  if (auto* tls = std::get_if<TlsStream>(&c->stream)) {
    if (not_ip && !SSL_set_tlsext_host_name(tls->native_handle(), target_.host.c_str())) {
      ec = boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                     net::error::get_ssl_category());
      co_return nullptr;
    }
    if (options_.verify_peer)
      tls->set_verify_callback(net::ssl::host_name_verification(target_.host));
    auto [hec] = co_await tls->async_handshake(net::ssl::stream_base::client, kTuple);
    if (hec) {
      ec = hec;
      co_return nullptr;
    }
  }
  c->lowest().expires_never();
  co_return c;
}

http::request<http::string_body> HttpClientImpl::make_request(http::verb verb,
                                                              std::string* sent_token) {
  http::request<http::string_body> req{verb, target_.target, 11};
  req.set(http::field::host, target_.host_header);
  req.set(http::field::user_agent, "glassbox");
  for (const auto& [name, value] : options_.headers) req.set(name, value);
  std::string token =
      options_.authorizer ? options_.authorizer->token().access_token : options_.bearer_token;
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (sent_token) *sent_token = std::move(token);
  if (session_id_) req.set(kSessionHeader, *session_id_);
  if (protocol_version_) req.set(kProtocolHeader, *protocol_version_);
  req.keep_alive(true);
  return req;
}

net::awaitable<std::unique_ptr<Connection>> HttpClientImpl::exchange(
    http::request<http::string_body>& req, std::unique_ptr<Parser>& parser,
    boost::system::error_code& ec) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    parser = std::make_unique<Parser>();
    parser->body_limit(boost::none);
    bool pooled = false;
    std::unique_ptr<Connection> c;
    if (attempt == 0) c = co_await take_pooled();
    if (c) {
      pooled = true;
    } else {
      // Closing: no new connection, which shutdown() could no longer close (the coroutine
      // would outlive the client, holding it).
      if (closing_) co_return nullptr;
      c = co_await connect(ec);
      if (!c) co_return nullptr;
      if (closing_) co_return nullptr;
    }
    Track track(this, c.get());
    ec = co_await write_request(*c, req);
    if (!ec) ec = co_await read_header(*c, *parser);
    if (!ec) co_return c;
    if (!pooled || closing_) co_return nullptr;
  }
  co_return nullptr;
}

net::awaitable<std::unique_ptr<Connection>> HttpClientImpl::take_pooled() {
  std::unique_ptr<Connection> c = take_idle();
  if (c || draining_ == 0) co_return c;
  net::steady_timer timer(io_, drain_started_ + kPoolWait);
  pool_waiters_.push_back(&timer);
  while (!c && draining_ > 0 && !closing_ &&
         std::chrono::steady_clock::now() < drain_started_ + kPoolWait) {
    timer.expires_at(drain_started_ + kPoolWait);
    co_await timer.async_wait(kTuple);
    c = take_idle();
  }
  std::erase(pool_waiters_, &timer);
  co_return c;
}

net::awaitable<std::string> HttpClientImpl::read_small_body(Connection& c, Parser& parser,
                                                            std::size_t limit, bool& complete) {
  std::string body;
  char chunk[16 * 1024];
  complete = false;
  while (!parser.is_done()) {
    auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
    body.append(chunk, n);
    if (ec || body.size() > limit) co_return body;
  }
  complete = true;
  co_return body;
}

net::awaitable<std::optional<jsonrpc::Received>> HttpClientImpl::read_json_body(Connection& c,
                                                                                Parser& parser) {
  jsonrpc::EnvelopeReader reader(envelope_limits());
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
    reader.feed(std::string_view(chunk, n));
    if (ec) co_return std::nullopt;
  }
  co_return reader.finish();
}

}  // namespace glassbox::transport::http_detail
