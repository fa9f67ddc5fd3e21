// glassbox tools | call | read: connect to a server, make one request, print its result.

#include "commands.hpp"

#include "cli_telemetry.hpp"

#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/stdio.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace glassbox::cli {

namespace {

constexpr std::string_view kClientName = "glassbox";
constexpr std::string_view kClientVersion = "0.1.0";

std::shared_ptr<transport::Transport> open_transport(const ServerTarget& target) {
  if (!target.command.empty()) return transport::spawn_process({.argv = target.command});
  transport::HttpClientOptions options{.url = target.url};
  for (const auto& [name, value] : target.headers) options.headers[name] = value;
  options.bearer_token = target.bearer_token;
  return transport::connect_http(std::move(options));
}

// "[server info] logger: data", one whole line per write so that lines from the client's
// worker threads do not interleave.
void print_server_log(const mcp::LogMessage& log) {
  std::string line = "[server " + std::string(mcp::to_string(log.level)) + "] ";
  if (!log.logger.empty()) line += log.logger + ": ";
  line += log.data.is_string() ? std::string(log.data.get_string()) : json::serialize(log.data);
  line += '\n';
  std::cerr << line << std::flush;
}

// A connected client, set up for the command's options: the telemetry (passback, the waterfall
// on stderr, --otlp export) attaches to it as its outgoing middleware.
std::unique_ptr<mcp::Client> connect(const ServerTarget& target, CliTelemetry& telemetry) {
  auto client =
      std::make_unique<mcp::Client>(mcp::ClientOptions{.name = std::string(kClientName),
                                                       .version = std::string(kClientVersion),
                                                       .on_log = print_server_log});
  telemetry.install(*client);
  client->connect(open_transport(target));
  return client;
}

// Bytes that a base64 text decodes to.
std::size_t decoded_size(std::string_view base64) {
  while (!base64.empty() && base64.back() == '=') base64.remove_suffix(1);
  return base64.size() * 3 / 4;
}

std::string_view string_or_empty(const json::object& o, std::string_view key) {
  const json::string* s = json::find_string(o, key);
  return s ? std::string_view(*s) : std::string_view();
}

// One line per content block: text as is, anything else summarized.
void print_content_block(const json::object& block, std::ostream& out) {
  std::string_view type = string_or_empty(block, "type");
  if (type == "text") {
    out << string_or_empty(block, "text") << '\n';
  } else if (type == "image" || type == "audio") {
    out << '[' << type << ' ' << string_or_empty(block, "mimeType") << ", "
        << decoded_size(string_or_empty(block, "data")) << " bytes]\n";
  } else if (type == "resource") {
    static const json::object kNone;
    const json::object* found = json::find_object(block, "resource");
    const json::object& resource = found ? *found : kNone;
    std::size_t size = resource.contains("blob") ? decoded_size(string_or_empty(resource, "blob"))
                                                 : string_or_empty(resource, "text").size();
    out << "[resource " << string_or_empty(resource, "uri") << ' '
        << string_or_empty(resource, "mimeType") << ", " << size << " bytes]\n";
  } else if (type == "resource_link") {
    out << "[resource_link " << string_or_empty(block, "uri") << ' '
        << string_or_empty(block, "mimeType") << "]\n";
  } else {
    out << '[' << (type.empty() ? "unknown" : type) << "]\n";
  }
}

void print_json(const json::value& v) {
  std::cout << json::serialize(v) << '\n';
}

// Runs `body` against a connected client; failures to connect or protocol errors become exit
// code 3 with their reason on stderr.
template <class Body>
int with_client(const ServerTarget& target, const CallCommandOptions& options, Body&& body) {
  try {
    CliTelemetry telemetry({.passback = options.passback,
                            .detailed = options.detailed,
                            .otlp_endpoint = options.otlp_endpoint,
                            .otlp_protocol = options.otlp_protocol});
    std::unique_ptr<mcp::Client> client = connect(target, telemetry);
    int code = body(*client);
    client->close();
    client.reset();  // first: its middleware calls back into the telemetry
    telemetry.flush();
    return code;
  } catch (const mcp::ProtocolError& e) {
    std::cerr << "glassbox: protocol error " << e.error().code << ": " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "glassbox: " << e.what() << '\n';
  }
  return kExitFailure;
}

}  // namespace

int run_tools(const ServerTarget& target, const CallCommandOptions& options) {
  return with_client(target, options, [&](mcp::Client& client) {
    std::vector<mcp::Tool> tools = client.list_all_tools();
    if (options.json_output) {
      json::array list;
      for (const mcp::Tool& tool : tools) list.push_back(tool.to_json());
      print_json(json::object{{"tools", std::move(list)}});
      return kExitOk;
    }
    std::size_t width = 0;
    for (const mcp::Tool& tool : tools) width = std::max(width, tool.name.size());
    for (const mcp::Tool& tool : tools) {
      std::string_view description = tool.description;
      description = description.substr(0, description.find('\n'));
      std::cout << tool.name << std::string(width - tool.name.size() + 2, ' ') << description
                << '\n';
    }
    return kExitOk;
  });
}

int run_call(const std::string& tool, const json::object& arguments, const ServerTarget& target,
             const CallCommandOptions& options) {
  return with_client(target, options, [&](mcp::Client& client) {
    // The raw result, so that --json-output shows every key the server sent.
    json::value raw = client.request("tools/call", {{"name", tool}, {"arguments", arguments}});
    mcp::CallToolResult result = mcp::CallToolResult::from_json(raw);
    if (options.json_output) {
      print_json(raw);
    } else {
      for (const json::value& block : result.content)
        print_content_block(json::as_object_or_empty(block), std::cout);
      if (result.content.empty() && result.structured_content)
        print_json(*result.structured_content);
    }
    return result.is_error ? kExitToolError : kExitOk;
  });
}

int run_read(const std::string& uri, const ServerTarget& target,
             const CallCommandOptions& options) {
  return with_client(target, options, [&](mcp::Client& client) {
    json::value raw = client.request("resources/read", {{"uri", uri}});
    if (options.json_output) {
      print_json(raw);
      return kExitOk;
    }
    for (const mcp::ResourceContents& contents : mcp::ReadResourceResult::from_json(raw).contents) {
      if (contents.text) {
        std::cout << *contents.text;
        if (contents.text->empty() || contents.text->back() != '\n') std::cout << '\n';
      } else {
        std::cout << "[blob " << contents.uri << ' ' << contents.mime_type << ", "
                  << decoded_size(contents.blob.value_or("")) << " bytes]\n";
      }
    }
    return kExitOk;
  });
}

}  // namespace glassbox::cli
