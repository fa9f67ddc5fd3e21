// Keys and tokens made in the test, with OpenSSL, fresh every run: RSA 2048, EC P-256 and
// Ed25519 key pairs, their public JWKs, and JWTs signed with them (or forged). Also a tiny
// blocking HTTP server to play the issuer's JWKS and introspection endpoints.
#pragma once

#include "auth/base64url.hpp"
#include "glassbox/json/json.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::auth::testing {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  std::string out(static_cast<std::size_t>(pad ? pad : BN_num_bytes(bn)), '\0');
  if (pad) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

// A key pair; `alg` is what tokens signed with it say by default.
class TestKey {
 public:
  static TestKey rsa(std::string kid, std::string alg = "RS256", unsigned bits = 2048) {
    return TestKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)),
                   std::move(kid), std::move(alg));
  }
  static TestKey ec(std::string kid) {
    return TestKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), std::move(kid), "ES256");
  }
  static TestKey ed25519(std::string kid) {
    return TestKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), std::move(kid), "EdDSA");
  }

  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }
  EVP_PKEY* pkey() const { return key_.get(); }

  // The public JWK, with kid, and alg/use unless told otherwise.
  json::object jwk(bool with_alg = true) const {
    json::object out;
    std::string type = EVP_PKEY_get0_type_name(pkey());
    if (type == "RSA") {
      BIGNUM *n = nullptr, *e = nullptr;
      EVP_PKEY_get_bn_param(pkey(), OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param(pkey(), OSSL_PKEY_PARAM_RSA_E, &e);
      out = {{"kty", "RSA"},
             {"n", base64url_encode(bn_bytes(n))},
             {"e", base64url_encode(bn_bytes(e))}};
      BN_free(n);
      BN_free(e);
    } else if (type == "EC") {
      BIGNUM *x = nullptr, *y = nullptr;
      EVP_PKEY_get_bn_param(pkey(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
      EVP_PKEY_get_bn_param(pkey(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
      out = {{"kty", "EC"},
             {"crv", "P-256"},
             {"x", base64url_encode(bn_bytes(x, 32))},
             {"y", base64url_encode(bn_bytes(y, 32))}};
      BN_free(x);
      BN_free(y);
    } else {
      unsigned char raw[32];
      size_t len = sizeof raw;
      EVP_PKEY_get_raw_public_key(pkey(), raw, &len);
      out = {{"kty", "OKP"},
             {"crv", "Ed25519"},
             {"x", base64url_encode(std::string(reinterpret_cast<char*>(raw), len))}};
    }
    out["kid"] = kid_;
    if (with_alg) {
      out["alg"] = alg_;
      out["use"] = "sig";
    }
    return out;
  }

  // The DER SubjectPublicKeyInfo and PEM text of the public key (what an attacker would use
  // as an HMAC secret).
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  }

  // A JWS signature over `input` with `alg` (ES256: r||s as JWS wants it; "ES256-DER": the
  // DER form OpenSSL makes).
  std::string sign(std::string_view input, std::string_view alg) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* digest = alg == "EdDSA" ? nullptr : EVP_sha256();
    if (EVP_DigestSignInit(md, &pctx, digest, nullptr, pkey()) != 1)
      throw std::runtime_error("sign init");
    if (alg == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
    }
    size_t size = 0;
    auto data = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(md, nullptr, &size, data, input.size());
    std::string sig(size, '\0');
    if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &size, data,
                       input.size()) != 1)
      throw std::runtime_error("sign");
    sig.resize(size);
    EVP_MD_CTX_free(md);
    if (alg != "ES256") return sig;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw = bn_bytes(ECDSA_SIG_get0_r(ecdsa), 32) + bn_bytes(ECDSA_SIG_get0_s(ecdsa), 32);
    ECDSA_SIG_free(ecdsa);
    return raw;
  }

 private:
  TestKey(EVP_PKEY* key, std::string kid, std::string alg)
      : key_(key, EVP_PKEY_free), kid_(std::move(kid)), alg_(std::move(alg)) {
    if (!key) throw std::runtime_error("keygen failed");
  }
  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_, alg_;
};

inline std::string jwks(const std::vector<json::object>& keys) {
  json::array list;
  for (const auto& k : keys) list.push_back(k);
  return json::serialize(json::object{{"keys", std::move(list)}});
}

inline std::string b64json(const json::object& o) {
  return base64url_encode(json::serialize(o));
}

// A JWT with `header` and `claims`, signed by `key` with header.alg.
inline std::string sign_jwt(const TestKey& key, const json::object& header,
                            const json::object& claims) {
  std::string input = b64json(header) + "." + b64json(claims);
  const json::value* named = header.if_contains("alg");
  std::string alg = named && named->is_string() ? std::string(named->get_string()) : key.alg();
  return input + "." + base64url_encode(key.sign(input, alg));
}

inline std::string hs256_jwt(std::string_view secret, const json::object& header,
                             const json::object& claims) {
  std::string input = b64json(header) + "." + b64json(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), size));
}

inline const std::string kIssuer = "https://issuer.test";

// Claims of a good access token for `audience`, valid now for ten minutes.
inline json::object good_claims(const std::string& audience, const std::string& scope = "mcp") {
  std::int64_t now = unix_now();
  return {{"iss", kIssuer},
          {"sub", "alice@example.com"},
          {"aud", audience},
          {"exp", now + 600},
          {"iat", now},
          {"nbf", now},
          {"scope", scope},
          {"client_id", "client-1"},
          {"email", "alice@example.com"},
          {"name", "Alice Liddell"}};
}

inline json::object header_for(const TestKey& key) {
  return {{"alg", key.alg()}, {"kid", key.kid()}, {"typ", "at+jwt"}};
}

inline std::string good_token(const TestKey& key, const std::string& audience,
                              const std::string& scope = "mcp") {
  return sign_jwt(key, header_for(key), good_claims(audience, scope));
}

// A blocking one-request-at-a-time HTTP server on 127.0.0.1 for the issuer's endpoints.
class TinyHttpServer {
 public:
  struct Request {
    std::string method, target, authorization, content_type, body;
  };
  struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
  };
  using Handler = std::function<Response(const Request&)>;

  explicit TinyHttpServer(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyHttpServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    // Wakes the accept: a connection to ourselves.
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::size_t hits() const { return hits_.load(); }

 private:
  void loop() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      ++hits_;
      Request r{std::string(req.method_string()), std::string(req.target()),
                std::string(req[http::field::authorization]),
                std::string(req[http::field::content_type]), req.body()};
      Response answer = handler_(r);
      http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
      res.set(http::field::content_type, answer.content_type);
      res.body() = std::move(answer.body);
      res.keep_alive(false);
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> hits_{0};
  std::thread thread_;
};

}  // namespace glassbox::auth::testing
