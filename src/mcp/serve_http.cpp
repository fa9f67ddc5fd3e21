#include "glassbox/mcp/serve_http.hpp"

#include "mcp/stateless.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

namespace glassbox::mcp {

std::unique_ptr<transport::HttpServer> start_http(Server& server,
                                                  transport::HttpServerOptions options) {
  // MCP 2026-07-28 beside 2025-11-25: its headers must agree with the body.
  if (!options.validate_request) {
    options.validate_request = [&server](const transport::HeaderViews& headers,
                                         const jsonrpc::Message& message) {
      if (auto refused = validate_http_request(headers, message)) return refused;
      return validate_param_headers(headers, message, [&server](std::string_view tool) {
        return server.tool_input_schema(tool);
      });
    };
  }
  if (!options.sessionless_error_status)
    options.sessionless_error_status = sessionless_error_status;
  auto http = std::make_unique<transport::HttpServer>(
      std::move(options), [&server](std::shared_ptr<transport::Transport> transport) {
        server.connect(std::move(transport));
      });
  http->start();
  return http;
}

void serve_http(Server& server, ServeHttpOptions options) {
  namespace net = boost::asio;
  net::io_context io;
  // Signals are caught before the server starts, so that none is missed once it listens.
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  std::stop_callback on_stop(options.stop, [&] { net::post(io, [&] { io.stop(); }); });
  std::unique_ptr<transport::HttpServer> http = start_http(server, std::move(options.http));
  if (options.on_listening) options.on_listening(http->url());
  io.run();
  http->stop();
}

}  // namespace glassbox::mcp
