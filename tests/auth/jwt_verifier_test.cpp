// JwtVerifier: every algorithm with keys made in this run, every bad token with its exact
// reason, and the JWKS cache (file, URL, refresh on an unknown kid, the refresh rate limit).
#include "glassbox/auth/jwt_verifier.hpp"

#include "auth/jwt_test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace glassbox::auth {
namespace {

using namespace testing;

const std::string kAudience = "http://127.0.0.1:8080/mcp";

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::rsa("rsa-1"));
    pss_ = new TestKey(TestKey::rsa("pss-1", "PS256"));
    ec_ = new TestKey(TestKey::ec("ec-1"));
    ed_ = new TestKey(TestKey::ed25519("ed-1"));
    other_rsa_ = new TestKey(TestKey::rsa("rsa-1"));  // same kid, another key
  }
  static void TearDownTestSuite() {
    for (TestKey* k : {rsa_, pss_, ec_, ed_, other_rsa_}) delete k;
  }

  JwtVerifier verifier(JwtVerifierOptions options = {}) {
    if (options.issuer.empty()) options.issuer = kIssuer;
    if (options.jwks.empty() && options.jwks_url.empty() && options.jwks_file.empty())
      options.jwks = jwks({rsa_->jwk(), pss_->jwk(), ec_->jwk(), ed_->jwk()});
    return JwtVerifier(std::move(options));
  }

  VerifyResult check(const std::string& token, JwtVerifierOptions options = {}) {
    return verifier(std::move(options)).verify(token, kAudience);
  }

  static inline TestKey *rsa_, *pss_, *ec_, *ed_, *other_rsa_;
};

TEST_F(JwtVerifierTest, AcceptsEveryAlgorithmWithKeysMadeThisRun) {
  for (TestKey* key : {rsa_, pss_, ec_, ed_}) {
    VerifyResult r = check(good_token(*key, kAudience, "mcp mail.read"));
    ASSERT_TRUE(r.ok()) << key->alg() << ": " << to_string(r.reason) << " " << r.description;
    EXPECT_EQ(r.facts.alg, key->alg());
    EXPECT_EQ(r.facts.key_id, key->kid());
    EXPECT_EQ(r.facts.format, "jwt");
    EXPECT_EQ(r.facts.issuer, kIssuer);
    ASSERT_TRUE(r.info);
    EXPECT_EQ(r.info->subject, "alice@example.com");
    EXPECT_EQ(r.info->client_id, "client-1");
    EXPECT_EQ(r.info->scopes, (std::vector<std::string>{"mcp", "mail.read"}));
    EXPECT_EQ(r.info->audience, std::vector<std::string>{kAudience});
    EXPECT_TRUE(r.info->expires_at);
    EXPECT_EQ(r.info->claims.at("name").as_string(), "Alice Liddell");
  }
}

TEST_F(JwtVerifierTest, AcceptsAudienceArraysScpAndTypJwtAndNoKid) {
  json::object claims = good_claims("x");
  claims["aud"] = json::array{"https://other.example", kAudience};
  claims.erase("scope");
  claims["scp"] = json::array{"a", "b"};
  json::object header{{"alg", "ES256"}, {"typ", "JWT"}};  // no kid: every EC key is tried
  VerifyResult r = check(sign_jwt(*ec_, header, claims));
  ASSERT_TRUE(r.ok()) << r.description;
  EXPECT_EQ(r.info->scopes, (std::vector<std::string>{"a", "b"}));
  header.erase("typ");
  EXPECT_TRUE(check(sign_jwt(*ec_, header, claims)).ok());
}

TEST_F(JwtVerifierTest, ClockSkewIsAllowedBothWays) {
  json::object claims = good_claims(kAudience);
  claims["exp"] = unix_now() - 30;  // expired 30 s ago, skew 60 s
  claims["nbf"] = unix_now() + 30;
  claims["iat"] = unix_now() + 30;
  EXPECT_TRUE(check(sign_jwt(*rsa_, header_for(*rsa_), claims)).ok());
  EXPECT_EQ(
      check(sign_jwt(*rsa_, header_for(*rsa_), claims), {.clock_skew = std::chrono::seconds(0)})
          .reason,
      Reason::expired);
}

struct BadToken {
  const char* name;
  std::function<std::string()> make;
  Reason reason;
};

TEST_F(JwtVerifierTest, RefusesEveryBadTokenWithItsReason) {
  const TestKey& k = *rsa_;
  auto with = [&](auto change) {
    json::object claims = good_claims(kAudience);
    json::object header = header_for(k);
    change(header, claims);
    return sign_jwt(k, header, claims);
  };
  std::string good = good_token(k, kAudience);
  std::string head = good.substr(0, good.find('.'));
  std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  std::string signature = good.substr(good.rfind('.') + 1);
  std::vector<BadToken> cases = {
      {"not a JWT", [] { return std::string("opaque-token-value"); }, Reason::malformed},
      {"two parts", [&] { return head + "." + payload; }, Reason::malformed},
      {"four parts", [&] { return good + ".x"; }, Reason::malformed},
      {"JWE-shaped (five parts)", [&] { return head + "..." + payload + ".x.y"; },
       Reason::malformed},
      {"header not base64url", [&] { return "@@@." + payload + "." + signature; },
       Reason::malformed},
      {"header not JSON",
       [&] { return base64url_encode("nope") + "." + payload + "." + signature; },
       Reason::malformed},
      {"payload a JSON array",
       [&] { return head + "." + base64url_encode("[1]") + "." + signature; }, Reason::malformed},
      {"no alg", [&] { return with([](auto& h, auto&) { h.erase("alg"); }); }, Reason::malformed},
      {"kid not a string", [&] { return with([](auto& h, auto&) { h["kid"] = 7; }); },
       Reason::malformed},
      {"crit header", [&] { return with([](auto& h, auto&) { h["crit"] = json::array{"exp"}; }); },
       Reason::malformed},
      {"oversized (9 KiB)",
       [&] { return with([](auto&, auto& c) { c["pad"] = std::string(9000, 'a'); }); },
       Reason::oversized},
      {"typ dpop+jwt", [&] { return with([](auto& h, auto&) { h["typ"] = "dpop+jwt"; }); },
       Reason::wrong_type},
      {"alg none, unsigned",
       [&] {
         return b64json({{"alg", "none"}, {"typ", "JWT"}}) + "." + payload + ".";
       },
       Reason::alg_not_allowed},
      {"alg none with the real signature",
       [&] {
         return b64json({{"alg", "none"}, {"kid", "rsa-1"}}) + "." + payload + "." + signature;
       },
       Reason::alg_not_allowed},
      {"HS256 keyed with the RSA public key (PEM)",
       [&] {
         return hs256_jwt(k.public_pem(), {{"alg", "HS256"}, {"kid", "rsa-1"}},
                          good_claims(kAudience));
       },
       Reason::alg_not_allowed},
      {"RS512 (not supported)", [&] { return with([](auto& h, auto&) { h["alg"] = "RS512"; }); },
       Reason::alg_not_allowed},
      {"ES256 header on the RSA key's kid",
       [&] {
         return sign_jwt(*ec_, {{"alg", "ES256"}, {"kid", "rsa-1"}}, good_claims(kAudience));
       },
       Reason::alg_not_allowed},
      {"PS256 header on a key published as RS256",
       [&] {
         return sign_jwt(k, {{"alg", "PS256"}, {"kid", "rsa-1"}}, good_claims(kAudience));
       },
       Reason::alg_not_allowed},
      {"unknown kid", [&] { return with([](auto& h, auto&) { h["kid"] = "rotated-away"; }); },
       Reason::unknown_key},
      {"embedded jwk header with the attacker's own key",
       [&] {
         TestKey attacker = TestKey::rsa("attacker");
         return sign_jwt(attacker, {{"alg", "RS256"}, {"kid", "attacker"}, {"jwk", attacker.jwk()}},
                         good_claims(kAudience));
       },
       Reason::unknown_key},
      {"signed by another key with the same kid",
       [&] { return good_token(*other_rsa_, kAudience); }, Reason::bad_signature},
      {"payload changed after signing",
       [&] {
         json::object claims = good_claims(kAudience, "mcp admin");
         return head + "." + b64json(claims) + "." + signature;
       },
       Reason::bad_signature},
      {"empty signature", [&] { return head + "." + payload + "."; }, Reason::bad_signature},
      {"ES256 signature in DER instead of r||s",
       [&] {
         std::string input = b64json(header_for(*ec_)) + "." + payload;
         // What OpenSSL produces (an ASN.1 SEQUENCE of r and s), not the 64 bytes JWS wants.
         return input + "." + base64url_encode(ec_->sign(input, "ES256-DER"));
       },
       Reason::bad_signature},
      {"expired", [&] { return with([](auto&, auto& c) { c["exp"] = unix_now() - 3600; }); },
       Reason::expired},
      {"not yet valid (nbf)",
       [&] { return with([](auto&, auto& c) { c["nbf"] = unix_now() + 3600; }); },
       Reason::not_yet_valid},
      {"issued in the future (iat)",
       [&] { return with([](auto&, auto& c) { c["iat"] = unix_now() + 3600; }); },
       Reason::not_yet_valid},
      {"no exp", [&] { return with([](auto&, auto& c) { c.erase("exp"); }); }, Reason::malformed},
      {"exp a string", [&] { return with([](auto&, auto& c) { c["exp"] = "tomorrow"; }); },
       Reason::malformed},
      {"wrong issuer",
       [&] { return with([](auto&, auto& c) { c["iss"] = "https://evil.example"; }); },
       Reason::wrong_issuer},
      {"no issuer", [&] { return with([](auto&, auto& c) { c.erase("iss"); }); },
       Reason::wrong_issuer},
      {"iss a number", [&] { return with([](auto&, auto& c) { c["iss"] = 1; }); },
       Reason::malformed},
      {"wrong audience",
       [&] { return with([](auto&, auto& c) { c["aud"] = "http://127.0.0.1:9999/mcp"; }); },
       Reason::wrong_audience},
      {"audience a prefix of the resource",
       [&] { return with([](auto&, auto& c) { c["aud"] = "http://127.0.0.1:8080"; }); },
       Reason::wrong_audience},
      {"no audience", [&] { return with([](auto&, auto& c) { c.erase("aud"); }); },
       Reason::wrong_audience},
      {"aud array of numbers",
       [&] { return with([](auto&, auto& c) { c["aud"] = json::array{1}; }); }, Reason::malformed},
      {"scope an array",
       [&] { return with([](auto&, auto& c) { c["scope"] = json::array{"a"}; }); },
       Reason::malformed},
  };
  for (const auto& c : cases) {
    VerifyResult r = check(c.make());
    EXPECT_EQ(r.reason, c.reason) << c.name << ": got " << to_string(r.reason) << " ("
                                  << r.description << ")";
    EXPECT_FALSE(r.info) << c.name;
    EXPECT_FALSE(r.description.empty()) << c.name;
  }
}

TEST_F(JwtVerifierTest, VerifiedTokensAreRememberedUntilTheirExp) {
  std::int64_t now = unix_now();
  JwtVerifier v = verifier({.now = [&] { return now; }});
  json::object claims = good_claims(kAudience);
  claims["exp"] = now + 100;
  std::string token = sign_jwt(*rsa_, header_for(*rsa_), claims);
  VerifyResult first = v.verify(token, kAudience);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.facts.cached);
  auto again = v.try_verify(token, kAudience);
  ASSERT_TRUE(again && again->ok());
  EXPECT_TRUE(again->facts.cached);
  EXPECT_EQ(again->info->subject, "alice@example.com");
  EXPECT_EQ(v.verify(token, "http://another/mcp").reason, Reason::wrong_audience);
  now += 100 + 60;  // past exp and the skew: the cache forgets it and the check says expired
  EXPECT_EQ(v.verify(token, kAudience).reason, Reason::expired);
}

TEST_F(JwtVerifierTest, AnAllowListNarrowsTheAlgorithms) {
  JwtVerifierOptions options{.algorithms = {"ES256"}};
  EXPECT_EQ(check(good_token(*rsa_, kAudience), options).reason, Reason::alg_not_allowed);
  EXPECT_TRUE(check(good_token(*ec_, kAudience), options).ok());
}

TEST_F(JwtVerifierTest, JwksEntriesThatAreNotPublicVerificationKeysAreSkipped) {
  json::object with_private = rsa_->jwk();
  with_private["d"] = "AAAA";
  json::object enc = ec_->jwk();
  enc["use"] = "enc";
  json::object hmac{{"kty", "oct"}, {"kid", "mac"}, {"k", base64url_encode("secret")}};
  TestKey small = TestKey::rsa("small", "RS256", 1024);
  json::object off_curve = ec_->jwk();
  off_curve["kid"] = "off";
  off_curve["y"] = off_curve["x"];  // (x, x) is not on P-256
  std::string set = jwks({with_private, enc, hmac, small.jwk(), off_curve});
  auto parsed = parse_jwks(set);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->keys.size(), 0u);
  EXPECT_EQ(parsed->skipped, 5u);
  JwtVerifierOptions options{.jwks = set};
  EXPECT_EQ(check(good_token(*rsa_, kAudience), options).reason, Reason::unknown_key);
  EXPECT_EQ(check(good_token(small, kAudience), options).reason, Reason::unknown_key);
  EXPECT_EQ(check(hs256_jwt("secret", {{"alg", "HS256"}, {"kid", "mac"}}, good_claims(kAudience)),
                  options)
                .reason,
            Reason::alg_not_allowed);
}

TEST_F(JwtVerifierTest, UnusableJwksDocumentsLeaveTheVerifierWithoutKeys) {
  std::vector<std::string> keys(33, json::serialize(rsa_->jwk()));
  std::string many = R"({"keys":[)";
  for (std::size_t i = 0; i < keys.size(); ++i) many += (i ? "," : "") + keys[i];
  many += "]}";
  for (std::string document :
       {std::string("not json"), std::string("{}"), std::string(R"({"keys":{}})"), many}) {
    JwtVerifierOptions options{.jwks = document};
    EXPECT_EQ(check(good_token(*rsa_, kAudience), options).reason, Reason::jwks_unavailable)
        << document.substr(0, 40);
  }
}

TEST_F(JwtVerifierTest, JwksFileMissingOrTooBig) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("glassbox-jwks-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_EQ(
      check(good_token(*rsa_, kAudience), {.jwks_file = (dir / "absent.json").string()}).reason,
      Reason::jwks_unavailable);
  {
    std::ofstream big(dir / "big.json");
    big << R"({"keys":[],"pad":")" << std::string(300 * 1024, 'a') << "\"}";
  }
  EXPECT_EQ(check(good_token(*rsa_, kAudience), {.jwks_file = (dir / "big.json").string()}).reason,
            Reason::jwks_unavailable);
  {
    std::ofstream good(dir / "good.json");
    good << jwks({rsa_->jwk()});
  }
  JwtVerifier v = verifier({.jwks_file = (dir / "good.json").string()});
  std::string error;
  EXPECT_TRUE(v.load_keys(&error)) << error;
  EXPECT_TRUE(v.verify(good_token(*rsa_, kAudience), kAudience).ok());
  std::filesystem::remove_all(dir);
}

TEST_F(JwtVerifierTest, JwksUrlIsFetchedOnceAndRefreshedForANewKid) {
  std::mutex mutex;
  std::string served = jwks({rsa_->jwk()});
  TinyHttpServer issuer([&](const TinyHttpServer::Request&) {
    std::lock_guard lock(mutex);
    return TinyHttpServer::Response{200, served};
  });
  JwtVerifier v = verifier(
      {.jwks_url = issuer.url("/jwks"), .jwks_min_refresh_interval = std::chrono::seconds(0)});
  // Nothing loaded yet: the answer needs the network, so the non-blocking path declines.
  EXPECT_FALSE(v.try_verify(good_token(*rsa_, kAudience), kAudience));
  VerifyResult first = v.verify(good_token(*rsa_, kAudience), kAudience);
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(first.facts.keys_refreshed);
  for (int i = 0; i < 5; ++i) {
    auto quick = v.try_verify(good_token(*rsa_, kAudience), kAudience);
    ASSERT_TRUE(quick);
    EXPECT_TRUE(quick->ok());
    EXPECT_FALSE(quick->facts.keys_refreshed);
  }
  EXPECT_EQ(issuer.hits(), 1u);
  // The issuer rotates a new key in: a token with its kid makes the verifier reload.
  {
    std::lock_guard lock(mutex);
    served = jwks({rsa_->jwk(), ec_->jwk()});
  }
  EXPECT_FALSE(v.try_verify(good_token(*ec_, kAudience), kAudience));
  EXPECT_TRUE(v.verify(good_token(*ec_, kAudience), kAudience).ok());
  EXPECT_EQ(issuer.hits(), 2u);
}

TEST_F(JwtVerifierTest, AFloodOfUnknownKidsDoesNotHammerTheIssuer) {
  TinyHttpServer issuer([&](const TinyHttpServer::Request&) {
    return TinyHttpServer::Response{200, jwks({rsa_->jwk()})};
  });
  JwtVerifier v = verifier(
      {.jwks_url = issuer.url("/jwks"), .jwks_min_refresh_interval = std::chrono::seconds(30)});
  ASSERT_TRUE(v.verify(good_token(*rsa_, kAudience), kAudience).ok());
  std::vector<std::thread> threads;
  std::atomic<int> unknown{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        json::object header = header_for(*rsa_);
        header["kid"] = "made-up-" + std::to_string(t) + "-" + std::to_string(i);
        if (v.verify(sign_jwt(*rsa_, header, good_claims(kAudience)), kAudience).reason ==
            Reason::unknown_key)
          ++unknown;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unknown.load(), 200);
  EXPECT_EQ(issuer.hits(), 1u);  // the first load only: the next refresh waits 30 s
  EXPECT_EQ(v.key_loads(), 1u);
}

TEST_F(JwtVerifierTest, JwksUrlUnreachableHugeOrFailing) {
  std::uint16_t closed_port;
  {
    TinyHttpServer gone([](const TinyHttpServer::Request&) { return TinyHttpServer::Response{}; });
    closed_port = gone.port();
  }
  auto outcome = [&](std::string url) {
    return verifier({.jwks_url = url, .jwks_timeout = std::chrono::milliseconds(2000)})
        .verify(good_token(*rsa_, kAudience), kAudience);
  };
  VerifyResult r = outcome("http://127.0.0.1:" + std::to_string(closed_port) + "/jwks");
  EXPECT_EQ(r.reason, Reason::jwks_unavailable);
  TinyHttpServer huge([](const TinyHttpServer::Request&) {
    return TinyHttpServer::Response{200,
                                    R"({"keys":[],"pad":")" + std::string(512 * 1024, 'x') + "\"}"};
  });
  EXPECT_EQ(outcome(huge.url("/jwks")).reason, Reason::jwks_unavailable);
  TinyHttpServer failing([](const TinyHttpServer::Request&) {
    return TinyHttpServer::Response{500, "oops"};
  });
  EXPECT_EQ(outcome(failing.url("/jwks")).reason, Reason::jwks_unavailable);
  TinyHttpServer garbage([](const TinyHttpServer::Request&) {
    return TinyHttpServer::Response{200, "<html>not json</html>", "text/html"};
  });
  EXPECT_EQ(outcome(garbage.url("/jwks")).reason, Reason::jwks_unavailable);
}

TEST_F(JwtVerifierTest, OptionsNeedAnIssuerAndOneKeySource) {
  EXPECT_THROW(JwtVerifier({.jwks = "{}"}), std::invalid_argument);
  EXPECT_THROW(JwtVerifier({.issuer = "x"}), std::invalid_argument);
  EXPECT_THROW(JwtVerifier({.issuer = "x", .jwks_url = "http://a", .jwks = "{}"}),
               std::invalid_argument);
}

}  // namespace
}  // namespace glassbox::auth
