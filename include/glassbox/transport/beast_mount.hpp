// Mounting glassbox's MCP endpoint inside an HTTP server of your own, written with Beast.
// Header-only, and the only glassbox header that includes Beast: include it where your server
// already does.
//
//   transport::HttpServer mcp({.host = "127.0.0.1", .port = 8080, .listen = false},
//                             [&](std::shared_ptr<transport::Transport> t) { server.connect(t); });
//   mcp.start();  // its I/O threads; no socket of its own
//   ...
//   // in your connection's loop, after http::async_read(stream, buffer, request):
//   if (transport::targets_endpoint(request.target(), "/mcp")) {
//     transport::hand_over(mcp, std::move(stream), std::move(request), buffer);
//     co_return;  // the connection is glassbox's now
//   }
//
// (mcp::start_http(server, {.listen = false}) in mcp/serve_http.hpp builds the same.)
//
// The whole connection moves: MCP answers on SSE streams that stay open, and keep-alive requests
// after it on that connection go to glassbox too (anything but the endpoint gets 404 there).
// Plain TCP only: TLS state cannot move between stream objects; terminate TLS in front, or let
// glassbox listen with its own certificate (HttpServerOptions::tls_*). With OAuth on
// (mcp::enable_auth), route the /.well-known/oauth-protected-resource paths the same way.
//
// Threads: hand_over() may be called from any thread after mcp.start(); the connection is
// served on glassbox's I/O threads from then on.
#pragma once

#include "glassbox/transport/http_server.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>
#include <string_view>

namespace glassbox::transport {

// True when a request target ("/mcp?x=1") names the endpoint path ("/mcp").
inline bool targets_endpoint(std::string_view target, std::string_view endpoint) {
  return target.substr(0, target.find('?')) == endpoint;
}

// Gives the connection `stream` and its parsed `request` (with whatever `buffer` holds beyond
// it) to `endpoint`, which answers the request and serves the connection from then on. The
// stream is left closed. False when the endpoint is stopped or the socket is unusable (the
// connection is closed then, too).
template <class Body, class Fields>
bool hand_over(HttpServer& endpoint, boost::beast::tcp_stream&& stream,
               boost::beast::http::request<Body, Fields>&& request,
               boost::beast::flat_buffer& buffer) {
  // The request as it came (Beast writes the parsed message back out), then the bytes read
  // past it: a pipelined request is not lost.
  std::ostringstream wire;
  wire << request;
  std::string received = std::move(wire).str();
  received += boost::beast::buffers_to_string(buffer.data());
  buffer.consume(buffer.size());
  boost::beast::error_code ec;
  int native = stream.socket().release(ec);
  if (ec) return false;
  return endpoint.adopt(native, std::move(received));
}

}  // namespace glassbox::transport
