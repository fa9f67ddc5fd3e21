#include "glassbox/transport/http_fetch.hpp"

#include "glassbox/json/ascii.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace glassbox::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Runs one asynchronous operation on the private io_context; the stream's expiry bounds it,
// which the synchronous Beast calls would not honour.
template <typename Start>
beast::error_code run(asio::io_context& io, Start&& start) {
  beast::error_code ec;
  start(ec);
  io.restart();
  io.run();
  return ec;
}

template <typename Stream>
FetchResponse exchange(asio::io_context& io, Stream& stream,
                       http::request<http::string_body>& request, std::size_t max_bytes) {
  if (auto ec = run(io, [&](beast::error_code& out) {
        http::async_write(stream, request, [&](beast::error_code e, std::size_t) { out = e; });
      }))
    throw FetchError("write: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  if (auto ec = run(io, [&](beast::error_code& out) {
        http::async_read(stream, buffer, parser,
                         [&](beast::error_code e, std::size_t) { out = e; });
      })) {
    if (ec == http::error::body_limit)
      throw FetchError("response body over " + std::to_string(max_bytes) + " bytes");
    throw FetchError("read: " + ec.message());
  }
  auto& response = parser.get();
  FetchResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    out.headers.emplace_back(json::ascii_lower(field.name_string()), std::string(field.value()));
  out.body = std::move(response.body());
  return out;
}

}  // namespace

std::optional<std::string> FetchResponse::header(std::string_view name) const {
  std::string wanted = json::ascii_lower(name);
  for (const auto& [key, value] : headers)
    if (key == wanted) return value;
  return std::nullopt;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto append = [&](std::string_view s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else if (c == ' ') {
        out += '+';
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    append(name);
    out += '=';
    append(value);
  }
  return out;
}

FetchResponse fetch(const FetchRequest& request) {
  auto parsed = boost::urls::parse_absolute_uri(request.url);
  if (!parsed) throw FetchError("invalid URL: " + request.url);
  boost::urls::url_view url = *parsed;
  bool tls = url.scheme() == "https";
  if (!tls && url.scheme() != "http") throw FetchError("not an http(s) URL: " + request.url);
  std::string host(url.host_address());
  if (host.empty()) throw FetchError("no host in URL: " + request.url);
  std::string port = url.has_port() ? std::string(url.port()) : (tls ? "443" : "80");
  std::string target(url.encoded_target());
  if (target.empty()) target = "/";

  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) throw FetchError("unknown HTTP method: " + request.method);
  http::request<http::string_body> message{verb, target, 11};
  message.set(http::field::host, url.has_port() ? host + ":" + port : host);
  message.set(http::field::user_agent, "glassbox/0.1.0");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  if (!request.body.empty() || verb == http::verb::post) {
    message.body() = request.body;
    message.prepare_payload();
  }

  asio::io_context io;
  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  // The resolver has no expiry of its own; loopback and literal addresses resolve at once.
  if (auto ec = run(io, [&](beast::error_code& out) {
        resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
          out = e;
          endpoints = std::move(r);
        });
      }))
    throw FetchError("resolve " + host + ": " + ec.message());

  auto connect = [&](beast::tcp_stream& layer) {
    layer.expires_at(deadline);
    if (auto ec = run(io, [&](beast::error_code& out) {
          layer.async_connect(endpoints,
                              [&](beast::error_code e, const tcp::endpoint&) { out = e; });
        }))
      throw FetchError("connect " + host + ":" + port + ": " + ec.message());
  };
  if (!tls) {
    beast::tcp_stream stream(io);
    connect(stream);
    auto out = exchange(io, stream, message, request.max_response_bytes);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
  }
  asio::ssl::context context(asio::ssl::context::tls_client);
  if (request.verify_peer) {
    context.set_default_verify_paths();
    if (!request.ca_file.empty()) context.load_verify_file(request.ca_file);
    context.set_verify_mode(asio::ssl::verify_peer);
  } else {
    context.set_verify_mode(asio::ssl::verify_none);
  }
  asio::ssl::stream<beast::tcp_stream> stream(io, context);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
    throw FetchError("TLS: cannot set SNI for " + host);
  if (request.verify_peer) stream.set_verify_callback(asio::ssl::host_name_verification(host));
  connect(stream.next_layer());
  if (auto ec = run(io, [&](beast::error_code& out) {
        stream.async_handshake(asio::ssl::stream_base::client,
                               [&](beast::error_code e) { out = e; });
      }))
    throw FetchError("TLS handshake with " + host + ": " + ec.message());
  return exchange(io, stream, message, request.max_response_bytes);
}

}  // namespace glassbox::transport
