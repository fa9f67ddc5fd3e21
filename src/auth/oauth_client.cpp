#include "glassbox/auth/oauth_client.hpp"

#include "auth/client_assertion.hpp"
#include "auth/client_challenge.hpp"
#include "auth/pkce.hpp"
#include "auth/scopes.hpp"
#include "glassbox/auth/token_store.hpp"
#include "glassbox/json/ascii.hpp"
#include "glassbox/json/json.hpp"
#include "glassbox/tls/tls.hpp"
#include "glassbox/transport/http_fetch.hpp"
#include "json/base64.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace glassbox::auth {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void add_all(std::vector<std::string>& into, const std::vector<std::string>& more) {
  for (const std::string& s : more)
    if (!contains(into, s)) into.push_back(s);
}

// One form value, application/x-www-form-urlencoded (RFC 6749 section 2.3.1 encodes the client
// id and secret so before joining them for Basic).
std::string form_value(std::string_view value) {
  std::string encoded = transport::form_encode({{"x", std::string(value)}});
  return encoded.substr(2);
}

std::string string_member(const json::object& o, std::string_view key) {
  const json::string* s = json::find_string(o, key);
  return s ? std::string(*s) : std::string();
}

// "error: description" from an OAuth error body, or the HTTP status when it has none.
std::string oauth_error_text(const transport::FetchResponse& r, std::string* code) {
  std::optional<json::value> body = json::parse(r.body);
  const json::object& o =
      body ? json::as_object_or_empty(*body) : json::as_object_or_empty(nullptr);
  std::string error = string_member(o, "error");
  std::string description = string_member(o, "error_description");
  if (code) *code = error;
  std::string text = "HTTP " + std::to_string(r.status);
  if (!error.empty()) text += ", " + error;
  if (!description.empty()) text += ": " + description.substr(0, 512);
  return text;
}

// Whether a token can travel as `Authorization: Bearer <token>`: visible ASCII only, so that
// nothing an authorization server (or an edited token file) says can split the header.
bool header_safe(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

bool is_loopback_url(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  std::string host = json::ascii_lower(parsed->host_address());
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace

struct OAuthClient::Impl {
  OAuthClientOptions options;
  TokenStore store;
  std::string key;  // canonical server URL: the store's key

  // Short critical sections only: token() takes it on the transport's I/O thread.
  mutable std::mutex state_mutex;
  TokenRecord record;
  bool refresh_failed = false;  // for the current token: do not ask again
  bool fresh = false;           // the current token was issued in this run (not loaded)
  RedirectListener* active_listener = nullptr;
  std::optional<Discovery> discovered;
  std::vector<std::string> requested;

  // Held for a whole flow (discovery, registration, grant): one at a time.
  std::mutex flow_mutex;
  std::atomic<bool> cancelled{false};

  explicit Impl(OAuthClientOptions o)
      : options(std::move(o)),
        store(options.token_store_path),
        key(canonical_resource(options.server_url)) {
    if (auto stored = store.load(key)) {
      record = std::move(*stored);
      if (!header_safe(record.token.access_token)) record.token.access_token.clear();
    }
  }

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  DiscoveryOptions discovery_options() const {
    return {.timeout = options.http_timeout,
            .verify_peer = options.verify_peer,
            .ca_file = options.ca_file,
            .log = options.log};
  }

  transport::FetchResponse post(const std::string& url, std::string content_type, std::string body,
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!is_secure_or_loopback(url))
      throw OAuthError("refusing to send credentials over plain http to " + url);
    headers.emplace_back("Content-Type", std::move(content_type));
    headers.emplace_back("Accept", "application/json");
    tls::enable();  // https:// needs glassbox_tls (auth links it)
    transport::FetchResponse r = transport::fetch({.method = "POST",
                                                   .url = url,
                                                   .headers = std::move(headers),
                                                   .body = std::move(body),
                                                   .timeout = options.http_timeout,
                                                   .max_response_bytes = 256 * 1024,
                                                   .verify_peer = options.verify_peer,
                                                   .ca_file = options.ca_file});
    log("POST " + url + " -> " + std::to_string(r.status));
    if (r.status >= 300 && r.status < 400)
      throw OAuthError(url + " redirected (HTTP " + std::to_string(r.status) +
                       "); OAuth endpoints are not followed through redirects");
    return r;
  }

  // ---- discovery and scopes ----

  const Discovery& ensure_discovery(const std::optional<BearerChallenge>& challenge) {
    std::string prm_url = challenge ? challenge->resource_metadata : std::string();
    {
      std::lock_guard lock(state_mutex);
      // A challenge that points elsewhere than the metadata already read means a new look.
      if (discovered && (prm_url.empty() || (discovered->resource_metadata &&
                                             discovered->resource_metadata->url == prm_url)))
        return *discovered;
    }
    Discovery d = discover(options.server_url, prm_url, discovery_options());
    log("authorization server: " + d.server.issuer + "; resource: " + d.resource);
    std::lock_guard lock(state_mutex);
    discovered = std::move(d);
    return *discovered;
  }

  // Reads the protected resource metadata again (not the copy kept); true, with the new
  // discovery kept, when it names another authorization server than the one that issued the
  // current token.
  bool authorization_server_moved(const std::optional<BearerChallenge>& challenge) {
    std::string prm_url = challenge ? challenge->resource_metadata : std::string();
    std::string issuer;
    {
      std::lock_guard lock(state_mutex);
      issuer = record.issuer;
    }
    Discovery d = discover(options.server_url, prm_url, discovery_options());
    if (d.server.issuer == issuer) return false;
    log("the server's authorization server is now " + d.server.issuer + " (was " + issuer + ")");
    std::lock_guard lock(state_mutex);
    discovered = std::move(d);
    return true;
  }

  std::vector<std::string> initial_scopes(const std::optional<BearerChallenge>& challenge,
                                          const Discovery& d) const {
    std::vector<std::string> scopes;
    std::vector<std::string> challenged =
        challenge ? split_scopes(challenge->scope) : std::vector<std::string>{};
    if (!options.scopes.empty()) {
      scopes = options.scopes;
      add_all(scopes, challenged);  // what the server says it needs, beside what the user asked
    } else if (!challenged.empty()) {
      scopes = challenged;
    } else if (d.resource_metadata) {
      scopes = d.resource_metadata->scopes_supported;
    }
    return with_offline_access(std::move(scopes), d);
  }

  // SEP-2207: ask for offline_access (refresh tokens) only when the server lists it.
  std::vector<std::string> with_offline_access(std::vector<std::string> scopes,
                                               const Discovery& d) const {
    if (options.grant == OAuthGrant::authorization_code && options.request_offline_access &&
        contains(d.server.scopes_supported, "offline_access") &&
        !contains(scopes, "offline_access"))
      scopes.push_back("offline_access");
    return scopes;
  }

  // ---- the client's identity ----

  StoredClient pre_registered() const {
    return {.client_id = options.client_id, .client_secret = options.client_secret};
  }

  bool can_use_cimd(const Discovery& d) const {
    return !options.client_metadata_url.empty() && d.server.client_id_metadata_document_supported;
  }

  static void check_cimd_url(const std::string& url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || json::ascii_lower(parsed->scheme()) != "https" ||
        parsed->encoded_path().size() < 2)
      throw OAuthError("the client metadata URL must be an https URL with a path, not '" + url +
                       "'");
  }

  // The registration to use at this authorization server for `redirect_uri` (authorization code
  // flow; empty for client credentials).
  StoredClient ensure_client(const Discovery& d, const std::string& redirect_uri) {
    if (!options.client_id.empty()) return pre_registered();
    if (can_use_cimd(d)) {
      check_cimd_url(options.client_metadata_url);
      log("client: the metadata document " + options.client_metadata_url);
      return {.client_id = options.client_metadata_url};
    }
    {
      std::lock_guard lock(state_mutex);
      if (!record.client.client_id.empty() && record.issuer == d.server.issuer &&
          (!record.client.dynamic || record.client.redirect_uri == redirect_uri))
        return record.client;
    }
    if (options.grant == OAuthGrant::client_credentials)
      throw OAuthError(
          "client credentials need a pre-registered client (--client-id and "
          "--client-secret, or a private key)");
    if (d.server.registration_endpoint.empty())
      throw OAuthError("the authorization server " + d.server.issuer +
                       " offers no dynamic client registration and supports no client metadata "
                       "documents usable here; give --client-id (and --client-secret) of a client "
                       "registered there" +
                       (d.server.client_id_metadata_document_supported
                            ? std::string(", or --client-metadata-url")
                            : std::string()));
    return register_client(d, redirect_uri);
  }

  // RFC 7591 dynamic client registration.
  StoredClient register_client(const Discovery& d, const std::string& redirect_uri) {
    const auto& supported = d.server.token_endpoint_auth_methods_supported;
    // A command-line client cannot keep a secret: public when the server allows it.
    std::string method;
    for (const char* m : {"none", "client_secret_basic", "client_secret_post"})
      if (method.empty() && contains(supported, m)) method = m;
    json::object request{{"client_name", options.client_name},
                         {"redirect_uris", json::array{json::value(redirect_uri)}},
                         {"grant_types", json::array{"authorization_code", "refresh_token"}},
                         {"response_types", json::array{"code"}},
                         // SEP-837 (MCP 2026-07-28): a program on the user's machine whose
                         // redirect is a loopback listener is a native application.
                         {"application_type", "native"}};
    if (!method.empty()) request["token_endpoint_auth_method"] = method;
    transport::FetchResponse r =
        post(d.server.registration_endpoint, "application/json", json::serialize(request));
    if (r.status != 200 && r.status != 201) {
      std::string code;
      std::string text = oauth_error_text(r, &code);
      throw OAuthError(
          "dynamic client registration at " + d.server.registration_endpoint + " failed: " + text,
          code);
    }
    std::optional<json::value> body = json::parse(r.body);
    if (!body || !body->is_object())
      throw OAuthError("dynamic client registration at " + d.server.registration_endpoint +
                       " answered something that is not a JSON object");
    const json::object& o = body->get_object();
    StoredClient client{
        .client_id = string_member(o, "client_id"),
        .client_secret = string_member(o, "client_secret"),
        .token_endpoint_auth_method = string_member(o, "token_endpoint_auth_method"),
        .redirect_uri = redirect_uri,
        .dynamic = true};
    if (client.client_id.empty())
      throw OAuthError("dynamic client registration at " + d.server.registration_endpoint +
                       " answered without a client_id");
    log("registered client " + client.client_id);
    return client;
  }

  // ---- token requests ----

  std::string choose_auth_method(const StoredClient& client,
                                 const std::vector<std::string>& supported) const {
    const std::string& registered = client.token_endpoint_auth_method;
    if (!options.private_key_pem.empty() && client.client_id == options.client_id)
      return "private_key_jwt";
    if (client.client_secret.empty() || registered == "none") return "none";
    if (registered == "client_secret_basic" || registered == "client_secret_post")
      return registered;
    if (supported.empty()) return "client_secret_basic";  // RFC 8414 section 2 default
    for (const char* m : {"client_secret_basic", "client_secret_post", "none"})
      if (contains(supported, m)) return m;
    return "client_secret_basic";
  }

  // POSTs a token request with the client's authentication; the parsed token or OAuthError.
  StoredToken token_request(const std::string& endpoint, const std::string& issuer,
                            const StoredClient& client, const std::string& method,
                            std::vector<std::pair<std::string, std::string>> fields,
                            const std::vector<std::string>& scopes) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (method == "client_secret_basic") {
      headers.emplace_back("Authorization",
                           "Basic " + json::base64_encode(form_value(client.client_id) + ":" +
                                                          form_value(client.client_secret)));
    } else if (method == "client_secret_post") {
      fields.emplace_back("client_id", client.client_id);
      fields.emplace_back("client_secret", client.client_secret);
    } else if (method == "private_key_jwt") {
      fields.emplace_back("client_id", client.client_id);
      fields.emplace_back("client_assertion_type", std::string(kJwtBearerAssertionType));
      fields.emplace_back("client_assertion",
                          make_client_assertion({.client_id = client.client_id,
                                                 .audience = issuer,
                                                 .private_key_pem = options.private_key_pem,
                                                 .algorithm = options.signing_algorithm}));
    } else {
      fields.emplace_back("client_id", client.client_id);
    }
    transport::FetchResponse r = post(endpoint, "application/x-www-form-urlencoded",
                                      transport::form_encode(fields), std::move(headers));
    if (r.status != 200) {
      std::string code;
      std::string text = oauth_error_text(r, &code);
      throw OAuthError("the token endpoint " + endpoint + " refused: " + text, code);
    }
    std::optional<json::value> body = json::parse(r.body);
    if (!body || !body->is_object())
      throw OAuthError("the token endpoint " + endpoint +
                       " answered something that is not a JSON object");
    const json::object& o = body->get_object();
    StoredToken token;
    token.access_token = string_member(o, "access_token");
    if (token.access_token.empty())
      throw OAuthError("the token endpoint " + endpoint + " answered without an access_token");
    if (!header_safe(token.access_token) || token.access_token.size() > 16 * 1024)
      throw OAuthError("the token endpoint " + endpoint +
                       " issued an access token that cannot be sent in an HTTP header");
    token.token_type = string_member(o, "token_type");
    if (!token.token_type.empty() && json::ascii_lower(token.token_type) != "bearer")
      throw OAuthError("the token endpoint " + endpoint + " issued a '" + token.token_type +
                       "' token; only Bearer tokens are supported");
    token.token_type = "Bearer";
    token.refresh_token = string_member(o, "refresh_token");
    token.scope = string_member(o, "scope");
    if (token.scope.empty()) token.scope = join_scopes(scopes);
    // Capped at ten years: a huge or non-finite number must not overflow the conversion.
    if (auto seconds = json::find_number(o, "expires_in"); seconds && *seconds > 0)
      token.expires_at = unix_now() + static_cast<std::int64_t>(std::min(*seconds, 3.2e8));
    return token;
  }

  void keep(const Discovery& d, const StoredClient& client, const std::string& method,
            StoredToken token, const std::vector<std::string>& scopes) {
    TokenRecord copy;
    {
      std::lock_guard lock(state_mutex);
      if (token.refresh_token.empty() && record.issuer == d.server.issuer)
        token.refresh_token = record.token.refresh_token;  // a refresh may not return a new one
      record.issuer = d.server.issuer;
      record.token_endpoint = d.server.token_endpoint;
      record.resource = d.resource;
      record.client = client;
      record.client.token_endpoint_auth_method = method;
      record.token = std::move(token);
      refresh_failed = false;
      fresh = true;
      requested = scopes;
      copy = record;
    }
    try {
      store.save(key, copy);
    } catch (const std::exception& e) {
      log(std::string("token store: ") + e.what() + " (the token is kept in memory only)");
    }
  }

  // ---- grants ----

  void client_credentials(const Discovery& d, const std::vector<std::string>& scopes) {
    StoredClient client = ensure_client(d, {});
    std::string method = choose_auth_method(client, d.server.token_endpoint_auth_methods_supported);
    std::vector<std::pair<std::string, std::string>> fields{{"grant_type", "client_credentials"}};
    if (!scopes.empty()) fields.emplace_back("scope", join_scopes(scopes));
    fields.emplace_back("resource", d.resource);
    log("client credentials grant as " + client.client_id + " (" + method + ")");
    StoredToken token = token_request(d.server.token_endpoint, d.server.issuer, client, method,
                                      std::move(fields), scopes);
    keep(d, client, method, std::move(token), scopes);
  }

  void authorization_code(const Discovery& d, const std::vector<std::string>& scopes) {
    const AuthorizationServerMetadata& m = d.server;
    if (m.authorization_endpoint.empty())
      throw OAuthError("the authorization server " + m.issuer + " has no authorization_endpoint");
    // MCP 2025-11-25 "Authorization Code Protection": a server whose metadata does not list
    // S256 may not do PKCE at all, and the code could be stolen; only the synthesized 2025-03-26
    // defaults (no document to read) are exempt.
    if (m.from_document && !m.supports_s256())
      throw OAuthError("the authorization server " + m.issuer +
                       " does not advertise PKCE S256 in code_challenge_methods_supported; "
                       "refusing to use the authorization code flow without it");
    if (!options.open_url)
      throw OAuthError("authorization needs a user agent, and none was configured");

    // Prefer the port of an earlier dynamic registration, so it can be reused as it is.
    RedirectListenerOptions where = options.redirect;
    {
      std::lock_guard lock(state_mutex);
      if (record.client.dynamic && record.issuer == m.issuer &&
          !record.client.redirect_uri.empty() && options.client_id.empty()) {
        auto parsed = boost::urls::parse_absolute_uri(record.client.redirect_uri);
        if (parsed && parsed->has_port() && parsed->path() == where.path)
          where.port = static_cast<std::uint16_t>(parsed->port_number());
      }
    }
    std::unique_ptr<RedirectListener> listener;
    try {
      listener = std::make_unique<RedirectListener>(where);
    } catch (const std::exception&) {
      if (where.port == options.redirect.port) throw;
      listener = std::make_unique<RedirectListener>(options.redirect);
    }
    std::string redirect_uri = listener->redirect_uri();
    StoredClient client = ensure_client(d, redirect_uri);

    Pkce pkce = make_pkce();
    std::string state = random_urlsafe(24);
    std::vector<std::pair<std::string, std::string>> query{{"response_type", "code"},
                                                           {"client_id", client.client_id},
                                                           {"redirect_uri", redirect_uri},
                                                           {"code_challenge", pkce.challenge},
                                                           {"code_challenge_method", pkce.method},
                                                           {"state", state}};
    if (!scopes.empty()) query.emplace_back("scope", join_scopes(scopes));
    query.emplace_back("resource", d.resource);
    std::string url = m.authorization_endpoint +
                      (m.authorization_endpoint.find('?') == std::string::npos ? "?" : "&") +
                      transport::form_encode(query);
    listener->expect_state(state);
    {
      std::lock_guard lock(state_mutex);
      if (cancelled) throw OAuthError("authorization cancelled");
      active_listener = listener.get();
    }
    struct Clear {
      Impl* self;
      ~Clear() {
        std::lock_guard lock(self->state_mutex);
        self->active_listener = nullptr;
      }
    } clear{this};
    log("authorization request: scope '" + join_scopes(scopes) + "', client " + client.client_id);
    options.open_url(url);
    std::optional<AuthorizationResponse> response = listener->wait(options.authorization_timeout);
    if (!response) {
      if (cancelled) throw OAuthError("authorization cancelled");
      throw OAuthError("no authorization response reached " + redirect_uri + " within " +
                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          options.authorization_timeout)
                                          .count()) +
                       " s");
    }
    if (!response->error.empty())
      throw OAuthError("the authorization server refused: " + response->error +
                           (response->error_description.empty()
                                ? std::string()
                                : ": " + response->error_description.substr(0, 512)),
                       response->error);
    // RFC 9207: the response names its issuer, so that a code from another server (mix-up
    // attack) is not sent to this one's token endpoint.
    if ((m.authorization_response_iss_parameter_supported || !response->iss.empty()) &&
        response->iss != m.issuer)
      throw OAuthError("the authorization response names issuer '" + response->iss +
                       "', expected '" + m.issuer + "'; refusing the code");
    if (response->code.empty()) throw OAuthError("the authorization response has no code");

    std::string method = choose_auth_method(client, m.token_endpoint_auth_methods_supported);
    StoredToken token = token_request(m.token_endpoint, m.issuer, client, method,
                                      {{"grant_type", "authorization_code"},
                                       {"code", response->code},
                                       {"redirect_uri", redirect_uri},
                                       {"code_verifier", pkce.verifier},
                                       {"resource", d.resource}},
                                      scopes);
    keep(d, client, method, std::move(token), scopes);
  }

  // With the record's own endpoint and client: no discovery needed for a stored token.
  void refresh_grant() {
    TokenRecord r;
    std::vector<std::string> scopes;
    {
      std::lock_guard lock(state_mutex);
      r = record;
      scopes = requested;
    }
    if (r.token.refresh_token.empty() || r.token_endpoint.empty())
      throw OAuthError("no refresh token");
    log("refreshing the access token at " + r.token_endpoint);
    std::vector<std::pair<std::string, std::string>> fields{
        {"grant_type", "refresh_token"}, {"refresh_token", r.token.refresh_token}};
    if (!r.resource.empty()) fields.emplace_back("resource", r.resource);
    std::string method = r.client.token_endpoint_auth_method.empty()
                             ? choose_auth_method(r.client, {})
                             : r.client.token_endpoint_auth_method;
    StoredToken token = token_request(r.token_endpoint, r.issuer, r.client, method,
                                      std::move(fields), split_scopes(r.token.scope));
    if (token.refresh_token.empty()) token.refresh_token = r.token.refresh_token;
    Discovery d;
    d.server.issuer = r.issuer;
    d.server.token_endpoint = r.token_endpoint;
    d.resource = r.resource;
    keep(d, r.client, method, std::move(token),
         scopes.empty() ? split_scopes(r.token.scope) : scopes);
  }

  void full_authorization(const std::optional<BearerChallenge>& challenge,
                          std::vector<std::string> scopes, bool step_up) {
    const Discovery& d = ensure_discovery(challenge);
    // RFC 8414: an absent list means the defaults, which include authorization_code.
    const char* grant = options.grant == OAuthGrant::client_credentials ? "client_credentials"
                                                                        : "authorization_code";
    const auto& grants = d.server.grant_types_supported;
    if (!grants.empty() && !contains(grants, grant))
      throw OAuthError("the authorization server " + d.server.issuer + " does not support the " +
                       grant + " grant (grant_types_supported: " + join_scopes(grants) + ")");
    if (!step_up) scopes = initial_scopes(challenge, d);
    if (options.grant == OAuthGrant::client_credentials) {
      client_credentials(d, scopes);
    } else {
      authorization_code(d, scopes);
    }
  }

  std::string current_token() const {
    std::lock_guard lock(state_mutex);
    return record.token.access_token;
  }
};

OAuthClient::OAuthClient(OAuthClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

OAuthClient::~OAuthClient() = default;

transport::HttpToken OAuthClient::token() noexcept {
  std::lock_guard lock(impl_->state_mutex);
  const StoredToken& t = impl_->record.token;
  bool due = !t.refresh_token.empty() && t.expires_at != 0 &&
             unix_now() + impl_->options.refresh_margin.count() >= t.expires_at;
  return {.access_token = t.access_token,
          .refresh_first = due && !impl_->refresh_failed && !impl_->cancelled};
}

void OAuthClient::refresh() {
  std::lock_guard flow(impl_->flow_mutex);
  if (impl_->cancelled || !token().refresh_first) return;  // cancelled, or done meanwhile
  try {
    impl_->refresh_grant();
  } catch (const std::exception& e) {
    // The request goes on with the old token; a 401 then starts a full authorization.
    impl_->log(std::string("refresh failed: ") + e.what());
    std::lock_guard lock(impl_->state_mutex);
    impl_->refresh_failed = true;
  }
}

transport::HttpChallengeAnswer OAuthClient::on_challenge(const transport::HttpChallenge& c) {
  std::lock_guard flow(impl_->flow_mutex);
  if (impl_->cancelled) return {.reason = "authorization cancelled"};
  std::string current = impl_->current_token();
  // Another request's flow got a new token while this one waited: try that first.
  if (!current.empty() && current != c.sent_token) return {.retry = true};
  if (c.attempt >= impl_->options.max_authorizations_per_request)
    return {.reason =
                "still refused after " + std::to_string(c.attempt) + " authorizations; giving up"};
  std::optional<BearerChallenge> bearer = find_bearer_challenge(c.www_authenticate);
  try {
    if (c.status == 403) {
      if (!bearer || bearer->error != "insufficient_scope")
        return {.reason = "the server refused the request (HTTP 403" +
                          (bearer && !bearer->error.empty() ? ", " + bearer->error : "") + ")"};
      std::vector<std::string> scopes;
      {
        std::lock_guard lock(impl_->state_mutex);
        scopes = impl_->requested;
        add_all(scopes, split_scopes(impl_->record.token.scope));
      }
      add_all(scopes, split_scopes(bearer->scope));
      impl_->log("step-up: the server wants scope '" + bearer->scope + "'");
      impl_->full_authorization(bearer, std::move(scopes), true);
      return {.retry = true};
    }
    bool refreshable = false;
    bool just_issued = false;
    {
      std::lock_guard lock(impl_->state_mutex);
      bool ours = !c.sent_token.empty() && c.sent_token == impl_->record.token.access_token;
      refreshable = ours && !impl_->record.token.refresh_token.empty() && c.attempt == 0;
      just_issued = ours && impl_->fresh;
    }
    // A token issued moments ago and refused will not fare better after another login (the
    // server and its authorization server disagree: audience, resource, clock), unless the
    // server has moved to another authorization server meanwhile (SEP-2352): then a fresh look
    // at its metadata finds the new one, where this client registers anew.
    if (just_issued && impl_->authorization_server_moved(bearer)) {
      impl_->full_authorization(bearer, {}, false);
      return {.retry = true};
    }
    if (just_issued)
      return {.reason = "the server refused the token just issued for it (HTTP 401" +
                        (bearer && !bearer->error.empty() ? ", " + bearer->error : "") +
                        (bearer && !bearer->error_description.empty()
                             ? ": " + bearer->error_description.substr(0, 256)
                             : "") +
                        ")"};
    if (refreshable) {
      try {
        impl_->refresh_grant();
        return {.retry = true};
      } catch (const std::exception& e) {
        impl_->log(std::string("refresh failed: ") + e.what() + "; authorizing again");
      }
    }
    impl_->full_authorization(bearer, {}, false);
    return {.retry = true};
  } catch (const std::exception& e) {
    impl_->log(std::string("authorization failed: ") + e.what());
    return {.reason = e.what()};
  }
}

void OAuthClient::cancel() noexcept {
  impl_->cancelled = true;
  std::lock_guard lock(impl_->state_mutex);
  if (impl_->active_listener) impl_->active_listener->cancel();
}

void OAuthClient::authorize(const std::string& www_authenticate) {
  std::lock_guard flow(impl_->flow_mutex);
  if (impl_->cancelled) throw OAuthError("authorization cancelled");
  impl_->full_authorization(find_bearer_challenge(www_authenticate), {}, false);
}

std::string OAuthClient::access_token() const {
  return impl_->current_token();
}

std::optional<Discovery> OAuthClient::discovery() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->discovered;
}

std::vector<std::string> OAuthClient::requested_scopes() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->requested;
}

std::function<void(const std::string&)> headless_user_agent(HeadlessUserAgentOptions options) {
  return [options](const std::string& start) {
    std::string url = start;
    for (std::size_t hop = 0;; ++hop) {
      tls::enable();  // https:// needs glassbox_tls (auth links it)
      transport::FetchResponse r = transport::fetch({.url = url,
                                                     .timeout = options.timeout,
                                                     .verify_peer = options.verify_peer,
                                                     .ca_file = options.ca_file});
      bool redirect = r.status >= 300 && r.status < 400 && r.header("location");
      if (!redirect) {
        if (is_loopback_url(url) && hop > 0) {
          if (r.status == 200) return;
          throw OAuthError("the redirect listener answered HTTP " + std::to_string(r.status));
        }
        throw OAuthError("the authorization endpoint answered HTTP " + std::to_string(r.status) +
                         " instead of redirecting: it wants a person to log in");
      }
      if (hop >= options.max_redirects) throw OAuthError("too many redirects during authorization");
      boost::urls::url next;
      std::string location = *r.header("location");
      auto base = boost::urls::parse_absolute_uri(url);
      auto ref = boost::urls::parse_uri_reference(location);
      if (!base || !ref || !boost::urls::resolve(*base, *ref, next))
        throw OAuthError("the authorization server redirected to an invalid URL");
      url = std::string(next.buffer());
    }
  };
}

}  // namespace glassbox::auth
