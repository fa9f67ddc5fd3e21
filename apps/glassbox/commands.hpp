// The subcommands of the glassbox program and the options each one takes (README.md, "The command
// line"). main.cpp parses the command line into these structs; each run_* function does one
// subcommand and returns the process exit code.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/transport/otlp_http_exporter.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::cli {

// The exit codes of the command-line contract.
inline constexpr int kExitOk = 0;
inline constexpr int kExitToolError = 1;  // the tool answered with isError: true
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;  // connection or protocol failure

// OAuth for an HTTP server that answers 401 (MCP authorization): who the client is and how it
// asks. Ignored with --bearer-token and for stdio servers.
struct OAuthCommandOptions {
  std::string client_id;      // --client-id: a client registered at the authorization server
  std::string client_secret;  // --client-secret
  std::string
      client_metadata_url;  // --client-metadata-url: https URL of a client metadata document
  std::vector<std::string> scopes;  // --scopes 'a b' (or a,b): instead of the server's choice
  bool no_browser = false;          // --no-browser: print the URL only
  bool client_credentials = false;  // --client-credentials: the machine grant, no person
  std::string token_store;          // --token-store FILE; empty: the default path
};

// `--url http://host:port/mcp`, or the command after `--` that starts a stdio server.
struct ServerTarget {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // --header 'Name: value'
  std::string bearer_token;
  std::vector<std::string> command;
  OAuthCommandOptions oauth;
  // --protocol 2025-11-25|2026-07-28; unset (auto): server/discover, else initialize.
  std::optional<mcp::ProtocolRevision> revision;
};

// What a client command asks of the call besides the call itself: server-execution telemetry
// (passback) and where the stitched trace goes. Also taken by `read` and `tools`.
struct CallCommandOptions {
  bool passback = true;  // --no-passback turns it off
  bool detailed = false;
  bool stream = false;        // --stream: streamed passback (S17), the waterfall drawn live
  std::string otlp_endpoint;  // --otlp: an OTLP/HTTP base URL; empty: OTEL_EXPORTER_OTLP_* decide
  std::optional<transport::OtlpProtocol> otlp_protocol;  // --otlp-protocol; unset: env or default
  bool json_output = false;                              // --json-output: the whole result as JSON
};

// `serve --http ... --auth-*`: OAuth bearer tokens required (mcp/auth.hpp).
struct ServeAuthOptions {
  std::string issuer;               // --auth-issuer: iss, and the PRM's authorization server
  std::string jwks;                 // --auth-jwks: a JWKS file, or an http(s) URL
  std::string audience;             // --auth-audience: the resource URI; empty: the server's URL
  std::vector<std::string> scopes;  // --auth-scopes a,b: required on every request

  bool enabled() const {
    return !issuer.empty() || !jwks.empty() || !audience.empty() || !scopes.empty();
  }
};

struct ServeCommandOptions {
  std::string fixture;  // "everything", "demo", ...
  std::string http;     // "127.0.0.1:PORT"; empty for stdio
  bool stateless = false;
  ServeAuthOptions auth;
};

int run_serve(const ServeCommandOptions& options);
int run_tools(const ServerTarget& target, const CallCommandOptions& options);
int run_call(const std::string& tool, const json::object& arguments, const ServerTarget& target,
             const CallCommandOptions& options);
int run_read(const std::string& uri, const ServerTarget& target, const CallCommandOptions& options);

// `k=v` pairs into tool arguments: a value that parses as JSON is taken as JSON (numbers,
// booleans, null, objects, arrays), anything else as a string. With `json_text` (--json) the
// arguments are that object and no pair may be given. On failure returns nullopt and a reason.
// --scopes: space- or comma-separated, empty items dropped.
std::vector<std::string> parse_scopes(const std::string& text);

std::optional<json::object> parse_tool_arguments(const std::vector<std::string>& pairs,
                                                 const std::optional<std::string>& json_text,
                                                 std::string* error);

}  // namespace glassbox::cli
