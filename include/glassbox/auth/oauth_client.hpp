// The OAuth client of an MCP client (MCP authorization 2025-11-25, with the 2025-03-26
// fallbacks): it implements transport::HttpAuthorizer, so the Streamable HTTP client asks it for
// a token before each request and hands it every 401/403.
//
//   auto oauth = std::make_shared<glassbox::auth::OAuthClient>(glassbox::auth::OAuthClientOptions{
//       .server_url = "https://mcp.example.com/mcp",
//       .open_url = [](const std::string& url) { std::cerr << "Open " << url << "\n"; },
//       .token_store_path = glassbox::auth::TokenStore::default_path()});
//   client.connect(glassbox::transport::connect_http({.url = ..., .authorizer = oauth}));
//
// On a 401: discovery (discovery.hpp), then the grant: the authorization code flow with PKCE
// S256 and a loopback redirect listener (the user opens the URL given to `open_url`), or client
// credentials for machines. The client identity comes, in this order, from the options
// (pre-registration), from a Client ID Metadata Document URL when the authorization server
// advertises client_id_metadata_document_supported, from the store (an earlier dynamic
// registration with the same issuer), or from dynamic client registration (RFC 7591). The
// token endpoint authentication (client_secret_basic, client_secret_post, none,
// private_key_jwt) follows the registration, else token_endpoint_auth_methods_supported.
// Every authorization and token request carries `resource` (RFC 8707).
//
// Scopes: the options' scopes, else the challenge's `scope`, else the PRM's scopes_supported,
// else none (the parameter is omitted); plus offline_access when the authorization server lists
// it. A 403 with error="insufficient_scope" re-authorizes with the union of what was asked
// before and what the challenge names (step-up), at most max_authorizations_per_request
// authorizations for one request. A 401 with a refresh token first tries the refresh; a token
// due to expire within refresh_margin is refreshed before it is used.
//
// Threads: token() is cheap and never blocks (the transport's I/O thread calls it). refresh(),
// on_challenge() and authorize() block (network, a person in a browser) and serialize among
// themselves; call them from threads that may block (the transport does). cancel() from any
// thread: it ends a flow in progress and every later one (the session is over).
// The refused request waits while a person logs in, longer than mcp::ClientOptions'
// request_timeout default of 60 s: raise it by authorization_timeout (the CLI does).
// Errors: authorize() throws OAuthError, DiscoveryError, TokenStoreError or
// transport::FetchError; on_challenge() turns them into a "do not retry" answer with the reason.
#pragma once

#include "glassbox/auth/discovery.hpp"
#include "glassbox/auth/redirect_listener.hpp"
#include "glassbox/transport/http_authorizer.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

// The authorization server (or the flow) refused. error() is the OAuth error code when the
// server sent one (invalid_grant, access_denied, ...).
class OAuthError : public std::runtime_error {
 public:
  explicit OAuthError(const std::string& message, std::string error = {})
      : std::runtime_error(message), error_(std::move(error)) {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

enum class OAuthGrant { authorization_code, client_credentials };

struct OAuthClientOptions {
  std::string server_url;  // the MCP endpoint; its canonical form keys the token store
  OAuthGrant grant = OAuthGrant::authorization_code;

  // Client identity. Pre-registered: client_id (+ client_secret for a confidential client).
  std::string client_id;
  std::string client_secret;
  // An https URL hosting this client's metadata document (used as the client_id when the
  // authorization server supports Client ID Metadata Documents).
  std::string client_metadata_url;
  // private_key_jwt: a PEM private key and its JWS algorithm (ES256 or RS256).
  std::string private_key_pem;
  std::string signing_algorithm = "ES256";
  std::string client_name = "glassbox";  // for dynamic registration

  std::vector<std::string> scopes;  // empty: chosen as described above

  // Shows the authorization URL to the user (or follows it: see headless_user_agent). Called on
  // the flow's thread; should return promptly: the redirect is awaited after it returns.
  std::function<void(const std::string& authorization_url)> open_url;
  RedirectListenerOptions redirect;
  std::chrono::milliseconds authorization_timeout = std::chrono::minutes(5);

  std::string token_store_path;  // "" keeps tokens in memory only

  std::size_t max_authorizations_per_request = 3;
  std::chrono::seconds refresh_margin{60};
  bool request_offline_access = true;  // when the authorization server lists offline_access

  std::chrono::milliseconds http_timeout{10000};  // each OAuth HTTP request
  bool verify_peer = true;
  std::string ca_file;
  std::function<void(std::string_view line)> log;  // progress, one line per call; may be empty
};

class OAuthClient final : public transport::HttpAuthorizer {
 public:
  // Loads the stored tokens for the server. Throws TokenStoreError (an unsafe or corrupt store)
  // or DiscoveryError (a server URL that is not absolute http(s)).
  explicit OAuthClient(OAuthClientOptions options);
  ~OAuthClient() override;
  OAuthClient(const OAuthClient&) = delete;
  OAuthClient& operator=(const OAuthClient&) = delete;

  transport::HttpToken token() noexcept override;
  void refresh() override;
  transport::HttpChallengeAnswer on_challenge(const transport::HttpChallenge& challenge) override;
  void cancel() noexcept override;

  // Discovery and a grant now, as for a 401 carrying `www_authenticate` ("" for none): for
  // callers without a transport, or to authorize before connecting.
  void authorize(const std::string& www_authenticate = {});

  std::string access_token() const;
  std::optional<Discovery> discovery() const;
  std::vector<std::string> requested_scopes() const;  // of the latest authorization

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A user agent for tests and automation, where nobody logs in: GETs the authorization URL and
// follows its redirects (at most max_redirects) until one goes to a loopback address, which it
// GETs too, handing the code to the redirect listener. Throws OAuthError when the authorization
// server answers with anything but a redirect (it wants a person).
struct HeadlessUserAgentOptions {
  std::size_t max_redirects = 5;
  std::chrono::milliseconds timeout{10000};
  bool verify_peer = true;
  std::string ca_file;
};
std::function<void(const std::string&)> headless_user_agent(HeadlessUserAgentOptions options = {});

}  // namespace glassbox::auth
