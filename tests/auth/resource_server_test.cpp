// The HTTP pieces of a resource server: the PRM document and its paths, Bearer challenges,
// reading the token from the header, spotting one in the query.
#include "glassbox/auth/resource_server.hpp"

#include "auth/scopes.hpp"
#include "glassbox/auth/token_verifier.hpp"

#include <gtest/gtest.h>

namespace glassbox::auth {
namespace {

TEST(ResourceServer, MetadataDocumentIsExact) {
  ProtectedResourceMetadata m{.resource = "http://127.0.0.1:8080/mcp",
                              .authorization_servers = {"https://auth.example"},
                              .scopes_supported = {"mcp", "mail.read"}};
  EXPECT_EQ(
      json::serialize(m.to_json()),
      R"({"resource":"http://127.0.0.1:8080/mcp","authorization_servers":["https://auth.example"],)"
      R"("scopes_supported":["mcp","mail.read"],"bearer_methods_supported":["header"]})");
  m.scopes_supported.clear();
  m.resource_name = "Mail";
  EXPECT_EQ(
      json::serialize(m.to_json()),
      R"({"resource":"http://127.0.0.1:8080/mcp","authorization_servers":["https://auth.example"],)"
      R"("bearer_methods_supported":["header"],"resource_name":"Mail"})");
}

TEST(ResourceServer, MetadataLivesBetweenHostAndPath) {
  EXPECT_EQ(metadata_path("http://127.0.0.1:8080/mcp"),
            "/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(metadata_url("https://mcp.example.com/a/b"),
            "https://mcp.example.com/.well-known/oauth-protected-resource/a/b");
  EXPECT_EQ(metadata_path("https://mcp.example.com"), "/.well-known/oauth-protected-resource");
  EXPECT_EQ(metadata_path("https://mcp.example.com/"), "/.well-known/oauth-protected-resource");
  EXPECT_EQ(metadata_url("https://mcp.example.com/mcp?x=1"),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
}

TEST(ResourceServer, ChallengesAreQuotedAndClean) {
  BearerChallenge c{.resource_metadata = "http://h/.well-known/oauth-protected-resource/mcp"};
  EXPECT_EQ(c.to_string(),
            R"(Bearer resource_metadata="http://h/.well-known/oauth-protected-resource/mcp")");
  c.error = "insufficient_scope";
  c.error_description = "needs \"mail\"\\\n";
  c.scope = "mail mcp";
  EXPECT_EQ(c.to_string(),
            R"(Bearer resource_metadata="http://h/.well-known/oauth-protected-resource/mcp", )"
            R"(error="insufficient_scope", error_description="needs mail", scope="mail mcp")");
  EXPECT_EQ(BearerChallenge{}.to_string(), "Bearer");
}

TEST(ResourceServer, BearerCredentialsComeFromTheHeaderOnly) {
  EXPECT_EQ(bearer_credentials("Bearer abc.def"), "abc.def");
  EXPECT_EQ(bearer_credentials("bearer abc"), "abc");
  EXPECT_EQ(bearer_credentials("  BEARER   abc  "), "abc");
  EXPECT_FALSE(bearer_credentials(""));
  EXPECT_FALSE(bearer_credentials("Bearer"));
  EXPECT_FALSE(bearer_credentials("Bearer   "));
  EXPECT_FALSE(bearer_credentials("Bearerabc"));
  EXPECT_FALSE(bearer_credentials("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(bearer_credentials("DPoP abc"));
  EXPECT_TRUE(has_query_token("/mcp?access_token=abc"));
  EXPECT_TRUE(has_query_token("/mcp?x=1&access_token="));
  EXPECT_FALSE(has_query_token("/mcp?x_access_token=1"));
  EXPECT_FALSE(has_query_token("/mcp"));
}

TEST(ResourceServer, ReasonsMapToStatusAndBearerError) {
  EXPECT_EQ(http_status(Reason::missing), 401);
  EXPECT_EQ(bearer_error(Reason::missing), "");
  EXPECT_EQ(http_status(Reason::expired), 401);
  EXPECT_EQ(bearer_error(Reason::expired), "invalid_token");
  EXPECT_EQ(http_status(Reason::insufficient_scope), 403);
  EXPECT_EQ(bearer_error(Reason::insufficient_scope), "insufficient_scope");
  EXPECT_EQ(http_status(Reason::token_in_query), 400);
  EXPECT_EQ(bearer_error(Reason::token_in_query), "invalid_request");
  EXPECT_EQ(http_status(Reason::jwks_unavailable), 503);
  EXPECT_EQ(http_status(Reason::introspection_failed), 503);
  EXPECT_EQ(to_string(Reason::alg_not_allowed), "alg_not_allowed");
  EXPECT_EQ(split_scopes("  a b  a c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(join_scopes({"a", "b"}), "a b");
}

}  // namespace
}  // namespace glassbox::auth
