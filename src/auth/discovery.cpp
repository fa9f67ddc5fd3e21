#include "glassbox/auth/discovery.hpp"

#include "glassbox/json/ascii.hpp"
#include "glassbox/json/json.hpp"
#include "glassbox/tls/tls.hpp"
#include "glassbox/transport/http_fetch.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace glassbox::auth {
namespace {

// The parts of an absolute http(s) URL that discovery compares.
struct Parts {
  std::string scheme;
  std::string authority;  // host[:port], lower-case, default port dropped, IPv6 in brackets
  std::string host;       // without brackets
  std::string path;       // encoded, "" for none
  std::string query;      // encoded, without "?"
  bool has_query = false;

  std::string origin() const { return scheme + "://" + authority; }
};

std::optional<Parts> split(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);  // a fragment is allowed here, and dropped
  if (!parsed) return std::nullopt;
  boost::urls::url_view u = *parsed;
  Parts p;
  p.scheme = json::ascii_lower(u.scheme());
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  p.host = json::ascii_lower(u.host_address());
  if (p.host.empty()) return std::nullopt;
  std::string host = json::ascii_lower(u.encoded_host());
  std::string port(u.port());
  bool default_port =
      (p.scheme == "https" && port == "443") || (p.scheme == "http" && port == "80");
  p.authority = host + (u.has_port() && !default_port && !port.empty() ? ":" + port : "");
  p.path = std::string(u.encoded_path());
  // Boost.URL 1.81 reads "http://127.0.0.1.evil.com/" as host 127.0.0.1 and path ".evil.com/";
  // after an authority a path must start with "/", so such a URL is refused, not reinterpreted.
  if (!p.path.empty() && p.path.front() != '/') return std::nullopt;
  p.has_query = u.has_query();
  p.query = std::string(u.encoded_query());
  return p;
}

Parts split_or_throw(std::string_view text, std::string_view what) {
  auto p = split(text);
  if (!p)
    throw DiscoveryError(std::string(what) + " is not an absolute http(s) URL: '" +
                         std::string(text) + "'");
  return *p;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  return host.starts_with("127.") &&
         std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(c) || c == '.'; });
}

// "/a/b" covers "/a/b" and "/a/b/c", not "/a/bc"; "" and "/" cover everything.
bool path_covers(std::string_view prefix, std::string_view path) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::string without_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::vector<std::string> string_list(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::array* a = json::find_array(o, key))
    for (const json::value& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

std::string string_member(const json::object& o, std::string_view key) {
  const json::string* s = json::find_string(o, key);
  return s ? std::string(*s) : std::string();
}

void say(const DiscoveryOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

struct Fetched {
  int status = 0;
  std::optional<json::object> document;
  std::string url;  // after same-origin redirects
};

// GET a JSON document. Non-200 answers come back as a status (the caller tries the next
// candidate); a cross-origin redirect, an insecure URL or a body that is not a JSON object is a
// DiscoveryError: those are a server lying or misconfigured, not a document that is absent.
Fetched get_json(std::string url, std::string_view what, const DiscoveryOptions& options) {
  for (int hop = 0;; ++hop) {
    if (!is_secure_or_loopback(url))
      throw DiscoveryError(std::string(what) + " URL " + url +
                           " is plain http to a host that is not loopback; refusing");
    tls::enable();  // https:// needs glassbox_tls (auth links it)
    transport::FetchResponse r = transport::fetch({.url = url,
                                                   .headers = {{"Accept", "application/json"}},
                                                   .timeout = options.timeout,
                                                   .max_response_bytes = options.max_document_bytes,
                                                   .verify_peer = options.verify_peer,
                                                   .ca_file = options.ca_file});
    say(options, std::string(what) + ": GET " + url + " -> " + std::to_string(r.status));
    if (r.status >= 300 && r.status < 400) {
      std::optional<std::string> location = r.header("location");
      if (!location) return {r.status, std::nullopt, url};
      boost::urls::url resolved;
      auto base = boost::urls::parse_absolute_uri(url);
      auto ref = boost::urls::parse_uri_reference(*location);
      if (!base || !ref || !boost::urls::resolve(*base, *ref, resolved))
        throw DiscoveryError(std::string(what) + " at " + url + " redirects to an invalid URL '" +
                             *location + "'");
      std::string next(resolved.buffer());
      auto from = split(url);
      auto to = split(next);
      if (!from || !to || from->origin() != to->origin())
        throw DiscoveryError(std::string(what) + " at " + url + " redirects to another origin (" +
                             next + "); not followed");
      if (hop >= 3) throw DiscoveryError(std::string(what) + " at " + url + ": too many redirects");
      url = std::move(next);
      continue;
    }
    if (r.status != 200) return {r.status, std::nullopt, url};
    std::optional<json::value> parsed = json::parse(r.body);
    if (!parsed || !parsed->is_object())
      throw DiscoveryError(std::string(what) + " at " + url + " is not a JSON object");
    return {200, std::move(parsed->get_object()), url};
  }
}

ProtectedResourceMetadata read_prm(const json::object& doc, const std::string& url,
                                   const std::string& server_url) {
  ProtectedResourceMetadata prm;
  prm.url = url;
  prm.resource = string_member(doc, "resource");
  if (prm.resource.empty())
    throw DiscoveryError("protected resource metadata at " + url + " has no 'resource'");
  Parts server = split_or_throw(server_url, "the MCP server URL");
  auto resource = split(prm.resource);
  if (!resource || resource->origin() != server.origin() ||
      !path_covers(resource->path, server.path))
    throw DiscoveryError("protected resource metadata at " + url + " is for resource '" +
                         prm.resource + "', not for this server (" + server_url +
                         "); refusing to authorize");
  prm.authorization_servers = string_list(doc, "authorization_servers");
  if (prm.authorization_servers.empty())
    throw DiscoveryError("protected resource metadata at " + url +
                         " lists no authorization_servers");
  prm.scopes_supported = string_list(doc, "scopes_supported");
  return prm;
}

AuthorizationServerMetadata read_as_metadata(const json::object& doc, const std::string& url) {
  AuthorizationServerMetadata m;
  m.url = url;
  m.issuer = string_member(doc, "issuer");
  m.authorization_endpoint = string_member(doc, "authorization_endpoint");
  m.token_endpoint = string_member(doc, "token_endpoint");
  m.registration_endpoint = string_member(doc, "registration_endpoint");
  m.scopes_supported = string_list(doc, "scopes_supported");
  m.grant_types_supported = string_list(doc, "grant_types_supported");
  m.token_endpoint_auth_methods_supported =
      string_list(doc, "token_endpoint_auth_methods_supported");
  m.code_challenge_methods_supported = string_list(doc, "code_challenge_methods_supported");
  m.client_id_metadata_document_supported =
      json::find_bool(doc, "client_id_metadata_document_supported").value_or(false);
  m.authorization_response_iss_parameter_supported =
      json::find_bool(doc, "authorization_response_iss_parameter_supported").value_or(false);
  if (m.issuer.empty())
    throw DiscoveryError("authorization server metadata at " + url + " has no 'issuer'");
  if (m.token_endpoint.empty())
    throw DiscoveryError("authorization server metadata at " + url + " has no 'token_endpoint'");
  for (const std::string* endpoint :
       {&m.authorization_endpoint, &m.token_endpoint, &m.registration_endpoint}) {
    if (!endpoint->empty() && !is_secure_or_loopback(*endpoint))
      throw DiscoveryError("authorization server metadata at " + url + " names endpoint " +
                           *endpoint + ", which is neither https nor loopback; refusing");
  }
  return m;
}

// The authorization server named `issuer`, from the first of its metadata URLs that answers.
std::optional<AuthorizationServerMetadata> find_as_metadata(const std::string& issuer,
                                                            const DiscoveryOptions& options) {
  for (const std::string& url : authorization_server_metadata_urls(issuer)) {
    Fetched f = get_json(url, "authorization server metadata", options);
    if (!f.document) continue;
    AuthorizationServerMetadata m = read_as_metadata(*f.document, f.url);
    if (without_trailing_slash(m.issuer) != without_trailing_slash(issuer))
      throw DiscoveryError("authorization server metadata at " + f.url + " names issuer '" +
                           m.issuer + "', but the protected resource names '" + issuer +
                           "'; refusing (RFC 8414 section 3.3)");
    return m;
  }
  return std::nullopt;
}

}  // namespace

bool AuthorizationServerMetadata::supports_s256() const {
  return std::find(code_challenge_methods_supported.begin(), code_challenge_methods_supported.end(),
                   "S256") != code_challenge_methods_supported.end();
}

bool is_secure_or_loopback(std::string_view url) {
  auto p = split(url);
  if (!p) return false;
  return p->scheme == "https" || is_loopback(p->host);
}

std::string canonical_resource(std::string_view url) {
  Parts p = split_or_throw(url, "the resource");
  std::string out = p.origin();
  if (p.path != "/") out += p.path;
  if (p.has_query) out += "?" + p.query;
  return out;
}

std::vector<std::string> protected_resource_metadata_urls(const std::string& server_url) {
  Parts p = split_or_throw(server_url, "the MCP server URL");
  std::vector<std::string> urls;
  std::string path = p.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty()) urls.push_back(p.origin() + "/.well-known/oauth-protected-resource" + path);
  urls.push_back(p.origin() + "/.well-known/oauth-protected-resource");
  return urls;
}

std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer) {
  Parts p = split_or_throw(issuer, "the authorization server");
  std::string path = p.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string origin = p.origin();
  if (path.empty())
    return {origin + "/.well-known/oauth-authorization-server",
            origin + "/.well-known/openid-configuration"};
  return {origin + "/.well-known/oauth-authorization-server" + path,
          origin + "/.well-known/openid-configuration" + path,
          origin + path + "/.well-known/openid-configuration"};
}

Discovery discover(const std::string& server_url, const std::string& resource_metadata_url,
                   const DiscoveryOptions& options) {
  Parts server = split_or_throw(server_url, "the MCP server URL");
  Discovery out;

  std::vector<std::string> prm_urls;
  if (!resource_metadata_url.empty()) prm_urls.push_back(resource_metadata_url);
  for (std::string& url : protected_resource_metadata_urls(server_url))
    if (std::find(prm_urls.begin(), prm_urls.end(), url) == prm_urls.end())
      prm_urls.push_back(std::move(url));
  for (const std::string& url : prm_urls) {
    Fetched f = get_json(url, "protected resource metadata", options);
    if (!f.document) continue;
    out.resource_metadata = read_prm(*f.document, f.url, server_url);
    break;
  }

  if (out.resource_metadata) {
    out.resource = out.resource_metadata->resource;
    for (const std::string& issuer : out.resource_metadata->authorization_servers) {
      if (!is_secure_or_loopback(issuer))
        throw DiscoveryError("the protected resource names authorization server " + issuer +
                             ", which is neither https nor loopback; refusing");
      if (auto m = find_as_metadata(issuer, options)) {
        out.server = std::move(*m);
        return out;
      }
    }
    throw DiscoveryError("no metadata found for authorization server " +
                         out.resource_metadata->authorization_servers.front() +
                         " (tried RFC 8414 and OpenID Connect locations)");
  }

  // 2025-03-26: no protected resource metadata; the server's origin is the authorization server.
  out.resource = canonical_resource(server_url);
  say(options, "no protected resource metadata; using " + server.origin() +
                   " as the authorization server (2025-03-26)");
  for (const std::string& url : authorization_server_metadata_urls(server.origin())) {
    Fetched f = get_json(url, "authorization server metadata", options);
    if (!f.document) continue;
    AuthorizationServerMetadata m = read_as_metadata(*f.document, f.url);
    // That revision's metadata may put the issuer under a path of the origin it was found at
    // (https://host/oauth); it must not name another origin.
    auto issuer = split(m.issuer);
    if (!issuer || issuer->origin() != server.origin())
      throw DiscoveryError("authorization server metadata at " + f.url + " names issuer '" +
                           m.issuer + "', not on the MCP server's origin " + server.origin() +
                           "; refusing");
    out.server = std::move(m);
    return out;
  }
  say(options, "no authorization server metadata; using the default endpoints of " +
                   server.origin() + " (2025-03-26)");
  out.server.issuer = server.origin();
  out.server.authorization_endpoint = server.origin() + "/authorize";
  out.server.token_endpoint = server.origin() + "/token";
  out.server.registration_endpoint = server.origin() + "/register";
  out.server.from_document = false;
  return out;
}

}  // namespace glassbox::auth
