// The README's client example: start a stdio server, list its tools, call one.
#include <glassbox/mcp/client.hpp>
#include <glassbox/transport/stdio.hpp>

#include <iostream>
#include <string_view>

using namespace glassbox;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: hello-client SERVER-COMMAND [ARGS...]\n";
    return 2;
  }
  mcp::Client client({.name = "hello-client", .version = "1.0.0"});
  client.connect(transport::spawn_process({.argv = {argv + 1, argv + argc}}));
  for (const mcp::Tool& tool : client.list_all_tools()) std::cout << "tool: " << tool.name << "\n";
  mcp::CallToolResult result = client.call_tool("greet", {{"name", "Ada"}});
  std::cout << std::string_view(result.content.at(0).at("text").as_string()) << "\n";
}
