// The client the MCP conformance suite drives in its `client` mode:
//   conformance client --command build/bin/glassbox-conformance-client --scenario NAME
// The suite appends the server URL as the last argument, names the scenario in
// MCP_CONFORMANCE_SCENARIO and, for scenarios that need them, passes credentials as JSON in
// MCP_CONFORMANCE_CONTEXT (client_id, client_secret, private_key_pem, signing_algorithm).
// Exit code 0 when the scenario's client side ran to the end.
//
//   glassbox-conformance-client [--protocol 2025-11-25|2026-07-28|auto] <server-url>
// auto (the default) asks for 2026-07-28 with server/discover and falls back to initialize.
//
// Every HTTP connection gets an auth::OAuthClient; it only acts when a server answers 401/403.
// Nobody logs in: the headless user agent follows the authorization server's redirect to the
// client's loopback listener, as a browser would.
#include "glassbox/auth/oauth_client.hpp"
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/http_client.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace {

using namespace glassbox;

// The Client ID Metadata Document URL the suite's auth/basic-cimd scenario expects; used only
// where an authorization server advertises client_id_metadata_document_supported.
constexpr const char* kClientMetadataUrl = "https://conformance-test.local/client-metadata.json";

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

std::string context_string(const json::object& context, std::string_view key) {
  const json::string* s = json::find_string(context, key);
  return s ? std::string(*s) : std::string();
}

json::object conformance_context() {
  json::object context;
  if (const char* text = std::getenv("MCP_CONFORMANCE_CONTEXT")) {
    if (auto parsed = json::parse(text); parsed && parsed->is_object())
      context = std::move(parsed->get_object());
  }
  return context;
}

// Arguments that satisfy a tool's required properties, by type (the scenarios that only check
// which tools were called).
json::object placeholder_arguments(const mcp::Tool& tool) {
  json::object args;
  const json::object* properties = json::find_object(tool.input_schema, "properties");
  const json::array* required = json::find_array(tool.input_schema, "required");
  if (properties == nullptr || required == nullptr) return args;
  for (const auto& name : *required) {
    if (!name.is_string()) continue;
    const json::object* p = json::find_object(*properties, name.get_string());
    const json::string* type = p ? json::find_string(*p, "type") : nullptr;
    if (type == nullptr || *type == "string") {
      args[name.get_string()] = "x";
    } else if (*type == "integer" || *type == "number") {
      args[name.get_string()] = 1;
    } else if (*type == "boolean") {
      args[name.get_string()] = true;
    }
  }
  return args;
}

std::shared_ptr<auth::OAuthClient> make_oauth(const std::string& scenario, const std::string& url) {
  json::object context = conformance_context();
  auth::OAuthClientOptions options{.server_url = url};
  options.client_id = context_string(context, "client_id");
  options.client_secret = context_string(context, "client_secret");
  options.private_key_pem = context_string(context, "private_key_pem");
  if (std::string alg = context_string(context, "signing_algorithm"); !alg.empty())
    options.signing_algorithm = alg;
  options.client_metadata_url = kClientMetadataUrl;
  options.client_name = "glassbox-conformance-client";
  if (scenario.starts_with("auth/client-credentials"))
    options.grant = auth::OAuthGrant::client_credentials;
  options.open_url = auth::headless_user_agent();
  options.log = [](std::string_view line) { std::cerr << "oauth: " << line << "\n"; };
  return std::make_shared<auth::OAuthClient>(std::move(options));
}

int run(const std::string& scenario, const std::string& url,
        std::optional<mcp::ProtocolRevision> revision) {
  mcp::ClientOptions options{
      .name = "glassbox-conformance-client", .version = "0.1.0", .revision = revision};
  options.elicitation_handler = accept_with_defaults;
  options.sampling_handler = [](const json::object&) -> json::value {
    return json::object{{"role", "assistant"},
                        {"content", json::object{{"type", "text"}, {"text", "ok"}}},
                        {"model", "glassbox-conformance"},
                        {"stopReason", "endTurn"}};
  };
  mcp::Client client(options);
  client.connect(transport::connect_http({.url = url, .authorizer = make_oauth(scenario, url)}));

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
  } else if (scenario == "sep-2322-client-request-state") {
    // Each call runs its input_required rounds to the end before the next begins.
    client.list_all_tools();
    for (const char* tool : {"test_mrtr_echo_state", "test_mrtr_unrelated", "test_mrtr_no_state",
                             "test_mrtr_no_result_type"}) {
      print_result(client.call_tool(tool));
    }
  } else if (scenario == "http-standard-headers") {
    for (const mcp::Tool& tool : client.list_all_tools()) print_result(client.call_tool(tool.name));
    for (const mcp::Resource& resource : client.list_all_resources())
      client.read_resource(resource.uri);
    for (const mcp::Prompt& prompt : client.list_all_prompts()) client.get_prompt(prompt.name);
  } else if (scenario == "http-custom-headers") {
    client.list_all_tools();  // the x-mcp-header annotations come with the list
    json::object context = conformance_context();
    if (const json::array* calls = json::find_array(context, "toolCalls")) {
      for (const auto& call : *calls) {
        const json::object& c = json::as_object_or_empty(call);
        const json::string* name = json::find_string(c, "name");
        const json::object* args = json::find_object(c, "arguments");
        if (name != nullptr) print_result(client.call_tool(*name, args ? *args : json::object{}));
      }
    }
  } else if (scenario == "http-invalid-tool-headers") {
    // The list leaves out the tools whose annotations break the rules; call what is left.
    for (const mcp::Tool& tool : client.list_all_tools())
      print_result(client.call_tool(tool.name, placeholder_arguments(tool)));
  } else if (scenario.starts_with("auth/")) {
    // The auth scenarios' servers have one tool; calling it exercises per-operation scopes.
    for (const mcp::Tool& tool : client.list_all_tools())
      if (tool.name == "test-tool") print_result(client.call_tool("test-tool"));
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
  constexpr const char* kUsage =
      "usage: glassbox-conformance-client [--protocol 2025-11-25|2026-07-28|auto] <server-url>\n"
      "  the scenario comes from MCP_CONFORMANCE_SCENARIO\n";
  std::optional<mcp::ProtocolRevision> revision;
  int at = 1;
  for (; at + 1 < argc; ++at) {
    std::string_view arg = argv[at];
    if (arg != "--protocol") {
      std::cerr << "glassbox-conformance-client: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    std::string_view value = argv[++at];
    if (value == "auto") {
      revision.reset();
    } else if (auto r = mcp::parse_protocol_revision(value)) {
      revision = r;
    } else {
      std::cerr << "glassbox-conformance-client: --protocol takes 2025-11-25, 2026-07-28 or auto\n";
      return 2;
    }
  }
  if (at != argc - 1) {
    std::cerr << kUsage;
    return 2;
  }
  const char* scenario = std::getenv("MCP_CONFORMANCE_SCENARIO");
  try {
    return run(scenario ? scenario : "", argv[argc - 1], revision);
  } catch (const std::exception& e) {
    std::cerr << "glassbox-conformance-client: " << e.what() << "\n";
    return 1;
  }
}
