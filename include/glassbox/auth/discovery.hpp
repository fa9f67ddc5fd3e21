// OAuth discovery for an MCP client (MCP authorization 2025-11-25, with the 2025-03-26
// fallbacks): from the MCP server's URL and its 401 challenge to the protected resource metadata
// (RFC 9728) and the authorization server metadata (RFC 8414 / OpenID Connect Discovery).
//
// Order:
// 1. Protected resource metadata: the challenge's `resource_metadata` URL, else
//    `/.well-known/oauth-protected-resource/<path>` then `/.well-known/oauth-protected-resource`
//    at the server's origin.
// 2. Authorization server metadata, for the first server the PRM lists: with a path
//    (https://as/tenant1) `/.well-known/oauth-authorization-server/tenant1`,
//    `/.well-known/openid-configuration/tenant1`, `/tenant1/.well-known/openid-configuration`;
//    without one `/.well-known/oauth-authorization-server` then
//    `/.well-known/openid-configuration`.
// 3. No PRM at all (a 2025-03-26 server): the MCP server's origin is the authorization server;
//    its metadata at the two root well-known URLs, else the default endpoints /authorize,
//    /token and /register at that origin.
//
// What is refused (DiscoveryError, with a message that says which document lied and how):
// a PRM whose `resource` is not the server (same origin, and its path the server's path or a
// prefix of it); metadata whose `issuer` is not the authorization server named by the PRM
// (a trailing slash aside; in the 2025-03-26 fallback, not on the server's origin); a redirect
// to another origin (same-origin redirects are followed, at most 3); plain http to anything but
// a loopback host; documents that are not JSON objects or lack required members.
//
// Blocking (transport::fetch, each request bounded by `timeout`): call it from a thread that
// may block. No shared state: any thread.
#pragma once

#include "glassbox/auth/resource_server.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

class DiscoveryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AuthorizationServerMetadata {
  std::string url;     // where it was found; empty when synthesized (2025-03-26 defaults)
  std::string issuer;  // the authorization server's identifier
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string registration_endpoint;  // empty: no dynamic client registration
  std::vector<std::string> scopes_supported;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> code_challenge_methods_supported;
  bool client_id_metadata_document_supported = false;
  bool authorization_response_iss_parameter_supported = false;  // RFC 9207
  bool from_document = true;  // false for the synthesized 2025-03-26 default endpoints

  bool supports_s256() const;
};

struct DiscoveryOptions {
  std::chrono::milliseconds timeout{10000};  // per HTTP request
  std::size_t max_document_bytes = 256 * 1024;
  bool verify_peer = true;
  std::string ca_file;
  // One line per step ("PRM: GET https://... -> 404"), for -v style logs; may be empty.
  std::function<void(std::string_view)> log;
};

struct Discovery {
  std::optional<ProtectedResourceMetadata> resource_metadata;  // nullopt: 2025-03-26 fallback
  AuthorizationServerMetadata server;
  // The RFC 8707 `resource` to send: the PRM's resource, else the canonical server URL.
  std::string resource;
};

// `resource_metadata_url` is the challenge's parameter ("" when it had none). Throws
// DiscoveryError, or transport::FetchError when a server cannot be reached at all.
Discovery discover(const std::string& server_url, const std::string& resource_metadata_url,
                   const DiscoveryOptions& options = {});

// The pieces, for tests and for callers that cache.
std::vector<std::string> protected_resource_metadata_urls(const std::string& server_url);
std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer);

// The canonical URI of an MCP server (RFC 8707 section 2, MCP "canonical server URI"): scheme
// and host lower-cased, no fragment, no lone trailing "/". Throws DiscoveryError on a URL that
// is not absolute http(s).
std::string canonical_resource(std::string_view url);

// https, or http to localhost / 127.0.0.0/8 / [::1] (OAuth 2.1 section 1.5 allows loopback).
bool is_secure_or_loopback(std::string_view url);

}  // namespace glassbox::auth
