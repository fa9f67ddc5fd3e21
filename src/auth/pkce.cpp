#include "auth/pkce.hpp"

#include "auth/base64url.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace glassbox::auth {

std::string random_urlsafe(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (bytes > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("the random number generator failed");
  return base64url_encode(raw);
}

std::string pkce_s256(std::string_view verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

bool is_valid_pkce_verifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (!unreserved) return false;
  }
  return true;
}

Pkce make_pkce() {
  Pkce pkce;
  pkce.verifier = random_urlsafe(32);
  pkce.challenge = pkce_s256(pkce.verifier);
  return pkce;
}

}  // namespace glassbox::auth
