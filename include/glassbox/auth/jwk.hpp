// JSON Web Keys (RFC 7517) for verifying JWS signatures (RFC 7515, algorithms of RFC 7518 and
// RFC 8037) with OpenSSL 3: RS256, PS256, ES256 and EdDSA (Ed25519). Public keys only; a
// private or symmetric key in a JWKS is skipped, never used.
//
// Threads: a JsonWebKey is immutable once parsed and may verify on any number of threads at
// once (OpenSSL 3 EVP_PKEYs are safe for concurrent read-only use).
#pragma once

#include "glassbox/json/json.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

// The JWS algorithms glassbox verifies. HMAC (HS*) is deliberately absent: a resource server
// holding only public keys must never accept a MAC, or a public key becomes a shared secret
// (algorithm confusion).
inline constexpr std::string_view kSupportedAlgorithms[] = {"RS256", "PS256", "ES256", "EdDSA"};

class JsonWebKey {
 public:
  // Builds a key from one JWK object: kty RSA (n, e; at least `min_rsa_bits`), EC (crv P-256,
  // x, y, a point on the curve) or OKP (crv Ed25519, x). Returns nullopt, with a reason, for
  // anything else: another kty or crv, a private key member (d, p, q...), use other than "sig",
  // key_ops without "verify", an alg glassbox does not verify, bad base64url.
  static std::optional<JsonWebKey> from_jwk(const json::object& jwk, std::size_t min_rsa_bits,
                                            std::string* error = nullptr);

  const std::string& kid() const { return kid_; }
  const std::string& kty() const { return kty_; }
  const std::string& alg() const { return alg_; }  // empty when the JWK names none
  const std::string& crv() const { return crv_; }

  // Whether this key may verify a signature made with JWS `alg`: kty and crv must fit the
  // algorithm, and the JWK's own alg, when given, must be the same one.
  bool fits(std::string_view alg) const;

  // Verifies a JWS signature as it appears in the token (decoded from base64url; for ES256 the
  // 64-byte r||s, converted to DER for OpenSSL) over `signing_input` (header.payload). False
  // for any mismatch, including a key that does not fit `alg`.
  bool verify(std::string_view alg, std::string_view signing_input,
              std::string_view signature) const;

  struct Key;  // the OpenSSL key (src/auth/jwk.cpp)

 private:
  std::string kid_, kty_, alg_, crv_;
  std::shared_ptr<const Key> key_;
};

struct JwksLimits {
  std::size_t max_keys = 32;  // a JWKS listing more is refused whole
  std::size_t min_rsa_bits = 2048;
};

struct KeySet {
  std::vector<JsonWebKey> keys;
  std::size_t skipped = 0;  // entries that are not usable verification keys
};

// Parses a JWKS document ({"keys": [...]}). Entries that are not usable keys are skipped and
// counted; a document that is not JSON, has no keys array, or lists more than max_keys entries
// is refused (nullopt, with a reason).
std::optional<KeySet> parse_jwks(std::string_view document, const JwksLimits& limits = {},
                                 std::string* error = nullptr);

}  // namespace glassbox::auth
