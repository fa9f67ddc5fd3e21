// glassbox: the command-line program (README.md, "The command line").
//
//   glassbox serve everything [--stdio | --http 127.0.0.1:PORT [--stateless]
//                             [--auth-issuer URL --auth-jwks FILE|URL [--auth-audience URI]
//                              [--auth-scopes a,b]]]
//   glassbox tools <server>
//   glassbox call <tool> [k=v ...|--json '{..}'] <server> [--no-passback] [--detailed] ...
//   glassbox read <uri> <server> [same flags]
//   glassbox proxy [--http 127.0.0.1:PORT] [--passback-from-otlp] [--otlp URL]
//                  [--otlp-protocol json|protobuf] [--detailed] <server>
//   tools, call, read: [--protocol 2025-11-25|2026-07-28|auto] (auto: server/discover, else
//     initialize)
//   OAuth (servers that answer 401): [--client-id ID [--client-secret S] [--client-credentials]]
//     [--client-metadata-url URL] [--scopes 'a b'] [--no-browser] [--token-store FILE]
//
// <server> is `--url http://host:port/mcp`, or `--` followed by the command of a stdio server.

#include "cli_telemetry.hpp"
#include "collector.hpp"
#include "commands.hpp"
#include "fixtures.hpp"
#include "proxy.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace glassbox::cli;

// Everything the command line can say; each subcommand reads its part.
struct CommandLine {
  ServeCommandOptions serve;
  bool serve_stdio = false;
  ServerTarget target;
  std::vector<std::string> headers;  // "Name: value", parsed into target.headers
  std::string scopes;                // --scopes, parsed into target.oauth.scopes
  std::string protocol = "auto";     // --protocol, parsed into target.revision
  CallCommandOptions call;
  bool no_passback = false;
  std::string otlp_protocol;
  std::string tool;
  std::vector<std::string> argument_pairs;
  std::optional<std::string> arguments_json;
  std::string uri;
  DemoCommandOptions demo;
  ProxyCommandOptions proxy;
  int passback_wait_ms = 1000;
  glassbox::collector::CollectorCommandOptions collector;
};

void define_serve(CLI::App& app, CommandLine& line) {
  CLI::App* serve = app.add_subcommand("serve", "Serve a built-in MCP server");
  std::vector<std::string> names;
  for (const Fixture& fixture : fixtures()) names.emplace_back(fixture.name);
  serve->add_option("server", line.serve.fixture, "Which server")
      ->required()
      ->check(CLI::IsMember(names));
  CLI::Option* stdio =
      serve->add_flag("--stdio", line.serve_stdio, "Serve on stdin/stdout (default)");
  CLI::Option* http = serve->add_option("--http", line.serve.http,
                                        "Serve Streamable HTTP on HOST:PORT (127.0.0.1:8080)");
  serve->add_flag("--stateless", line.serve.stateless, "HTTP without sessions")->needs(http);
  stdio->excludes(http);
  // OAuth 2.1 resource server: bearer tokens required, checked against the issuer's keys.
  CLI::Option* issuer = serve->add_option("--auth-issuer", line.serve.auth.issuer,
                                          "Require OAuth tokens from this issuer (iss)");
  CLI::Option* jwks = serve->add_option("--auth-jwks", line.serve.auth.jwks,
                                        "The issuer's JWKS: a file or an http(s) URL");
  serve
      ->add_option("--auth-audience", line.serve.auth.audience,
                   "The resource URI tokens must name (aud); default: the server's URL")
      ->needs(issuer);
  serve->add_option("--auth-scopes", line.serve.auth.scopes, "Scopes every request needs (a,b)")
      ->delimiter(',')
      ->needs(issuer);
  issuer->needs(http)->needs(jwks);
  jwks->needs(issuer);
}

void define_demo(CLI::App& app, CommandLine& line) {
  CLI::App* demo = app.add_subcommand("demo", "The two-act demo: black box, then glass box");
  demo->add_flag("--no-wait", line.demo.no_wait,
                 "Exit once the story is told (default when stdin/stdout is not a terminal)");
  demo->add_option("--db", line.demo.db,
                   "Trace database (default: $XDG_DATA_HOME/glassbox/traces.db)");
  demo->add_option("--otlp", line.demo.otlp_endpoint,
                   "Send the traces to this OTLP/HTTP base endpoint instead of the embedded "
                   "collector (default: OTEL_EXPORTER_OTLP_ENDPOINT when set)");
  demo->add_option("--otlp-protocol", line.otlp_protocol, "OTLP encoding")
      ->check(CLI::IsMember({"json", "protobuf"}));
}

void define_collector(CLI::App& app, CommandLine& line) {
  CLI::App* collector =
      app.add_subcommand("collector", "Embedded OTLP/HTTP receiver, trace store and web viewer");
  collector->add_option("--listen", line.collector.listen, "HOST:PORT (127.0.0.1:4318)");
  collector->add_option(
      "--allow-host", line.collector.allowed_hosts,
      "a Host name to answer besides loopback ('*': any), for a wildcard --listen");
  collector->add_option("--db", line.collector.db,
                        "Trace database (default: $XDG_DATA_HOME/glassbox/traces.db)");
}

// --url / -- and the options every client command shares.
void add_target_options(CLI::App* command, CommandLine& line) {
  command->add_option("--url", line.target.url, "Streamable HTTP endpoint, http://host:port/mcp");
  command->add_option("-H,--header", line.headers, "Extra HTTP header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--bearer-token", line.target.bearer_token,
                      "HTTP Authorization bearer token");
  // OAuth, used when the server answers 401 (MCP authorization).
  command->add_option("--client-id", line.target.oauth.client_id,
                      "OAuth client registered at the server's authorization server");
  command->add_option("--client-secret", line.target.oauth.client_secret,
                      "Secret of --client-id (a confidential client)");
  command->add_option("--client-metadata-url", line.target.oauth.client_metadata_url,
                      "https URL of this client's metadata document, used as its client_id");
  command->add_option("--scopes", line.scopes, "OAuth scopes to ask for ('a b' or a,b)");
  command->add_flag("--no-browser", line.target.oauth.no_browser,
                    "Print the authorization URL instead of opening a browser");
  command->add_flag("--client-credentials", line.target.oauth.client_credentials,
                    "OAuth client credentials grant (machine to machine; needs --client-id)");
  command->add_option("--token-store", line.target.oauth.token_store,
                      "OAuth token file (default: $XDG_CONFIG_HOME/glassbox/tokens.json)");
  command->add_flag("--json-output", line.call.json_output, "Print the whole result as JSON");
  command
      ->add_option("--protocol", line.protocol,
                   "MCP revision: 2025-11-25, 2026-07-28 or auto (server/discover, else "
                   "initialize)")
      ->check(CLI::IsMember({"auto", "2025-11-25", "2026-07-28"}));
}

void add_telemetry_options(CLI::App* command, CommandLine& line) {
  command->add_flag("--no-passback", line.no_passback,
                    "Do not ask the server for its execution spans");
  command->add_flag("--detailed", line.call.detailed, "Ask for the server's detailed spans");
  command->add_flag("--stream", line.call.stream,
                    "Ask for spans while the call runs (streamed passback): the waterfall grows");
  command->add_option("--otlp", line.call.otlp_endpoint,
                      "OTLP/HTTP base endpoint for the stitched trace (http://127.0.0.1:4318)");
  command->add_option("--otlp-protocol", line.otlp_protocol, "OTLP encoding")
      ->check(CLI::IsMember({"json", "protobuf"}));
}

CLI::App* define_tools(CLI::App& app, CommandLine& line) {
  CLI::App* tools = app.add_subcommand("tools", "List a server's tools");
  add_target_options(tools, line);
  return tools;
}

CLI::App* define_call(CLI::App& app, CommandLine& line) {
  CLI::App* call = app.add_subcommand("call", "Call a tool");
  call->add_option("tool", line.tool, "Tool name")->required();
  call->add_option("arguments", line.argument_pairs,
                   "k=v arguments; a value that parses as JSON is JSON, else a string");
  call->add_option("--json", line.arguments_json, "All arguments as one JSON object");
  add_target_options(call, line);
  add_telemetry_options(call, line);
  return call;
}

CLI::App* define_read(CLI::App& app, CommandLine& line) {
  CLI::App* read = app.add_subcommand("read", "Read a resource (resources/read)");
  read->add_option("uri", line.uri, "Resource URI")->required();
  add_target_options(read, line);
  add_telemetry_options(read, line);
  return read;
}

CLI::App* define_proxy(CLI::App& app, CommandLine& line) {
  CLI::App* proxy = app.add_subcommand(
      "proxy",
      "Sit between a host and a server: gateway (--otlp) and/or sidecar (--passback-from-otlp)");
  proxy->add_option("--http", line.proxy.http,
                    "Serve Streamable HTTP on HOST:PORT at the front (default: stdio)");
  proxy->add_flag("--passback-from-otlp", line.proxy.passback_from_otlp,
                  "Answer passback from the OTLP spans the stdio server exports (sidecar)");
  proxy
      ->add_option("--passback-wait", line.passback_wait_ms,
                   "Milliseconds a call waits for the server's root span (default 1000)")
      ->check(CLI::Range(0, 60000));
  proxy
      ->add_option("--max-calls", line.proxy.max_calls,
                   "Calls taken over that run at once; more queue (default 64)")
      ->check(CLI::Range(1, 100000));
  proxy->add_option("--url", line.target.url, "The server's Streamable HTTP endpoint");
  proxy->add_option("-H,--header", line.headers, "Extra HTTP header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  proxy->add_option("--bearer-token", line.target.bearer_token,
                    "HTTP Authorization bearer token for the server");
  proxy->add_flag("--detailed", line.proxy.detailed, "Ask the server for its detailed spans");
  proxy->add_option("--otlp", line.proxy.otlp_endpoint,
                    "OTLP/HTTP base endpoint for the stitched traces (gateway)");
  proxy->add_option("--otlp-protocol", line.otlp_protocol, "OTLP encoding")
      ->check(CLI::IsMember({"json", "protobuf"}));
  return proxy;
}

// Fills the parts of `line` that CLI11 cannot check alone; false (with a reason) on misuse.
bool finish_client_options(CommandLine& line, std::string* error) {
  if (line.target.url.empty() == line.target.command.empty()) {
    *error = "give the server as --url URL or as -- COMMAND..., exactly one of them";
    return false;
  }
  for (const std::string& header : line.headers) {
    std::size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      *error = "--header wants 'Name: value', not '" + header + "'";
      return false;
    }
    std::size_t start = header.find_first_not_of(' ', colon + 1);
    line.target.headers.emplace_back(header.substr(0, colon),
                                     start == std::string::npos ? "" : header.substr(start));
  }
  line.target.oauth.scopes = parse_scopes(line.scopes);
  line.target.revision = glassbox::mcp::parse_protocol_revision(line.protocol);  // auto: unset
  if (line.target.oauth.client_credentials && line.target.oauth.client_id.empty()) {
    *error = "--client-credentials needs --client-id (and --client-secret)";
    return false;
  }
  line.call.passback = !line.no_passback;
  if (line.otlp_protocol == "json")
    line.call.otlp_protocol = glassbox::transport::OtlpProtocol::http_json;
  if (line.otlp_protocol == "protobuf")
    line.call.otlp_protocol = glassbox::transport::OtlpProtocol::http_protobuf;
  return true;
}

int usage_error(const std::string& message) {
  std::cerr << "glassbox: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that goes away must surface as a failed write (exit 3), not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  // Everything after the first "--" is the stdio server's command, passed through untouched.
  std::vector<std::string> args(argv + 1, argv + argc);
  CommandLine line;
  if (auto dash = std::find(args.begin(), args.end(), "--"); dash != args.end()) {
    line.target.command.assign(dash + 1, args.end());
    args.erase(dash, args.end());
  }

  CLI::App app{"glassbox: MCP with server execution telemetry", "glassbox"};
  app.set_version_flag("--version", "glassbox 0.1.0");
  app.require_subcommand(1);
  define_serve(app, line);
  define_demo(app, line);
  define_collector(app, line);
  CLI::App* tools = define_tools(app, line);
  CLI::App* call = define_call(app, line);
  CLI::App* read = define_read(app, line);
  CLI::App* proxy = define_proxy(app, line);

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector last argument first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (app.got_subcommand("serve")) {
    if (!line.target.command.empty()) return usage_error("serve takes no -- command");
    return run_serve(line.serve);
  }
  if (app.got_subcommand("demo") || app.got_subcommand("collector")) {
    if (!line.target.command.empty()) return usage_error("this command takes no -- command");
    if (line.otlp_protocol == "json")
      line.demo.otlp_protocol = glassbox::transport::OtlpProtocol::http_json;
    if (line.otlp_protocol == "protobuf")
      line.demo.otlp_protocol = glassbox::transport::OtlpProtocol::http_protobuf;
    return app.got_subcommand("demo") ? run_demo_command(line.demo)
                                      : glassbox::collector::run_collector_command(line.collector);
  }
  std::string error;
  if (!finish_client_options(line, &error)) return usage_error(error);
  if (proxy->parsed()) {
    line.proxy.otlp_protocol = line.call.otlp_protocol;
    line.proxy.passback_wait = std::chrono::milliseconds(line.passback_wait_ms);
    return run_proxy(line.proxy, line.target);
  }
  if (tools->parsed()) return run_tools(line.target, line.call);
  if (read->parsed()) return run_read(line.uri, line.target, line.call);
  if (call->parsed()) {
    auto arguments = parse_tool_arguments(line.argument_pairs, line.arguments_json, &error);
    if (!arguments) return usage_error(error);
    return run_call(line.tool, *arguments, line.target, line.call);
  }
  return usage_error("no command");
}
