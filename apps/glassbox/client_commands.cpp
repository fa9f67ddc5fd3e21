// glassbox tools | call | read: connect to a server, make one request, print its result.

#include "commands.hpp"

#include "cli_telemetry.hpp"
#include "terminal_text.hpp"

#include "glassbox/auth/oauth_client.hpp"
#include "glassbox/auth/token_store.hpp"
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/stdio.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace glassbox::cli {

namespace {

constexpr std::string_view kClientName = "glassbox";
constexpr std::string_view kClientVersion = "0.1.0";

// Starts the user's browser on `url` without waiting for it; false when none could be started.
// No shell: the URL comes from the authorization server's metadata.
bool open_browser(const std::string& url) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  std::thread([pid] { ::waitpid(pid, nullptr, 0); }).detach();  // reap it, whenever it ends
  return true;
}

// The OAuth client that answers the server's 401s; null when the user gave a bearer token.
// Throws auth::TokenStoreError for an unsafe token file.
std::shared_ptr<auth::OAuthClient> make_oauth(const ServerTarget& target) {
  if (!target.bearer_token.empty()) return nullptr;
  const OAuthCommandOptions& o = target.oauth;
  auth::OAuthClientOptions options{.server_url = target.url};
  options.grant = o.client_credentials ? auth::OAuthGrant::client_credentials
                                       : auth::OAuthGrant::authorization_code;
  options.client_id = o.client_id;
  options.client_secret = o.client_secret;
  options.client_metadata_url = o.client_metadata_url;
  options.scopes = o.scopes;
  options.token_store_path =
      o.token_store.empty() ? auth::TokenStore::default_path() : o.token_store;
  bool no_browser = o.no_browser;
  options.open_url = [no_browser](const std::string& url) {
    std::string text = "glassbox: the server wants you to authorize; open this URL";
    if (!no_browser && open_browser(url)) text = "glassbox: authorize in your browser (opened)";
    std::cerr << text + ":\n  " + terminal_safe(url) + "\nglassbox: waiting for the redirect...\n"
              << std::flush;
  };
  options.log = [](std::string_view line) {
    std::cerr << "glassbox: oauth: " + terminal_safe(line) + "\n" << std::flush;
  };
  return std::make_shared<auth::OAuthClient>(std::move(options));
}

std::shared_ptr<transport::Transport> open_transport(
    const ServerTarget& target, const std::shared_ptr<auth::OAuthClient>& oauth) {
  if (!target.command.empty()) return transport::spawn_process({.argv = target.command});
  transport::HttpClientOptions options{.url = target.url};
  for (const auto& [name, value] : target.headers) options.headers[name] = value;
  options.bearer_token = target.bearer_token;
  options.authorizer = oauth;
  return transport::connect_http(std::move(options));
}

// "[server info] logger: data", one whole line per write so that lines from the client's
// worker threads do not interleave.
void print_server_log(const mcp::LogMessage& log) {
  std::string line = "[server " + std::string(mcp::to_string(log.level)) + "] ";
  if (!log.logger.empty()) line += terminal_safe(log.logger) + ": ";
  line += terminal_safe(log.data.is_string() ? std::string_view(log.data.get_string())
                                             : std::string_view(json::serialize(log.data)));
  line += '\n';
  std::cerr << line << std::flush;
}

// A connected client, set up for the command's options: the telemetry (passback, the waterfall
// on stderr, --otlp export) attaches to it as its outgoing middleware.
std::unique_ptr<mcp::Client> connect(const ServerTarget& target, CliTelemetry& telemetry) {
  std::shared_ptr<auth::OAuthClient> oauth = target.url.empty() ? nullptr : make_oauth(target);
  mcp::ClientOptions options{.name = std::string(kClientName),
                             .version = std::string(kClientVersion),
                             .revision = target.revision,
                             .on_log = print_server_log};
  // A refused request waits while the person logs in: give it the time the login may take.
  if (oauth && !target.oauth.client_credentials)
    options.request_timeout += auth::OAuthClientOptions{}.authorization_timeout;
  auto client = std::make_unique<mcp::Client>(options);
  telemetry.install(*client);
  // A factory, so that a stdio server which exits on the server/discover probe is started
  // again for initialize.
  client->connect([&] { return open_transport(target, oauth); });
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

// A server's string, safe for one line of the terminal.
std::string safe_field(const json::object& o, std::string_view key) {
  return terminal_safe(string_or_empty(o, key));
}

// One line per content block: text as is, anything else summarized.
void print_content_block(const json::object& block, std::ostream& out) {
  std::string_view type = string_or_empty(block, "type");
  if (type == "text") {
    out << terminal_safe(string_or_empty(block, "text"), Lines::kept) << '\n';
  } else if (type == "image" || type == "audio") {
    out << '[' << type << ' ' << safe_field(block, "mimeType") << ", "
        << decoded_size(string_or_empty(block, "data")) << " bytes]\n";
  } else if (type == "resource") {
    static const json::object kNone;
    const json::object* found = json::find_object(block, "resource");
    const json::object& resource = found ? *found : kNone;
    std::size_t size = resource.contains("blob") ? decoded_size(string_or_empty(resource, "blob"))
                                                 : string_or_empty(resource, "text").size();
    out << "[resource " << safe_field(resource, "uri") << ' ' << safe_field(resource, "mimeType")
        << ", " << size << " bytes]\n";
  } else if (type == "resource_link") {
    out << "[resource_link " << safe_field(block, "uri") << ' ' << safe_field(block, "mimeType")
        << "]\n";
  } else {
    out << '[' << (type.empty() ? std::string("unknown") : terminal_safe(type)) << "]\n";
  }
}

void print_json(const json::value& v) {
  // JSON escapes C0 controls itself, but not C1 controls, DEL or bidirectional overrides.
  std::cout << terminal_safe(json::serialize(v), Lines::json) << '\n';
}

// Runs `body` against a connected client; failures to connect or protocol errors become exit
// code 3 with their reason on stderr.
template <class Body>
int with_client(const ServerTarget& target, const CallCommandOptions& options, Body&& body) {
  try {
    CliTelemetry telemetry({.passback = options.passback,
                            .detailed = options.detailed,
                            .stream = options.stream,
                            .otlp_endpoint = options.otlp_endpoint,
                            .otlp_protocol = options.otlp_protocol});
    std::unique_ptr<mcp::Client> client = connect(target, telemetry);
    int code = body(*client);
    client->close();
    client.reset();  // first: its middleware calls back into the telemetry
    telemetry.flush();
    return code;
  } catch (const mcp::ProtocolError& e) {
    // The message is the server's own words (or quotes them).
    std::cerr << "glassbox: protocol error " << e.error().code << ": " << terminal_safe(e.what())
              << '\n';
  } catch (const std::exception& e) {
    std::cerr << "glassbox: " << terminal_safe(e.what()) << '\n';
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
    std::vector<std::string> names;
    for (const mcp::Tool& tool : tools) names.push_back(terminal_safe(tool.name));
    for (const std::string& name : names) width = std::max(width, name.size());
    for (std::size_t i = 0; i < tools.size(); ++i) {
      std::string_view description = tools[i].description;
      description = description.substr(0, description.find('\n'));
      std::cout << names[i] << std::string(width - names[i].size() + 2, ' ')
                << terminal_safe(description) << '\n';
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
        std::string text = terminal_safe(*contents.text, Lines::kept);
        std::cout << text;
        if (text.empty() || text.back() != '\n') std::cout << '\n';
      } else {
        std::cout << "[blob " << terminal_safe(contents.uri) << ' '
                  << terminal_safe(contents.mime_type) << ", "
                  << decoded_size(contents.blob.value_or("")) << " bytes]\n";
      }
    }
    return kExitOk;
  });
}

}  // namespace glassbox::cli
