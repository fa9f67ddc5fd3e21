// private_key_jwt client authentication (RFC 7523 section 2.2, OpenID Connect Core 9): the
// signed JWT an OAuth client sends as `client_assertion` to prove it holds its key. Client side
// only; verifying such tokens is the resource/authorization server's business.
// Pure function over OpenSSL: any thread.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace glassbox::auth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct ClientAssertionOptions {
  std::string client_id;            // iss and sub
  std::string audience;             // aud: the authorization server's issuer
  std::string private_key_pem;      // PKCS#8 or traditional PEM; EC P-256 for ES256, RSA for RS256
  std::string algorithm = "ES256";  // ES256 or RS256
  std::chrono::seconds lifetime{300};
};

// Throws std::invalid_argument for an unusable key or algorithm.
std::string make_client_assertion(const ClientAssertionOptions& options);

}  // namespace glassbox::auth
