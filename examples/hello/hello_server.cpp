// The README's first example: a complete MCP server over stdio, with passback on.
#include <glassbox/mcp/passback.hpp>
#include <glassbox/mcp/server.hpp>

using namespace glassbox;

int main() {
  mcp::Server server({.name = "hello", .version = "1.0.0"});
  server.add_tool({.name = "greet", .description = "Say hello"},
                  [](const json::object& args, mcp::RequestContext& ctx) {
                    auto span = ctx.span("compose.greeting");  // shows up in passback
                    return mcp::CallToolResult::text("Hello, " + json::serialize(args));
                  });
  mcp::enable_passback(server);
  server.serve_stdio();
}
