// Serving an mcp::Server over Streamable HTTP in one call.
//
//   mcp::Server server({.name = "hello", .version = "1.0"});
//   ...add tools...
//   mcp::serve_http(server, {.http = {.port = 8080}});  // until SIGINT or SIGTERM
//
// start_http() gives the running transport::HttpServer instead (for its url(), port() and
// stop()), and with `.listen = false` the endpoint to mount in a server of your own
// (transport/beast_mount.hpp).
//
// Threads: call from any thread; `server` must outlive what start_http() returns (its sessions
// call into it). Handlers run as on any transport (mcp/server.hpp).
#pragma once

#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_server.hpp"

#include <functional>
#include <memory>
#include <stop_token>
#include <string>

namespace glassbox::mcp {

struct ServeHttpOptions {
  transport::HttpServerOptions http;
  // Called once, when the endpoint accepts connections, with its URL (port 0 is resolved).
  std::function<void(const std::string& url)> on_listening;
  // serve_http returns once this is requested, as on SIGINT or SIGTERM.
  std::stop_token stop;
};

// Starts serving `server`: every HTTP session (or stateless POST) becomes a server.connect().
// Throws std::system_error when it cannot listen.
std::unique_ptr<transport::HttpServer> start_http(Server& server,
                                                  transport::HttpServerOptions options = {});

// Serves until SIGINT, SIGTERM or options.stop, then stops gracefully (in-flight requests get
// HttpServerOptions::shutdown_grace). While it runs, SIGINT and SIGTERM are its own; their
// previous handling is restored when it returns.
void serve_http(Server& server, ServeHttpOptions options = {});

}  // namespace glassbox::mcp
