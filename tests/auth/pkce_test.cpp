// PKCE (RFC 7636): the verifier's length and alphabet, and S256 against the RFC's own example.
#include "auth/pkce.hpp"

#include <gtest/gtest.h>

#include <set>

namespace glassbox::auth {
namespace {

TEST(Pkce, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, FreshPairsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Pkce p = make_pkce();
    EXPECT_EQ(p.method, "S256");
    EXPECT_EQ(p.verifier.size(), 43u);  // 32 random bytes
    EXPECT_TRUE(is_valid_pkce_verifier(p.verifier)) << p.verifier;
    EXPECT_EQ(p.challenge, pkce_s256(p.verifier));
    EXPECT_EQ(p.challenge.size(), 43u);  // 32-byte digest, unpadded
    EXPECT_TRUE(seen.insert(p.verifier).second);
  }
}

TEST(Pkce, VerifierRules) {
  EXPECT_TRUE(is_valid_pkce_verifier(std::string(43, 'a')));
  EXPECT_TRUE(is_valid_pkce_verifier(std::string(128, '~')));
  EXPECT_TRUE(
      is_valid_pkce_verifier("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a')));   // too short
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(129, 'a')));  // too long
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + "+"));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + "="));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + " "));
  EXPECT_FALSE(is_valid_pkce_verifier(""));
}

TEST(Pkce, RandomStringsAreUrlSafe) {
  std::string s = random_urlsafe(24);
  EXPECT_EQ(s.size(), 32u);
  EXPECT_EQ(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_NE(random_urlsafe(24), s);
}

}  // namespace
}  // namespace glassbox::auth
