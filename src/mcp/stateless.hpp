// MCP 2026-07-28 beside 2025-11-25, server side: a request that names its version in
// params._meta (io.modelcontextprotocol/protocolVersion) is served statelessly, whatever the
// transport: version check (-32022), per-request client capabilities, server/discover,
// resultType on every result, cache hints on the cacheable results, multi round-trip requests
// (mcp/input_required.hpp). On HTTP, validate_http_request checks the headers against the body
// (-32020) before the request reaches a session.
//
// Threads: everything here is per request, on the thread that serves it.
#pragma once

#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_server.hpp"
#include "mcp/input_required.hpp"

#include <functional>
#include <optional>

namespace glassbox::mcp {

// What the stateless path needs of the Server.
struct StatelessHost {
  const ServerOptions& options;
  const RequestStateOptions& request_state;
  std::function<json::object()> capabilities;
  std::function<Outcome(RequestContext&)> next;  // the middleware chain and the method table
};

// True when the request names its version in _meta (the 2026-07-28 form).
bool is_stateless_request(const RequestContext& ctx);

// Serves one 2026-07-28 request through host.next.
Outcome dispatch_stateless(RequestContext& ctx, const StatelessHost& host);

// The server/discover result (before the cache hints dispatch_stateless adds).
json::object discover_result(const ServerOptions& options, json::object capabilities);

// Every version this server speaks, stateless first (server/discover, -32022's data).
json::array supported_versions();

// Methods of 2025-11-25 that 2026-07-28 removed (initialize, ping, logging/setLevel,
// resources/subscribe and unsubscribe): -32601 there (HTTP 404).
bool is_removed_method(std::string_view method);

// The HTTP status of an error answering a sessionless request (400 for -32020/-32021/-32022,
// 404 for -32601; 0 keeps SSE), for HttpServerOptions::sessionless_error_status.
int sessionless_error_status(const jsonrpc::Error& error);

// The HTTP admission check of 2026-07-28 requests (transport::RequestValidator).
std::optional<transport::AuthorizationDecision> validate_http_request(
    const transport::HeaderViews& headers, const jsonrpc::Message& message);
// The Mcp-Param-* check of a 2026-07-28 tools/call against the x-mcp-header annotations of the
// tool's inputSchema (input_schema_of: nullopt for an unknown tool, which is not checked here).
std::optional<transport::AuthorizationDecision> validate_param_headers(
    const transport::HeaderViews& headers, const jsonrpc::Message& message,
    const std::function<std::optional<json::object>(std::string_view)>& input_schema_of);

}  // namespace glassbox::mcp
