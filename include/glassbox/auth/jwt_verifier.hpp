// JWT access tokens (RFC 9068 profile of RFC 7519) verified locally against the issuer's JWKS.
//
//   auto verifier =
//   std::make_shared<glassbox::auth::JwtVerifier>(glassbox::auth::JwtVerifierOptions{
//       .issuer = "https://auth.example.com", .jwks_url = "https://auth.example.com/jwks"});
//   VerifyResult r = verifier->verify(token, "https://mcp.example.com/mcp");
//
// Checks, in this order, each with its own Reason: size (before any parsing), compact JWS shape,
// header (alg allowed and supported, never none or HMAC; typ at+jwt or JWT when present; no
// crit), key (by kid, and its kty/crv/alg must fit the header's alg; keys named in the token
// itself — jwk, jku, x5u, x5c — are never used), signature, then claims: iss, aud (string or
// array, must contain the resource, RFC 8707), exp/nbf/iat with the clock skew.
//
// Keys: loaded at first use from a file, a URL or inline text; kept in memory; reloaded when a
// token names an unknown kid or the keys are older than jwks_max_age, but never more often than
// jwks_min_refresh_interval, so a flood of tokens with made-up kids cannot hammer the issuer.
// A failed reload keeps the keys already loaded.
//
// A token that verified is remembered (by digest) for up to verified_cache_ttl, so a key removed
// from the JWKS stops being honoured for cached tokens only after that long.
//
// Threads: every member is thread-safe. verify() may block on the JWKS fetch (one thread
// fetches, the others that need the new keys wait for it); try_verify() never blocks.
#pragma once

#include "glassbox/auth/jwk.hpp"
#include "glassbox/auth/token_verifier.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace glassbox::auth {

struct JwtVerifierOptions {
  std::string issuer;  // required: iss must be exactly this
  // Where the keys come from: exactly one of these.
  std::string jwks_url;   // http(s); fetched with transport::fetch (no redirects followed)
  std::string jwks_file;  // a local JWKS document
  std::string jwks;       // the JWKS document itself
  // Allowed algorithms, a subset of kSupportedAlgorithms.
  std::vector<std::string> algorithms = {"RS256", "PS256", "ES256", "EdDSA"};
  // Accepted typ header values when present, compared case-insensitively (RFC 9068 asks for
  // at+jwt; many issuers write JWT). Empty: any typ.
  std::vector<std::string> types = {"at+jwt", "application/at+jwt", "jwt"};
  std::chrono::seconds clock_skew{60};
  std::size_t max_token_bytes = 8 * 1024;
  bool require_exp = true;
  // Tokens already verified, by SHA-256 (never the token itself), so that the next request of
  // a session costs a hash instead of a signature check; kept until the token's exp or the
  // ttl, whichever comes first. 0 entries: no cache.
  std::size_t verified_cache_entries = 1024;
  std::chrono::seconds verified_cache_ttl{60};
  // JWKS loading.
  std::chrono::seconds jwks_min_refresh_interval{30};
  std::chrono::seconds jwks_max_age{3600};
  std::chrono::milliseconds jwks_timeout{5000};
  std::size_t max_jwks_bytes = 256 * 1024;
  JwksLimits jwks_limits{};
  bool verify_peer = true;  // https JWKS URL: verify the certificate
  std::string ca_file;      // https JWKS URL: an extra CA bundle
  // The clock, Unix seconds; null: the system clock. For tests.
  std::function<std::int64_t()> now{};
};

class JwtVerifier : public TokenVerifier {
 public:
  // Throws std::invalid_argument when the options name no issuer or not exactly one key source.
  explicit JwtVerifier(JwtVerifierOptions options);
  ~JwtVerifier() override;

  VerifyResult verify(std::string_view token, std::string_view audience) override;
  std::optional<VerifyResult> try_verify(std::string_view token,
                                         std::string_view audience) override;

  // Loads the keys now (at startup, to fail early on a bad JWKS file). False, with the reason,
  // when they could not be loaded. Blocks on a URL.
  bool load_keys(std::string* error = nullptr);
  // How many times the JWKS was loaded or fetched (attempts, successful or not).
  std::size_t key_loads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glassbox::auth
