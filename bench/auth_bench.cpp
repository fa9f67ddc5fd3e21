// The cost of checking one bearer token, per algorithm, with the keys already loaded (the
// steady state of a resource server), and of refusing garbage before any key is touched.
//   build/bin/auth_bench
#include "glassbox/auth/jwt_verifier.hpp"

#include "../tests/auth/jwt_test_util.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace glassbox::auth;
using namespace glassbox::auth::testing;

const std::string kAudience = "http://127.0.0.1:8080/mcp";

struct Keys {
  TestKey rsa = TestKey::rsa("rsa"), pss = TestKey::rsa("pss", "PS256"), ec = TestKey::ec("ec"),
          ed = TestKey::ed25519("ed");
  // Without the verified-token cache: every iteration checks the signature.
  std::shared_ptr<JwtVerifier> verifier = std::make_shared<JwtVerifier>(
      JwtVerifierOptions{.issuer = kIssuer,
                         .jwks = jwks({rsa.jwk(), pss.jwk(), ec.jwk(), ed.jwk()}),
                         .verified_cache_entries = 0});
  // With it: the next request of the same session.
  std::shared_ptr<JwtVerifier> caching = std::make_shared<JwtVerifier>(JwtVerifierOptions{
      .issuer = kIssuer, .jwks = jwks({rsa.jwk(), pss.jwk(), ec.jwk(), ed.jwk()})});
  Keys() {
    verifier->load_keys();
    caching->load_keys();
  }
};

Keys& keys() {
  static Keys k;
  return k;
}

void verify(benchmark::State& state, const TestKey& key) {
  std::string token = good_token(key, kAudience);
  for (auto _ : state) {
    auto r = keys().verifier->try_verify(token, kAudience);
    if (!r || !r->ok()) state.SkipWithError("not valid");
    benchmark::DoNotOptimize(r);
  }
}

void BM_VerifyRS256(benchmark::State& s) {
  verify(s, keys().rsa);
}
void BM_VerifyPS256(benchmark::State& s) {
  verify(s, keys().pss);
}
void BM_VerifyES256(benchmark::State& s) {
  verify(s, keys().ec);
}
void BM_VerifyEdDSA(benchmark::State& s) {
  verify(s, keys().ed);
}

void BM_VerifyCachedRS256(benchmark::State& state) {
  std::string token = good_token(keys().rsa, kAudience);
  keys().caching->verify(token, kAudience);
  for (auto _ : state) {
    auto r = keys().caching->try_verify(token, kAudience);
    if (!r || !r->ok() || !r->facts.cached) state.SkipWithError("not cached");
    benchmark::DoNotOptimize(r);
  }
}

void refuse(benchmark::State& state, const std::string& token, Reason expected) {
  for (auto _ : state) {
    auto r = keys().verifier->try_verify(token, kAudience);
    if (!r || r->reason != expected) state.SkipWithError("wrong reason");
    benchmark::DoNotOptimize(r);
  }
}
void BM_RefuseOversized(benchmark::State& s) {
  refuse(s, std::string(64 * 1024, 'a'), Reason::oversized);
}
void BM_RefuseAlgNone(benchmark::State& s) {
  refuse(s, b64json({{"alg", "none"}}) + "." + b64json(good_claims(kAudience)) + ".",
         Reason::alg_not_allowed);
}
void BM_RefuseBadSignatureRS256(benchmark::State& s) {
  TestKey stranger = TestKey::rsa("rsa");
  refuse(s, good_token(stranger, kAudience), Reason::bad_signature);
}
void BM_ImportJwksFourKeys(benchmark::State& s) {
  std::string document =
      jwks({keys().rsa.jwk(), keys().pss.jwk(), keys().ec.jwk(), keys().ed.jwk()});
  for (auto _ : s) benchmark::DoNotOptimize(parse_jwks(document));
}

BENCHMARK(BM_VerifyRS256);
BENCHMARK(BM_VerifyPS256);
BENCHMARK(BM_VerifyES256);
BENCHMARK(BM_VerifyEdDSA);
BENCHMARK(BM_VerifyCachedRS256);
BENCHMARK(BM_RefuseOversized);
BENCHMARK(BM_RefuseAlgNone);
BENCHMARK(BM_RefuseBadSignatureRS256);
BENCHMARK(BM_ImportJwksFourKeys);

}  // namespace

BENCHMARK_MAIN();
