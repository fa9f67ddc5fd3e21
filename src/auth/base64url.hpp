// Base64url without padding (RFC 4648 section 5), as JWTs, JWKs and PKCE use it.
// Pure functions: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace glassbox::auth {

std::string base64url_encode(std::string_view bytes);
// nullopt for a character outside the alphabet, padding, or an impossible length (4n+1).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace glassbox::auth
