// One plain HTTP/1.1 exchange with a server under test on 127.0.0.1, through Beast: for tests
// that check status codes, content types and bodies exactly (the collector and its bad-input
// rows). Each call opens its own connection.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::testing {

struct Reply {
  int status = 0;  // 0: no answer; `body` holds the error
  std::string content_type;
  std::string body;
  std::string session_id;  // the Mcp-Session-Id header, when the server sent one
};

inline Reply request(std::uint16_t port, boost::beast::http::verb verb, std::string target,
                     std::string body = {}, std::string content_type = {},
                     std::string encoding = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  if (!encoding.empty()) req.set(http::field::content_encoding, encoding);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  boost::beast::error_code write_error;  // a server that answers early (413) may close first
  http::write(socket, req, write_error);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  boost::beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  if (ec) return {0, {}, ec.message()};
  auto res = parser.release();
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          res.body(), std::string(res["Mcp-Session-Id"])};
}

}  // namespace glassbox::testing
