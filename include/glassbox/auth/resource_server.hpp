// The HTTP side of an OAuth 2.1 resource server, as MCP authorization (2025-11-25) asks of an
// MCP server: the Protected Resource Metadata document (RFC 9728) and where it lives, the
// WWW-Authenticate challenges of RFC 6750, and reading the bearer token from the request.
// Pure functions and values: any thread.
#pragma once

#include "glassbox/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

inline constexpr std::string_view kProtectedResourceWellKnown =
    "/.well-known/oauth-protected-resource";

// Both sides use it: the resource server serves it, the client's discovery reads it (and keeps
// `url`, where it was found).
struct ProtectedResourceMetadata {
  std::string url;       // where the document was found (client side); not serialized
  std::string resource;  // the canonical URI of the MCP server, e.g. https://mcp.example.com/mcp
  std::vector<std::string> authorization_servers;  // issuer identifiers
  std::vector<std::string> scopes_supported;       // omitted when empty
  std::vector<std::string> bearer_methods_supported = {"header"};
  std::string resource_name;           // omitted when empty
  std::string resource_documentation;  // omitted when empty

  json::object to_json() const;
};

// Where the metadata of `resource` is served: RFC 9728 3.1 inserts the well-known segment
// between the host and the resource's path, so "http://h:1/mcp" has
// "/.well-known/oauth-protected-resource/mcp". A resource without a path has only the bare
// well-known path.
std::string metadata_path(std::string_view resource);
// The absolute URL of metadata_path(resource), for the resource_metadata challenge parameter.
std::string metadata_url(std::string_view resource);

// A WWW-Authenticate challenge of the Bearer scheme (RFC 6750 3, RFC 9728 5.1).
struct BearerChallenge {
  std::string resource_metadata;
  std::string error;  // invalid_request, invalid_token, insufficient_scope; empty: none
  std::string error_description;
  std::string scope;  // space-separated; empty: omitted

  // Bearer resource_metadata="...", error="...", error_description="...", scope="..."; quotes
  // and backslashes escaped, characters RFC 6750 forbids in a description dropped.
  std::string to_string() const;
};

// The token of an Authorization value "Bearer <token>" (scheme case-insensitive, RFC 7235);
// nullopt when the value is empty, another scheme, or has nothing after the scheme. Whatever
// follows is returned as is: the verifier refuses what is not a token.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// Whether a request target carries an access_token query parameter (RFC 6750 2.3), which MCP
// forbids: such a request is refused whatever else it carries.
bool has_query_token(std::string_view target);

}  // namespace glassbox::auth
