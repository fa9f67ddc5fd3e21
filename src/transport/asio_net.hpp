// The Asio and Beast names the HTTP server's and client's sources share (private to
// src/transport; only .cpp files of this folder include it, so Asio stays out of the public
// headers).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "transport/http_field_arena.hpp"

#include <optional>
#include <string_view>

// GCC 12 warns, wrongly, that the frame of a coroutine defined outside its class (or a free
// coroutine template) is freed by a mismatched operator delete: Asio's frame allocator pairs its
// own new and delete. For the files that include this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Declared, not included: Asio's SSL headers make every file that includes them reference
// OpenSSL (static error categories), and a plain HTTP server must not (docs/architecture.md,
// "TLS"). The files that use TlsStream include <boost/beast/ssl.hpp> themselves.
namespace boost::beast {
template <class NextLayer>
class ssl_stream;
}  // namespace boost::beast

namespace glassbox::transport::http_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// co_await op(..., kTuple) yields (error_code, result...) instead of throwing.
inline constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// One HTTP/1.1 connection is one of these two.
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// A request as the server reads it: its fields from the connection's FieldArena.
using RequestFields = http::basic_fields<FieldAllocator<char>>;
using Request = http::request<http::string_body, RequestFields>;

inline std::optional<std::string_view> header_of(const Request& request, std::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value());
}

}  // namespace glassbox::transport::http_detail
