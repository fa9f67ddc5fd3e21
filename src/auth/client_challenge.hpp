// Reading WWW-Authenticate (RFC 9110 section 11.6.1) on the client side: the challenges a 401
// or 403 carries, and the Bearer parameters MCP authorization uses (RFC 6750 section 3,
// RFC 9728 section 5.1: error, scope, resource_metadata).
//
// The parser never throws and never reads past its input: what does not parse is skipped up to
// the next comma, an unterminated quoted string ends the parse, and input beyond kMaxHeaderBytes
// or challenges beyond kMaxChallenges are ignored. Pure functions: any thread.
#pragma once

#include "auth/scopes.hpp"
#include "glassbox/auth/resource_server.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glassbox::auth {

struct AuthChallenge {
  std::string scheme;   // as sent; schemes compare case-insensitively
  std::string token68;  // `Basic dXNlcg==` style credentials-like value, when present
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted

  // The first parameter called `name` (case-insensitive).
  std::optional<std::string> param(std::string_view name) const;
};

inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr std::size_t kMaxChallenges = 16;
inline constexpr std::size_t kMaxParams = 32;  // per challenge

// Every challenge of one WWW-Authenticate value (or several values joined by ", ").
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

// The parameters of the first Bearer challenge (the struct the resource server writes); empty
// strings for those it lacks.
std::optional<BearerChallenge> find_bearer_challenge(std::string_view header);

}  // namespace glassbox::auth
