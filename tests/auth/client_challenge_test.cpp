// WWW-Authenticate as a client reads it: several challenges, quoted strings with escapes,
// token68, and garbage that must neither throw nor leak into the parameters.
#include "auth/client_challenge.hpp"

#include <gtest/gtest.h>

namespace glassbox::auth {
namespace {

TEST(ClientChallenge, BearerWithMcpParameters) {
  auto b = find_bearer_challenge(
      R"(Bearer error="insufficient_scope", scope="files:read files:write", )"
      R"(resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp")");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->error, "insufficient_scope");
  EXPECT_EQ(b->scope, "files:read files:write");
  EXPECT_EQ(b->resource_metadata,
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(b->error_description, "");
}

TEST(ClientChallenge, SeveralChallengesRfc9110Example) {
  auto all = parse_www_authenticate(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].scheme, "Newauth");
  EXPECT_EQ(all[0].param("realm"), "apps");
  EXPECT_EQ(all[0].param("type"), "1");
  EXPECT_EQ(all[0].param("TITLE"), "Login to \"apps\"");  // names compare case-insensitively
  EXPECT_EQ(all[1].scheme, "Basic");
  EXPECT_EQ(all[1].param("realm"), "simple");
}

TEST(ClientChallenge, BearerAfterAnotherSchemeAndCaseInsensitive) {
  auto b = find_bearer_challenge(R"(Basic realm="x", bEaReR scope="a", Error=invalid_token)");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope, "a");
  EXPECT_EQ(b->error, "invalid_token");  // a bare token value
}

TEST(ClientChallenge, Token68AndBareSchemes) {
  auto all = parse_www_authenticate("Negotiate, Basic YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].scheme, "Negotiate");
  EXPECT_TRUE(all[0].params.empty());
  EXPECT_EQ(all[1].token68, "YWxhZGRpbjpvcGVuc2VzYW1l==");
  EXPECT_EQ(all[2].scheme, "Bearer");
  auto b = find_bearer_challenge("Bearer");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope, "");
}

TEST(ClientChallenge, EscapesAndCommasInsideQuotes) {
  auto all = parse_www_authenticate(R"(Bearer error_description="a, b \\ c \"d\"", scope="s")");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].param("error_description"), R"(a, b \ c "d")");
  EXPECT_EQ(all[0].param("scope"), "s");
}

TEST(ClientChallenge, WhitespaceAroundEqualsAndEmptyItems) {
  auto b = find_bearer_challenge("  ,, Bearer   scope = \"x y\" ,  , error =  insufficient_scope ");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope, "x y");
  EXPECT_EQ(b->error, "insufficient_scope");
}

TEST(ClientChallenge, GarbageNeverThrowsOrInventsParameters) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate(",,, ,").empty());
  EXPECT_FALSE(find_bearer_challenge("Basic realm=\"x\""));
  EXPECT_FALSE(find_bearer_challenge("\"Bearer\" scope=\"a\""));
  EXPECT_FALSE(find_bearer_challenge("Bearer=scope"));
  // An unterminated quoted string ends the parse: nothing after it is believed.
  auto all = parse_www_authenticate(R"(Bearer error="x", scope="a, resource_metadata=https://e)");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].param("error"), "x");
  EXPECT_FALSE(all[0].param("scope"));
  EXPECT_FALSE(all[0].param("resource_metadata"));
  // Quotes pair up as the grammar says, whatever the text looks like.
  auto odd = find_bearer_challenge(R"(Bearer scope="a, resource_metadata="https://evil)");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->scope, "a, resource_metadata=");
  EXPECT_EQ(odd->resource_metadata, "");
  // A trailing backslash inside quotes.
  EXPECT_NO_THROW(parse_www_authenticate("Bearer scope=\"abc\\"));
  // Control bytes and non-ASCII.
  EXPECT_NO_THROW(parse_www_authenticate(std::string("Bearer \x01\x02\xff=\"\x80\"", 14)));
  // Junk after a value is skipped up to the next comma.
  auto b = find_bearer_challenge(R"(Bearer scope="a" junk junk, error="e")");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope, "a");
  EXPECT_EQ(b->error, "e");
}

TEST(ClientChallenge, LimitsBoundTheWork) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += "S" + std::to_string(i) + " a=b, ";
  EXPECT_EQ(parse_www_authenticate(many).size(), kMaxChallenges);
  std::string params = "Bearer ";
  for (int i = 0; i < 100; ++i) params += "p" + std::to_string(i) + "=v, ";
  EXPECT_EQ(parse_www_authenticate(params).at(0).params.size(), kMaxParams);
  std::string huge = "Bearer scope=\"" + std::string(kMaxHeaderBytes, 'x') + "\"";
  auto all = parse_www_authenticate(huge);  // cut at the limit: the quote never closes
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].param("scope"));
}

TEST(ClientChallenge, Scopes) {
  EXPECT_EQ(split_scopes("  a b  a c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_scopes("").empty());
  EXPECT_EQ(join_scopes({"a", "b"}), "a b");
}

}  // namespace
}  // namespace glassbox::auth
