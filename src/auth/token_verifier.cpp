#include "glassbox/auth/token_verifier.hpp"

#include <algorithm>

namespace glassbox::auth {

std::string_view to_string(Reason reason) noexcept {
  switch (reason) {
    case Reason::valid:
      return "valid";
    case Reason::missing:
      return "missing";
    case Reason::token_in_query:
      return "token_in_query";
    case Reason::malformed:
      return "malformed";
    case Reason::oversized:
      return "oversized";
    case Reason::wrong_type:
      return "wrong_type";
    case Reason::alg_not_allowed:
      return "alg_not_allowed";
    case Reason::unknown_key:
      return "unknown_key";
    case Reason::bad_signature:
      return "bad_signature";
    case Reason::expired:
      return "expired";
    case Reason::not_yet_valid:
      return "not_yet_valid";
    case Reason::wrong_issuer:
      return "wrong_issuer";
    case Reason::wrong_audience:
      return "wrong_audience";
    case Reason::insufficient_scope:
      return "insufficient_scope";
    case Reason::jwks_unavailable:
      return "jwks_unavailable";
    case Reason::introspection_failed:
      return "introspection_failed";
    case Reason::inactive:
      return "inactive";
  }
  return "unknown";
}

int http_status(Reason reason) noexcept {
  switch (reason) {
    case Reason::valid:
      return 200;
    case Reason::token_in_query:
      return 400;
    case Reason::insufficient_scope:
      return 403;
    case Reason::jwks_unavailable:
    case Reason::introspection_failed:
      return 503;
    default:
      return 401;
  }
}

std::string_view bearer_error(Reason reason) noexcept {
  switch (reason) {
    case Reason::valid:
    case Reason::missing:
    case Reason::jwks_unavailable:
    case Reason::introspection_failed:
      return "";
    case Reason::token_in_query:
      return "invalid_request";
    case Reason::insufficient_scope:
      return "insufficient_scope";
    default:
      return "invalid_token";
  }
}

bool AuthInfo::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

}  // namespace glassbox::auth
