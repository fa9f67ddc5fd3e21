// The glassbox side of the load comparison (scripts/bench.sh): a server with one `echo` tool,
// the same tool as bench/node/echo_server.mjs (TypeScript SDK) so that both do the same work.
//
//   echo_server [--spans N] [--http HOST:PORT]
//
// stdio by default; --http serves stateless Streamable HTTP at http://HOST:PORT/mcp until
// SIGINT or SIGTERM. Passback is enabled, as `glassbox serve` does: a caller that does not ask
// for spans still gets the SERVER span recorded (the cost every call pays), one that asks gets
// them in _meta.otel. --spans N makes the tool open N child spans, so that a call carries N + 1
// spans (the "5-span call" of the passback goal is --spans 4).
//
// A dedicated server rather than `glassbox serve everything`: it registers one tool, as the
// TypeScript server does, so peak RSS compares like with like.
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_server.hpp"
#include "stop_signals.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace glassbox;

struct Args {
  int spans = 0;
  std::string http_host;  // empty: stdio
  std::uint16_t http_port = 0;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--spans" && i + 1 < argc) {
      args.spans = std::atoi(argv[++i]);
    } else if (arg == "--http" && i + 1 < argc) {
      std::string address = argv[++i];
      std::size_t colon = address.rfind(':');
      if (colon == std::string::npos) return false;
      args.http_host = address.substr(0, colon);
      args.http_port = static_cast<std::uint16_t>(std::atoi(address.c_str() + colon + 1));
    } else {
      return false;
    }
  }
  return args.spans >= 0;
}

void add_echo_tool(mcp::Server& server, int spans) {
  json::object schema = {
      {"type", "object"},
      {"properties", {{"message", {{"type", "string"}, {"description", "Message to echo"}}}}},
      {"required", json::array{"message"}}};
  server.add_tool(
      {.name = "echo", .description = "Echoes back the message", .input_schema = schema},
      [spans](const json::object& args, mcp::RequestContext& ctx) {
        for (int i = 0; i < spans; ++i) {
          trace::Span stage = ctx.span("echo.stage");
          stage.set_attribute("stage.index", i);
        }
        const json::string* message = json::find_string(args, "message");
        return mcp::CallToolResult::text("Echo: " +
                                         (message ? std::string(*message) : std::string()));
      });
}

int serve_http(mcp::Server& server, const Args& args, const sigset_t& stop_signals) {
  transport::HttpServer http({.host = args.http_host, .port = args.http_port, .stateless = true},
                             [&server](std::shared_ptr<transport::Transport> transport) {
                               server.connect(std::move(transport));
                             });
  http.start();
  std::cerr << "echo_server: listening on " << http.url() << std::endl;
  glassbox::apps::wait_for_stop_signal(stop_signals);
  http.stop();
  http.wait();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: echo_server [--spans N] [--http HOST:PORT]\n";
    return 2;
  }
  bool http = !args.http_host.empty();
  sigset_t stop_signals;
  if (http) stop_signals = glassbox::apps::block_stop_signals();
  mcp::Server server({.name = "glassbox-echo", .version = "1.0.0"});
  add_echo_tool(server, args.spans);
  mcp::enable_passback(server);
  if (http) return serve_http(server, args, stop_signals);
  server.serve_stdio();
  return 0;
}
