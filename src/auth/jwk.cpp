#include "glassbox/auth/jwk.hpp"

#include "auth/base64url.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>

namespace glassbox::auth {

struct JsonWebKey::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// Fetched once: EVP_sha256() would make OpenSSL 3 look the implementation up on every verify.
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

std::optional<std::string> member_bytes(const json::object& jwk, std::string_view key) {
  const json::string* s = json::find_string(jwk, key);
  if (s == nullptr || s->empty()) return std::nullopt;
  return base64url_decode(*s);
}

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(pkey);
}

PkeyPtr rsa_key(const json::object& jwk, std::size_t min_bits, std::string* error) {
  auto n = member_bytes(jwk, "n");
  auto e = member_bytes(jwk, "e");
  if (!n || !e) return fail(error, "RSA key without valid n and e"), nullptr;
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return fail(error, "RSA key could not be built"), nullptr;
  }
  PkeyPtr key = from_params("RSA", bld.get());
  if (!key) return fail(error, "RSA key rejected by OpenSSL"), nullptr;
  if (static_cast<std::size_t>(EVP_PKEY_get_bits(key.get())) < min_bits)
    return fail(error, "RSA key shorter than " + std::to_string(min_bits) + " bits"), nullptr;
  return key;
}

PkeyPtr ec_key(const json::object& jwk, std::string* error) {
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  // P-256 coordinates are exactly 32 bytes each (RFC 7518 6.2.1.2).
  if (!x || !y || x->size() != 32 || y->size() != 32)
    return fail(error, "EC key without valid 32-byte x and y"), nullptr;
  std::string point = "\x04" + *x + *y;  // SEC1 uncompressed
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return fail(error, "EC key could not be built"), nullptr;
  }
  PkeyPtr key = from_params("EC", bld.get());
  if (!key) return fail(error, "EC point rejected by OpenSSL"), nullptr;
  // An off-curve point would open invalid-curve attacks; OpenSSL checks on import, and this
  // makes it explicit.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return fail(error, "EC point is not on P-256"), nullptr;
  return key;
}

PkeyPtr ed25519_key(const json::object& jwk, std::string* error) {
  auto x = member_bytes(jwk, "x");
  if (!x || x->size() != 32) return fail(error, "Ed25519 key without a 32-byte x"), nullptr;
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x->data(),
                                               x->size()) != 1) {
    return fail(error, "Ed25519 key could not be built"), nullptr;
  }
  PkeyPtr key = from_params("ED25519", bld.get());
  if (!key) return fail(error, "Ed25519 key rejected by OpenSSL"), nullptr;
  return key;
}

bool supported(std::string_view alg) {
  return std::find(std::begin(kSupportedAlgorithms), std::end(kSupportedAlgorithms), alg) !=
         std::end(kSupportedAlgorithms);
}

// JWS ES256 signatures are r||s, 32 bytes each (RFC 7518 3.4); OpenSSL wants DER.
std::optional<std::string> es256_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  auto bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BnPtr r(BN_bin2bn(bytes, 32, nullptr));
  BnPtr s(BN_bin2bn(bytes + 32, 32, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return std::nullopt;
  return der;
}

}  // namespace

std::optional<JsonWebKey> JsonWebKey::from_jwk(const json::object& jwk, std::size_t min_rsa_bits,
                                               std::string* error) {
  const json::string* kty = json::find_string(jwk, "kty");
  if (kty == nullptr) return fail(error, "JWK without kty"), std::nullopt;
  // A private or symmetric key published by mistake is never used, not even its public half.
  for (std::string_view secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(secret))
      return fail(error, "JWK holds private or secret material"), std::nullopt;
  }
  if (auto use = jwk.find("use"); use != jwk.end()) {
    if (!use->value().is_string() || use->value().get_string() != "sig")
      return fail(error, "JWK use is not sig"), std::nullopt;
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    const json::array* list = ops->value().if_array();
    bool verify = false;
    if (list) {
      for (const auto& op : *list)
        verify = verify || (op.is_string() && op.get_string() == "verify");
    }
    if (!verify) return fail(error, "JWK key_ops lacks verify"), std::nullopt;
  }
  JsonWebKey key;
  key.kty_ = std::string(*kty);
  if (const json::string* kid = json::find_string(jwk, "kid")) key.kid_ = std::string(*kid);
  if (auto alg = jwk.find("alg"); alg != jwk.end()) {
    if (!alg->value().is_string() || !supported(alg->value().get_string()))
      return fail(error, "JWK alg is not one glassbox verifies"), std::nullopt;
    key.alg_ = std::string(alg->value().get_string());
  }
  if (const json::string* crv = json::find_string(jwk, "crv")) key.crv_ = std::string(*crv);

  PkeyPtr pkey;
  if (key.kty_ == "RSA") {
    pkey = rsa_key(jwk, min_rsa_bits, error);
  } else if (key.kty_ == "EC") {
    if (key.crv_ != "P-256") return fail(error, "EC curve other than P-256"), std::nullopt;
    pkey = ec_key(jwk, error);
  } else if (key.kty_ == "OKP") {
    if (key.crv_ != "Ed25519") return fail(error, "OKP curve other than Ed25519"), std::nullopt;
    pkey = ed25519_key(jwk, error);
  } else {
    return fail(error, "unsupported kty " + key.kty_), std::nullopt;
  }
  if (!pkey) return std::nullopt;
  if (!key.alg_.empty() && !key.fits(key.alg_))
    return fail(error, "JWK alg does not fit its kty/crv"), std::nullopt;
  key.key_ = std::make_shared<const Key>(pkey.release());
  return key;
}

bool JsonWebKey::fits(std::string_view alg) const {
  if (!alg_.empty() && alg_ != alg) return false;
  if (alg == "RS256" || alg == "PS256") return kty_ == "RSA";
  if (alg == "ES256") return kty_ == "EC" && crv_ == "P-256";
  if (alg == "EdDSA") return kty_ == "OKP" && crv_ == "Ed25519";
  return false;
}

bool JsonWebKey::verify(std::string_view alg, std::string_view signing_input,
                        std::string_view signature) const {
  if (!key_ || !fits(alg)) return false;
  std::optional<std::string> der;
  if (alg == "ES256") {
    der = es256_to_der(signature);
    if (!der) return false;
    signature = *der;
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md) return false;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  // Ed25519 is a one-shot signature over the message itself: no digest.
  const EVP_MD* digest = alg == "EdDSA" ? nullptr : sha256();
  if (EVP_DigestVerifyInit(md.get(), &pctx, digest, nullptr, key_->pkey) != 1) return false;
  if (alg == "PS256") {
    // RFC 7518 3.5: MGF1 with SHA-256 and a salt as long as the hash; nothing else is PS256.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sha256()) != 1) {
      return false;
    }
  } else if (alg == "RS256") {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
  }
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

std::optional<KeySet> parse_jwks(std::string_view document, const JwksLimits& limits,
                                 std::string* error) {
  std::string reason;
  std::optional<json::value> parsed = json::parse(document, {.max_depth = 8}, &reason);
  if (!parsed || !parsed->is_object())
    return fail(error, "JWKS is not a JSON object"), std::nullopt;
  const json::array* keys = json::find_array(parsed->get_object(), "keys");
  if (keys == nullptr) return fail(error, "JWKS has no keys array"), std::nullopt;
  if (keys->size() > limits.max_keys) {
    return fail(error, "JWKS lists " + std::to_string(keys->size()) + " keys, more than " +
                           std::to_string(limits.max_keys)),
           std::nullopt;
  }
  KeySet set;
  for (const auto& entry : *keys) {
    std::optional<JsonWebKey> key;
    if (entry.is_object()) key = JsonWebKey::from_jwk(entry.get_object(), limits.min_rsa_bits);
    if (key) {
      set.keys.push_back(std::move(*key));
    } else {
      ++set.skipped;
    }
  }
  return set;
}

}  // namespace glassbox::auth
