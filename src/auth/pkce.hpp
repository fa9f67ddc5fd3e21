// PKCE (RFC 7636) for the authorization code flow, client side: a fresh verifier per
// authorization request and its S256 challenge, plus the random strings OAuth needs (state).
// Pure functions over OpenSSL's CSPRNG: any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace glassbox::auth {

struct Pkce {
  std::string verifier;   // 43..128 characters of [A-Za-z0-9-._~]; sent with the token request
  std::string challenge;  // BASE64URL(SHA256(verifier)); sent with the authorization request
  std::string method = "S256";
};

// 32 random bytes as base64url (43 characters), the length RFC 7636 recommends.
Pkce make_pkce();

// BASE64URL(SHA256(ASCII(verifier))), RFC 7636 section 4.2.
std::string pkce_s256(std::string_view verifier);

// Whether `verifier` has the length and alphabet RFC 7636 section 4.1 allows.
bool is_valid_pkce_verifier(std::string_view verifier);

// `bytes` random bytes from the CSPRNG, base64url-encoded (state values, JWT ids).
// Throws std::runtime_error if the CSPRNG fails.
std::string random_urlsafe(std::size_t bytes);

}  // namespace glassbox::auth
