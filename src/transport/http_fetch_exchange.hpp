// What fetch's plain and TLS halves share (http_fetch.cpp and glassbox_tls's
// src/tls/fetch_tls.cpp): the connection, running one operation on it, one exchange.
#pragma once

#include "glassbox/json/ascii.hpp"
#include "glassbox/transport/http_fetch.hpp"

#include "transport/tls_seam.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace glassbox::transport {

namespace fetch_detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
}  // namespace fetch_detail

// One open connection with the io_context it lives on (a socket belongs to its context).
struct FetchClient::Connection {
  std::string key;  // origin and TLS settings: who may reuse it
  std::chrono::steady_clock::time_point idle_since;
  fetch_detail::asio::io_context io;
  std::optional<fetch_detail::beast::tcp_stream> plain;
  std::unique_ptr<http_detail::FetchTls> tls;  // https (glassbox_tls); destroyed before io
  fetch_detail::beast::flat_buffer buffer;

  fetch_detail::beast::tcp_stream& layer() { return plain ? *plain : tls->layer(); }
  void close() {
    fetch_detail::beast::error_code ignored;
    layer().socket().shutdown(fetch_detail::tcp::socket::shutdown_both, ignored);
    layer().socket().close(ignored);
  }
};

namespace fetch_detail {

using Connection = FetchClient::Connection;

// Runs one asynchronous operation on the connection's io_context; the stream's expiry bounds
// it, which the synchronous Beast calls would not honour.
template <typename Start>
beast::error_code run(asio::io_context& io, Start&& start) {
  beast::error_code ec;
  start(ec);
  io.restart();
  io.run();
  return ec;
}

// A failure on a reused connection before any byte of the response: the server had closed it.
struct StaleConnection {};

template <typename Stream>
FetchResponse exchange(Connection& c, Stream& stream, http::request<http::string_body>& request,
                       std::size_t max_bytes, bool reused, bool& keep_alive) {
  if (auto ec = run(c.io, [&](beast::error_code& out) {
        http::async_write(stream, request, [&](beast::error_code e, std::size_t) { out = e; });
      })) {
    if (reused) throw StaleConnection{};
    throw FetchError("write: " + ec.message());
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  if (auto ec = run(c.io, [&](beast::error_code& out) {
        http::async_read(stream, c.buffer, parser,
                         [&](beast::error_code e, std::size_t) { out = e; });
      })) {
    if (reused && !parser.got_some()) throw StaleConnection{};
    if (ec == http::error::body_limit)
      throw FetchError("response body over " + std::to_string(max_bytes) + " bytes");
    throw FetchError("read: " + ec.message());
  }
  auto& response = parser.get();
  keep_alive = response.keep_alive() && c.buffer.size() == 0;
  FetchResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    out.headers.emplace_back(json::ascii_lower(field.name_string()), std::string(field.value()));
  out.body = std::move(response.body());
  return out;
}

}  // namespace fetch_detail
}  // namespace glassbox::transport
