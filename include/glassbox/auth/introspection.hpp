// Opaque access tokens verified by OAuth 2.0 Token Introspection (RFC 7662): POST token=... to
// the authorization server's introspection endpoint, authenticated with HTTP Basic client
// credentials; the answer's active, scope, aud, exp, iss, sub and client_id decide.
//
//   auto verifier = std::make_shared<glassbox::auth::IntrospectionVerifier>(
//       glassbox::auth::IntrospectionVerifierOptions{
//           .endpoint = "https://auth.example.com/introspect",
//           .client_id = "mcp-server", .client_secret = "..."});
//
// Answers are cached briefly (keyed by the token's SHA-256, never the token itself), at most
// until the token's exp; refusals (active: false) for a shorter time; failures not at all.
//
// Threads: thread-safe. verify() blocks on the endpoint; try_verify() answers from the cache.
#pragma once

#include "glassbox/auth/token_verifier.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace glassbox::auth {

struct IntrospectionVerifierOptions {
  std::string endpoint;                  // required: the introspection URL
  std::string client_id, client_secret;  // HTTP Basic (RFC 6749 2.3.1); empty id: no auth
  // When set, an answer naming another iss is refused (wrong_issuer).
  std::string issuer;
  // aud is optional in RFC 7662; when the answer has one it must contain the resource. With
  // require_audience an answer without aud is refused too.
  bool require_audience = false;
  std::chrono::seconds clock_skew{60};
  std::size_t max_token_bytes = 8 * 1024;
  std::chrono::seconds cache_ttl{60};
  std::chrono::seconds negative_cache_ttl{10};
  std::size_t max_cache_entries = 10000;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_response_bytes = 64 * 1024;
  bool verify_peer = true;
  std::string ca_file;
  std::function<std::int64_t()> now{};  // Unix seconds; null: the system clock
};

class IntrospectionVerifier : public TokenVerifier {
 public:
  // Throws std::invalid_argument without an endpoint.
  explicit IntrospectionVerifier(IntrospectionVerifierOptions options);
  ~IntrospectionVerifier() override;

  VerifyResult verify(std::string_view token, std::string_view audience) override;
  std::optional<VerifyResult> try_verify(std::string_view token,
                                         std::string_view audience) override;

  std::size_t requests() const;  // introspection calls made (cache misses)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glassbox::auth
