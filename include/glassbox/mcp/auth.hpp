// OAuth 2.1 resource server for MCP over Streamable HTTP (MCP authorization, protocol
// 2025-11-25): every HTTP request to the endpoint needs a valid bearer token issued for this
// server; the Protected Resource Metadata (RFC 9728) tells clients where to get one.
//
//   glassbox::mcp::Server server({.name = "mail"});
//   server.add_tool({.name = "send"}, send_mail, {.required_scopes = {"mail.send"}});
//   glassbox::mcp::enable_passback(server);
//   glassbox::transport::HttpServerOptions http{.port = 8080};
//   glassbox::mcp::enable_auth(server, http, {
//       .verifier =
//       std::make_shared<glassbox::auth::JwtVerifier>(glassbox::auth::JwtVerifierOptions{
//           .issuer = "https://auth.example.com", .jwks_url = "https://auth.example.com/jwks"}),
//       .authorization_servers = {"https://auth.example.com"},
//       .required_scopes = {"mail"}});
//   glassbox::transport::HttpServer listener(http, [&](auto t) { server.connect(t); });
//
// Where the decision is made, and why there: at the HTTP edge, through the transport's generic
// authorizer hook (HttpServerOptions::authorizer), which sees the Authorization header and the
// parsed JSON-RPC message before any session exists. Only there can a refusal still be what the
// spec asks for (401 with WWW-Authenticate, 403 insufficient_scope for a tool's own scopes),
// because once a request reaches the session its SSE answer has already begun with 200. The
// transport stays ignorant of tokens: the hook is plain data in, plain data out, and the
// accepted caller travels as an opaque principal in MessageContext, which RequestContext::auth()
// reads. A small middleware then records the auth.validate span under the request's SERVER span.
//
// Answers (each with an exact reason, auth::Reason):
// - no token: 401, WWW-Authenticate: Bearer resource_metadata="<PRM URL>"[, scope="..."];
// - bad token: 401 with error="invalid_token", error_description; expired, wrong audience...;
// - a required scope missing (server-wide or the tool's/resource's AccessPolicy): 403 with
//   error="insufficient_scope", scope="<the scopes this call needs>";
// - ?access_token= in the URL: 400 invalid_request (tokens go in the header only);
// - the verifier's backend down (JWKS, introspection): 503 with Retry-After.
// The body is a JSON-RPC error (the request's id when it was a request) whose data holds
// error, error_description and reason; a refused tools/call or resources/read that asked for
// passback also carries its SERVER span and auth.validate span in error.data._meta.otel (S10).
// No token material and no personal claim (sub, email, name...) is ever put in a span (S11).
//
// Threads: the hook runs on the HTTP server's I/O threads; a verification that needs the
// network (a JWKS refresh, an introspection) runs on the authorizer's own worker threads while
// the connection waits without holding its thread.
#pragma once

#include "glassbox/auth/resource_server.hpp"
#include "glassbox/auth/token_verifier.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/transport/http_server.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::mcp {

class Server;

struct AuthOptions {
  std::shared_ptr<auth::TokenVerifier> verifier;  // required
  // The canonical URI of this MCP server (RFC 8707): the audience tokens must name, and the
  // PRM's resource. Empty: the HTTP server's endpoint URL (http://127.0.0.1:PORT/mcp), which is
  // right for a server reached at the address it listens on; set it behind a proxy or when
  // listening on 0.0.0.0.
  std::string resource;
  std::vector<std::string> authorization_servers;  // PRM: the issuers clients may use
  std::vector<std::string> required_scopes;        // every request needs all of these
  std::vector<std::string> scopes_supported;       // PRM; empty: required_scopes
  std::string resource_name;                       // PRM, optional
  std::string resource_documentation;              // PRM, optional
  // A session belongs to the caller (issuer and subject, else client id) that created it; the
  // same session id presented with another caller's token is answered 404.
  bool bind_sessions = true;
  // Spans of refused tools/call and resources/read requests: they go to this provider's
  // processors (the server's own telemetry, S13) and, when the caller asked, back in the
  // refusal (S10). Pass the same options as enable_passback to share one provider. nullopt:
  // refusals carry no spans.
  std::optional<PassbackOptions> passback = PassbackOptions{};
  std::size_t verify_threads = 4;  // for verifications that need the network
};

// Requires OAuth bearer tokens on `http` for `server`: installs the authorizer and the PRM
// documents in `http` (construct the HttpServer from it afterwards) and a middleware on
// `server` for the auth.validate span (call after enable_passback, so that it runs inside the
// SERVER span). `server` must outlive the HttpServer. Throws std::invalid_argument without a
// verifier.
void enable_auth(Server& server, transport::HttpServerOptions& http, AuthOptions options);

// The PRM document enable_auth serves, for a server whose endpoint URL is `server_url`.
auth::ProtectedResourceMetadata protected_resource_metadata(const AuthOptions& options,
                                                            std::string_view server_url);

}  // namespace glassbox::mcp
