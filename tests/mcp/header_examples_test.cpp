// The usage examples written in the public headers' opening comments, compiled as they are
// written there, so that an example that no longer compiles breaks the build instead of
// misleading a reader. Nothing here runs (each example would start a process or serve stdio).
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/stdio.hpp"

namespace glassbox::mcp {
namespace {

[[maybe_unused]] void client_hpp_example() {
  glassbox::mcp::Client client({.name = "my-agent", .version = "1.0"});
  client.connect(glassbox::transport::spawn_process({.argv = {"node", "server.js"}}));
  auto result = client.call_tool("echo", {{"message", "hi"}});
}

[[maybe_unused]] void server_hpp_example() {
  glassbox::mcp::Server server({.name = "hello", .version = "1.0"});
  server.add_tool(
      {.name = "greet", .description = "Say hello"},
      [](const json::object& args, RequestContext&) { return CallToolResult::text("hello"); });
  server.serve_stdio();
}

[[maybe_unused]] void passback_hpp_example(Server& server) {
  glassbox::mcp::enable_passback(server, {});  // advertise, trace, and pass spans back
}

}  // namespace
}  // namespace glassbox::mcp
