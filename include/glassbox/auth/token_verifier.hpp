// Access-token verification for an OAuth 2.1 resource server (the server side of MCP
// authorization, protocol 2025-11-25): the exact outcome of a check, what a valid token grants,
// and the seam every verifier implements. JWTs are checked locally (jwt_verifier.hpp), opaque
// tokens by introspection (introspection.hpp); anything else implements TokenVerifier.
//
// Threads: plain values; a TokenVerifier is shared by every I/O and worker thread, so each
// implementation is thread-safe.
#pragma once

#include "glassbox/json/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

// Why a token was accepted or refused: one exact code per failure, recorded as `auth.outcome`
// on the auth.validate span and returned to the caller in the refusal's error data.
enum class Reason {
  valid,
  missing,               // no Authorization: Bearer credentials
  token_in_query,        // ?access_token=...: only the header is accepted (MCP, RFC 6750 2.3)
  malformed,             // not a compact JWS, bad base64url/JSON, claims of the wrong type
  oversized,             // longer than the verifier's bound, refused before parsing
  wrong_type,            // JOSE typ present and neither at+jwt nor JWT (RFC 9068)
  alg_not_allowed,       // none, HMAC, or an algorithm outside the allowed list
  unknown_key,           // no key in the JWKS matches kid/alg (after a permitted refresh)
  bad_signature,         // the signature does not verify
  expired,               // exp passed (beyond the clock skew)
  not_yet_valid,         // nbf or iat in the future (beyond the clock skew)
  wrong_issuer,          // iss differs from the configured issuer
  wrong_audience,        // aud does not name this resource (RFC 8707)
  insufficient_scope,    // valid, but a required scope is not granted
  jwks_unavailable,      // the keys could not be loaded (unreachable, too big, malformed)
  introspection_failed,  // the introspection endpoint failed or answered nonsense
  inactive,              // introspection says active: false
};

std::string_view to_string(Reason reason) noexcept;

// The HTTP status a refusal for `reason` calls for: 401 for a missing or invalid token, 403 for
// insufficient_scope, 400 for token_in_query, 503 when the verifier's own backend (JWKS,
// introspection) failed: a client must not throw away a good token for the server's outage.
int http_status(Reason reason) noexcept;

// The RFC 6750 error code for the WWW-Authenticate challenge: "" for missing (no error code,
// RFC 6750 3.1), "invalid_request", "insufficient_scope", else "invalid_token".
std::string_view bearer_error(Reason reason) noexcept;

// What a valid token grants; reaches tool handlers through RequestContext::auth(). The claims
// may identify a person: they are for the handler, never for telemetry (S11).
struct AuthInfo {
  std::string subject;    // sub
  std::string client_id;  // client_id (RFC 9068), else azp
  std::vector<std::string> scopes;
  std::string issuer;
  std::vector<std::string> audience;
  std::optional<std::int64_t> expires_at;  // exp, Unix seconds
  json::object claims;                     // the JWT payload or the introspection response

  bool has_scope(std::string_view scope) const;
};

// What may be said about a token in telemetry: never the token, its signature, or claims that
// identify a person (sub, email, name...).
struct TokenFacts {
  std::string format;  // "jwt" or "opaque"
  std::string alg;     // the JWS header's alg, as written (even when not allowed)
  std::string key_id;  // the JWS header's kid
  std::string issuer;  // iss as the token (or the introspection answer) states it
  std::string client_id;
  bool cached = false;          // answered from a cache, no signature check or network
  bool keys_refreshed = false;  // this verification (re)loaded the JWKS
};

struct VerifyResult {
  Reason reason = Reason::malformed;
  // For error_description: what is wrong, in words safe to show the caller; never token content.
  std::string description;
  TokenFacts facts;
  std::optional<AuthInfo> info;  // set when reason == valid

  bool ok() const noexcept { return reason == Reason::valid; }
};

class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;

  // Verifies `token` (the Authorization: Bearer credentials) for the resource whose canonical
  // URI is `audience` (RFC 8707). May block on the network (JWKS refresh, introspection): call
  // it off I/O threads. Never throws.
  virtual VerifyResult verify(std::string_view token, std::string_view audience) = 0;

  // The same answer when it needs no I/O (cached keys, a cached introspection), else nullopt.
  // Never blocks, so an event loop can try it first and hand only the rest to a worker.
  virtual std::optional<VerifyResult> try_verify(std::string_view token,
                                                 std::string_view audience) {
    (void)token;
    (void)audience;
    return std::nullopt;
  }
};

}  // namespace glassbox::auth
