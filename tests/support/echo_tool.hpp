// An `echo` tool and one call to it over Streamable HTTP: for tests that check that an HTTP
// endpoint, however it is served or mounted, is a working MCP server.
#pragma once

#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"

#include <string>

namespace glassbox::testing {

inline void add_echo(mcp::Server& server) {
  server.add_tool({.name = "echo"}, [](const json::object& args, mcp::RequestContext&) {
    return mcp::CallToolResult::text(std::string(args.at("message").as_string()));
  });
}

// Connects a fresh Client to `url`, calls echo with `message`, returns the text it answered.
inline std::string echo_over(const std::string& url, const std::string& message) {
  mcp::Client client;
  client.connect(transport::connect_http({.url = url}));
  mcp::CallToolResult r = client.call_tool("echo", {{"message", message}});
  client.close();
  return std::string(r.content.at(0).at("text").as_string());
}

}  // namespace glassbox::testing
