// What mcp::enable_auth's authorizer hands through the HTTP transport with an accepted request
// (MessageContext::principal): the token's grant for RequestContext::auth(), and what the
// auth.validate span says about the check. Private to src/mcp.
#pragma once

#include "glassbox/auth/token_verifier.hpp"
#include "glassbox/transport/transport.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace glassbox::mcp {

struct AuthPrincipal {
  auth::AuthInfo info;
  auth::TokenFacts facts;
  std::uint64_t start_unix_nano = 0;  // the check, for the auth.validate span
  std::uint64_t end_unix_nano = 0;
  std::vector<std::string> required_scopes;
};

inline const AuthPrincipal* principal_of(const transport::MessageContext& context) {
  auto* held = std::any_cast<std::shared_ptr<const AuthPrincipal>>(&context.principal);
  return held ? held->get() : nullptr;
}

}  // namespace glassbox::mcp
