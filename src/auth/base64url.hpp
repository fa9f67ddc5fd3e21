// Base64url without padding (RFC 4648 section 5), as JWTs, JWKs and PKCE use it: auth's names
// for the one base64 of the tree (json/base64.hpp).
// Pure functions: any thread.
#pragma once

#include "json/base64.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace glassbox::auth {

inline std::string base64url_encode(std::string_view bytes) {
  return json::base64url_encode(bytes);
}
// nullopt for a character outside the alphabet, padding, or an impossible length (4n+1).
inline std::optional<std::string> base64url_decode(std::string_view text) {
  return json::base64url_decode(text);
}

}  // namespace glassbox::auth
