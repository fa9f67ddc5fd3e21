#include "glassbox/auth/resource_server.hpp"

#include "glassbox/json/ascii.hpp"

namespace glassbox::auth {
namespace {

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

// "http://h:1/mcp" -> {"http://h:1", "/mcp"}; the query and fragment are not part of it.
std::pair<std::string_view, std::string_view> split_origin(std::string_view resource) {
  resource = resource.substr(0, resource.find_first_of("?#"));
  std::size_t scheme = resource.find("://");
  std::size_t path = resource.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (path == std::string_view::npos) return {resource, {}};
  return {resource.substr(0, path), resource.substr(path)};
}

void append_param(std::string& out, std::string_view name, std::string_view value,
                  bool description) {
  if (value.empty()) return;
  out += out.size() > 7 ? ", " : "";
  out += name;
  out += "=\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    // RFC 6750 3: error_description and scope are %x20-21 / %x23-5B / %x5D-7E.
    if (description && (u < 0x20 || u > 0x7e || c == '"' || c == '\\')) continue;
    if (c == '"' || c == '\\') out += '\\';
    if (u < 0x20 || u == 0x7f) continue;
    out += c;
  }
  out += '"';
}

}  // namespace

json::object ProtectedResourceMetadata::to_json() const {
  json::object out{{"resource", resource},
                   {"authorization_servers", strings(authorization_servers)}};
  if (!scopes_supported.empty()) out["scopes_supported"] = strings(scopes_supported);
  out["bearer_methods_supported"] = strings(bearer_methods_supported);
  if (!resource_name.empty()) out["resource_name"] = resource_name;
  if (!resource_documentation.empty()) out["resource_documentation"] = resource_documentation;
  return out;
}

std::string metadata_path(std::string_view resource) {
  auto [origin, path] = split_origin(resource);
  std::string out(kProtectedResourceWellKnown);
  if (path != "/") out += path;
  return out;
}

std::string metadata_url(std::string_view resource) {
  return std::string(split_origin(resource).first) + metadata_path(resource);
}

std::string BearerChallenge::to_string() const {
  std::string out = "Bearer ";
  append_param(out, "resource_metadata", resource_metadata, false);
  append_param(out, "error", error, true);
  append_param(out, "error_description", error_description, true);
  append_param(out, "scope", scope, true);
  if (out.size() == 7) out.pop_back();  // "Bearer" alone
  return out;
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  while (!authorization.empty() && (authorization.front() == ' ' || authorization.front() == '\t'))
    authorization.remove_prefix(1);
  if (authorization.size() < 7) return std::nullopt;
  if (!json::ascii_iequals(authorization.substr(0, 6), "bearer")) return std::nullopt;
  if (authorization[6] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

bool has_query_token(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == "access_token") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace glassbox::auth
