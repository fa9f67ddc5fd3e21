// OAuth discovery against scripted loopback servers: the order in which the metadata is looked
// for, the 2025-03-26 fallbacks, and metadata that lies (wrong issuer, wrong resource, redirects
// to another host), which must end in a clear DiscoveryError.
#include "glassbox/auth/discovery.hpp"

#include "auth/fake_http_server.hpp"
#include "glassbox/json/json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace glassbox::auth {
namespace {

using ::testing::ElementsAre;
using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;
using ::testing::HasSubstr;

std::string as_metadata(const std::string& issuer, const std::string& extra = {}) {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + issuer +
         R"(/authorize","token_endpoint":")" + issuer +
         R"(/token","code_challenge_methods_supported":["S256"])" + extra + "}";
}

std::string prm(const std::string& resource, const std::string& as) {
  return R"({"resource":")" + resource + R"(","authorization_servers":[")" + as +
         R"("],"scopes_supported":["a","b"]})";
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DiscoveryError& e) {
    return e.what();
  }
  return "(no DiscoveryError)";
}

TEST(Discovery, UrlLists) {
  EXPECT_THAT(protected_resource_metadata_urls("https://h.example/public/mcp"),
              ElementsAre("https://h.example/.well-known/oauth-protected-resource/public/mcp",
                          "https://h.example/.well-known/oauth-protected-resource"));
  EXPECT_THAT(protected_resource_metadata_urls("https://h.example"),
              ElementsAre("https://h.example/.well-known/oauth-protected-resource"));
  EXPECT_THAT(authorization_server_metadata_urls("https://as.example/tenant1"),
              ElementsAre("https://as.example/.well-known/oauth-authorization-server/tenant1",
                          "https://as.example/.well-known/openid-configuration/tenant1",
                          "https://as.example/tenant1/.well-known/openid-configuration"));
  EXPECT_THAT(authorization_server_metadata_urls("https://as.example/"),
              ElementsAre("https://as.example/.well-known/oauth-authorization-server",
                          "https://as.example/.well-known/openid-configuration"));
}

TEST(Discovery, CanonicalResource) {
  EXPECT_EQ(canonical_resource("HTTPS://MCP.Example.COM/Mcp#frag"), "https://mcp.example.com/Mcp");
  EXPECT_EQ(canonical_resource("https://mcp.example.com/"), "https://mcp.example.com");
  EXPECT_EQ(canonical_resource("https://mcp.example.com:443/mcp"), "https://mcp.example.com/mcp");
  EXPECT_EQ(canonical_resource("http://127.0.0.1:8080/mcp"), "http://127.0.0.1:8080/mcp");
  EXPECT_THROW(canonical_resource("ftp://x/y"), DiscoveryError);
  EXPECT_THROW(canonical_resource("/relative"), DiscoveryError);
  EXPECT_TRUE(is_secure_or_loopback("https://example.com"));
  EXPECT_TRUE(is_secure_or_loopback("http://localhost:1/x"));
  EXPECT_TRUE(is_secure_or_loopback("http://127.0.0.2/"));
  EXPECT_TRUE(is_secure_or_loopback("http://[::1]:80/"));
  EXPECT_FALSE(is_secure_or_loopback("http://example.com/"));
  EXPECT_FALSE(is_secure_or_loopback("http://127.0.0.1.evil.com/"));  // not a loopback host
  EXPECT_THROW(canonical_resource("http://127.0.0.1.evil.com/mcp"), DiscoveryError);
}

TEST(Discovery, ChallengeUrlFirstThenPathAwareAuthorizationServer) {
  FakeHttpServer rs, as;
  std::string issuer = as.url("/tenant1");
  rs.handle([&](const FakeRequest& r) {
    if (r.path == "/custom/prm.json") return FakeResponse::json(prm(rs.url("/mcp"), issuer));
    return FakeResponse::not_found();
  });
  as.handle([&](const FakeRequest& r) {
    if (r.path == "/tenant1/.well-known/openid-configuration")
      return FakeResponse::json(as_metadata(issuer));
    return FakeResponse::not_found();
  });
  Discovery d = discover(rs.url("/mcp"), rs.url("/custom/prm.json"));
  ASSERT_TRUE(d.resource_metadata);
  EXPECT_EQ(d.resource, rs.url("/mcp"));
  EXPECT_EQ(d.server.issuer, issuer);
  EXPECT_EQ(d.server.token_endpoint, issuer + "/token");
  EXPECT_THAT(d.resource_metadata->scopes_supported, ElementsAre("a", "b"));
  EXPECT_THAT(rs.log(), ElementsAre("GET /custom/prm.json"));  // no well-known guessing
  // RFC 8414 path-inserted, OIDC path-inserted, OIDC path-appended; never the root.
  EXPECT_THAT(as.log(), ElementsAre("GET /.well-known/oauth-authorization-server/tenant1",
                                    "GET /.well-known/openid-configuration/tenant1",
                                    "GET /tenant1/.well-known/openid-configuration"));
}

TEST(Discovery, PathSuffixedPrmThenRootThenRootAuthorizationServer) {
  FakeHttpServer rs, as;
  rs.handle([&](const FakeRequest& r) {
    if (r.path == "/.well-known/oauth-protected-resource")
      return FakeResponse::json(prm(rs.url(), as.url()));  // the origin covers /mcp
    return FakeResponse::not_found();
  });
  as.handle([&](const FakeRequest& r) {
    if (r.path == "/.well-known/openid-configuration")
      return FakeResponse::json(as_metadata(as.url()));
    return FakeResponse::not_found();
  });
  Discovery d = discover(rs.url("/mcp"), "");
  EXPECT_EQ(d.resource, rs.url());
  EXPECT_THAT(rs.log(), ElementsAre("GET /.well-known/oauth-protected-resource/mcp",
                                    "GET /.well-known/oauth-protected-resource"));
  EXPECT_THAT(as.log(), ElementsAre("GET /.well-known/oauth-authorization-server",
                                    "GET /.well-known/openid-configuration"));
  EXPECT_TRUE(d.server.supports_s256());
}

TEST(Discovery, NoPrmFallsBackToTheServersOrigin2025_03_26) {
  FakeHttpServer rs;
  rs.handle([&](const FakeRequest& r) {
    if (r.path == "/.well-known/oauth-authorization-server")
      return FakeResponse::json(as_metadata(rs.url("/oauth")));  // issuer under a path: allowed
    return FakeResponse::not_found();
  });
  Discovery d = discover(rs.url("/mcp"), "");
  EXPECT_FALSE(d.resource_metadata);
  EXPECT_EQ(d.resource, rs.url("/mcp"));
  EXPECT_EQ(d.server.issuer, rs.url("/oauth"));
  EXPECT_TRUE(d.server.from_document);
  EXPECT_THAT(rs.log(), ElementsAre("GET /.well-known/oauth-protected-resource/mcp",
                                    "GET /.well-known/oauth-protected-resource",
                                    "GET /.well-known/oauth-authorization-server"));
}

TEST(Discovery, NoMetadataAtAllUsesTheDefaultEndpoints) {
  FakeHttpServer rs;
  rs.handle([](const FakeRequest&) { return FakeResponse::not_found(); });
  Discovery d = discover(rs.url("/mcp"), "");
  EXPECT_FALSE(d.server.from_document);
  EXPECT_EQ(d.server.authorization_endpoint, rs.url("/authorize"));
  EXPECT_EQ(d.server.token_endpoint, rs.url("/token"));
  EXPECT_EQ(d.server.registration_endpoint, rs.url("/register"));
  EXPECT_EQ(rs.log().size(), 4u);
}

TEST(Discovery, IssuerMismatchIsRefused) {
  FakeHttpServer rs, as;
  rs.handle([&](const FakeRequest&) { return FakeResponse::json(prm(rs.url("/mcp"), as.url())); });
  as.handle(
      [&](const FakeRequest&) { return FakeResponse::json(as_metadata("https://evil.example")); });
  std::string m = message_of([&] { discover(rs.url("/mcp"), ""); });
  EXPECT_THAT(m, HasSubstr("names issuer 'https://evil.example'"));
  EXPECT_THAT(m, HasSubstr("refusing"));
}

TEST(Discovery, PrmForAnotherResourceIsRefused) {
  FakeHttpServer rs, as;
  for (std::string lie : {std::string("https://evil.example.com/mcp"), rs.url("/other"),
                          rs.url("/mc"), std::string("http://127.0.0.1:1/mcp")}) {
    rs.handle([&](const FakeRequest&) { return FakeResponse::json(prm(lie, as.url())); });
    std::string m = message_of([&] { discover(rs.url("/mcp"), ""); });
    EXPECT_THAT(m, HasSubstr("is for resource '" + lie + "', not for this server")) << lie;
  }
  EXPECT_TRUE(as.log().empty());  // the authorization server was never contacted
}

TEST(Discovery, RedirectToAnotherHostIsRefusedSameOriginFollowed) {
  FakeHttpServer rs, as;
  rs.handle([&](const FakeRequest& r) {
    if (r.path == "/.well-known/oauth-protected-resource/mcp")
      return FakeResponse::redirect("/moved");  // same origin: followed
    if (r.path == "/moved") return FakeResponse::json(prm(rs.url("/mcp"), as.url()));
    return FakeResponse::not_found();
  });
  as.handle([&](const FakeRequest&) {
    return FakeResponse::redirect("http://localhost:1/.well-known/oauth-authorization-server");
  });
  std::string m = message_of([&] { discover(rs.url("/mcp"), ""); });
  EXPECT_THAT(m, HasSubstr("redirects to another origin (http://localhost:1/"));
  EXPECT_THAT(rs.log(), ElementsAre("GET /.well-known/oauth-protected-resource/mcp", "GET /moved"));
}

TEST(Discovery, BrokenDocumentsAreRefused) {
  FakeHttpServer rs, as;
  rs.handle([&](const FakeRequest&) { return FakeResponse::json("[1,2]"); });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }), HasSubstr("is not a JSON object"));
  rs.handle([&](const FakeRequest&) { return FakeResponse::json(R"({"resource":1})"); });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }), HasSubstr("has no 'resource'"));
  rs.handle([&](const FakeRequest&) {
    return FakeResponse::json(R"({"resource":")" + rs.url("/mcp") + R"("})");
  });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("lists no authorization_servers"));
  rs.handle([&](const FakeRequest&) {
    return FakeResponse::json(prm(rs.url("/mcp"), "http://as.example.com"));
  });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("neither https nor loopback"));
  rs.handle([&](const FakeRequest&) { return FakeResponse::json(prm(rs.url("/mcp"), as.url())); });
  as.handle([&](const FakeRequest&) {
    return FakeResponse::json(R"({"issuer":")" + as.url() + R"("})");
  });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("has no 'token_endpoint'"));
  as.handle([&](const FakeRequest&) {
    return FakeResponse::json(R"({"issuer":")" + as.url() +
                              R"(","token_endpoint":"http://tokens.example.com/token"})");
  });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("neither https nor loopback"));
  as.handle([&](const FakeRequest&) { return FakeResponse::not_found(); });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("no metadata found for authorization server"));
}

TEST(Discovery, LegacyMetadataNamingAnotherOriginIsRefused) {
  FakeHttpServer rs;
  rs.handle([&](const FakeRequest& r) {
    if (r.path == "/.well-known/oauth-authorization-server")
      return FakeResponse::json(as_metadata("http://localhost:9"));
    return FakeResponse::not_found();
  });
  EXPECT_THAT(message_of([&] { discover(rs.url("/mcp"), ""); }),
              HasSubstr("not on the MCP server's origin"));
}

}  // namespace
}  // namespace glassbox::auth
