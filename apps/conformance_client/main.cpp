// The client the MCP conformance suite drives in its `client` mode:
//   conformance client --command build/bin/glassbox-conformance-client --scenario NAME
// The suite appends the server URL as the last argument and names the scenario in
// MCP_CONFORMANCE_SCENARIO. Exit code 0 when the scenario's client side ran to the end.
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/http_client.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

using namespace glassbox;

// SEP-1034: accept an elicitation with every default the requested schema declares.
json::value accept_with_defaults(const json::object& params) {
  json::object content;
  if (const json::object* schema = json::find_object(params, "requestedSchema")) {
    if (const json::object* properties = json::find_object(*schema, "properties")) {
      for (const auto& [name, property] : *properties) {
        if (!property.is_object()) continue;
        auto it = property.as_object().find("default");
        if (it != property.as_object().end()) content[name] = it->value();
      }
    }
  }
  return json::object{{"action", "accept"}, {"content", std::move(content)}};
}

void print_result(const mcp::CallToolResult& result) {
  std::cout << json::serialize(result.to_json()) << std::endl;
}

int run(const std::string& scenario, const std::string& url) {
  mcp::ClientOptions options{.name = "glassbox-conformance-client", .version = "0.1.0"};
  options.elicitation_handler = accept_with_defaults;
  options.sampling_handler = [](const json::object&) -> json::value {
    return json::object{{"role", "assistant"},
                        {"content", json::object{{"type", "text"}, {"text", "ok"}}},
                        {"model", "glassbox-conformance"},
                        {"stopReason", "endTurn"}};
  };
  mcp::Client client(options);
  client.connect(transport::connect_http({.url = url}));

  if (scenario == "initialize") {
    client.list_all_tools();
  } else if (scenario == "tools_call") {
    client.list_all_tools();
    print_result(client.call_tool("add_numbers", {{"a", 5}, {"b", 3}}));
  } else if (scenario == "elicitation-sep1034-client-defaults") {
    client.list_all_tools();
    print_result(client.call_tool("test_client_elicitation_defaults"));
  } else if (scenario == "sse-retry") {
    client.list_all_tools();
    print_result(client.call_tool("test_reconnection"));
  } else {
    // Unknown scenario: do the generic part (handshake and listing) and say so.
    std::cerr << "glassbox-conformance-client: no specific steps for scenario '" << scenario
              << "'\n";
    client.list_all_tools();
  }
  client.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: glassbox-conformance-client [options] <server-url>\n"
                 "  the scenario comes from MCP_CONFORMANCE_SCENARIO\n";
    return 2;
  }
  const char* scenario = std::getenv("MCP_CONFORMANCE_SCENARIO");
  try {
    return run(scenario ? scenario : "", argv[argc - 1]);
  } catch (const std::exception& e) {
    std::cerr << "glassbox-conformance-client: " << e.what() << "\n";
    return 1;
  }
}
