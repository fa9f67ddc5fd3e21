#include "auth/client_assertion.hpp"

#include "auth/base64url.hpp"
#include "auth/pkce.hpp"
#include "glassbox/json/json.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>

namespace glassbox::auth {
namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

// A DER ECDSA signature as the fixed-width r || s that JWS wants (RFC 7518 section 3.4).
std::string der_to_jose(const unsigned char* der, std::size_t length, std::size_t half) {
  const unsigned char* p = der;
  std::unique_ptr<ECDSA_SIG, Free> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)));
  if (!sig) throw std::invalid_argument("client assertion: bad ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(half * 2, '\0');
  if (BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(half)) < 0 ||
      BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + half), static_cast<int>(half)) <
          0)
    throw std::invalid_argument("client assertion: ECDSA signature too long");
  return out;
}

}  // namespace

std::string make_client_assertion(const ClientAssertionOptions& options) {
  if (options.algorithm != "ES256" && options.algorithm != "RS256")
    throw std::invalid_argument("client assertion: unsupported algorithm " + options.algorithm);
  std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(options.private_key_pem.data(),
                                                 static_cast<int>(options.private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, Free> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) throw std::invalid_argument("client assertion: the private key is not a PEM key");
  bool ec = EVP_PKEY_base_id(key.get()) == EVP_PKEY_EC;
  if (ec != (options.algorithm == "ES256"))
    throw std::invalid_argument("client assertion: the key does not fit " + options.algorithm);

  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  json::object header{{"alg", options.algorithm}, {"typ", "JWT"}};
  json::object claims{{"iss", options.client_id},
                      {"sub", options.client_id},
                      {"aud", options.audience},
                      {"jti", random_urlsafe(16)},
                      {"iat", now},
                      {"exp", now + options.lifetime.count()}};
  std::string input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));

  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::invalid_argument("client assertion: signing failed");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::invalid_argument("client assertion: signing failed");
  signature.resize(length);
  if (ec)
    signature =
        der_to_jose(reinterpret_cast<const unsigned char*>(signature.data()), signature.size(), 32);
  return input + "." + base64url_encode(signature);
}

}  // namespace glassbox::auth
