// IntrospectionVerifier against an introspection endpoint played by the test (RFC 7662).
#include "glassbox/auth/introspection.hpp"

#include "auth/jwt_test_util.hpp"

#include <gtest/gtest.h>

namespace glassbox::auth {
namespace {

using namespace testing;

const std::string kAudience = "http://127.0.0.1:8080/mcp";

// Answers by token: "good" is active; "stale" expired; "elsewhere" is for another audience;
// "foreign" from another issuer; anything else inactive. Checks the client's Basic credentials.
class Endpoint {
 public:
  Endpoint()
      : server_([this](const TinyHttpServer::Request& r) {
          std::lock_guard lock(mutex_);
          requests_.push_back(r);
          // "introspector" / "s3cr:t" form-encoded, then base64 (RFC 6749 2.3.1).
          if (r.authorization != "Basic aW50cm9zcGVjdG9yOnMzY3IlM0F0")
            return TinyHttpServer::Response{401, R"({"error":"invalid_client"})"};
          std::string token = r.body.substr(6, r.body.find('&') - 6);
          std::int64_t now = unix_now();
          json::object answer{{"active", true},       {"scope", "mcp mail.read"},
                              {"client_id", "cli-7"}, {"sub", "bob@example.com"},
                              {"iss", kIssuer},       {"aud", json::array{kAudience}},
                              {"exp", now + 300}};
          if (token == "stale") answer["exp"] = now - 600;
          if (token == "elsewhere") answer["aud"] = "https://other.example/mcp";
          if (token == "foreign") answer["iss"] = "https://evil.example";
          if (token == "broken") return TinyHttpServer::Response{200, "{\"active\":\"yes\"}"};
          if (token == "down") return TinyHttpServer::Response{502, "bad gateway"};
          if (token != "good" && token != "stale" && token != "elsewhere" && token != "foreign")
            answer = {{"active", false}};
          return TinyHttpServer::Response{200, json::serialize(answer)};
        }) {}

  std::string url() const { return server_.url("/introspect"); }
  std::vector<TinyHttpServer::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::vector<TinyHttpServer::Request> requests_;
  TinyHttpServer server_;
};

IntrospectionVerifierOptions options_for(const Endpoint& endpoint) {
  return {.endpoint = endpoint.url(),
          .client_id = "introspector",
          .client_secret = "s3cr:t",
          .issuer = kIssuer};
}

TEST(IntrospectionVerifier, AnActiveTokenIsValidAndCached) {
  Endpoint endpoint;
  IntrospectionVerifier v(options_for(endpoint));
  EXPECT_FALSE(v.try_verify("good", kAudience));  // nothing cached: needs the network
  VerifyResult r = v.verify("good", kAudience);
  ASSERT_TRUE(r.ok()) << to_string(r.reason) << " " << r.description;
  EXPECT_EQ(r.facts.format, "opaque");
  EXPECT_FALSE(r.facts.cached);
  EXPECT_EQ(r.info->subject, "bob@example.com");
  EXPECT_EQ(r.info->client_id, "cli-7");
  EXPECT_EQ(r.info->scopes, (std::vector<std::string>{"mcp", "mail.read"}));
  auto requests = endpoint.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].body, "token=good&token_type_hint=access_token");
  auto again = v.try_verify("good", kAudience);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ok());
  EXPECT_TRUE(again->facts.cached);
  EXPECT_TRUE(v.verify("good", kAudience).ok());
  EXPECT_EQ(v.requests(), 1u);
}

TEST(IntrospectionVerifier, RefusalsHaveTheirReasons) {
  Endpoint endpoint;
  IntrospectionVerifier v(options_for(endpoint));
  EXPECT_EQ(v.verify("revoked", kAudience).reason, Reason::inactive);
  EXPECT_EQ(v.verify("stale", kAudience).reason, Reason::expired);
  EXPECT_EQ(v.verify("elsewhere", kAudience).reason, Reason::wrong_audience);
  EXPECT_EQ(v.verify("foreign", kAudience).reason, Reason::wrong_issuer);
  EXPECT_EQ(v.verify("broken", kAudience).reason, Reason::introspection_failed);
  EXPECT_EQ(v.verify("down", kAudience).reason, Reason::introspection_failed);
  EXPECT_EQ(v.verify(std::string(9000, 'a'), kAudience).reason, Reason::oversized);
  // Refusals are cached briefly; failures are not.
  std::size_t before = v.requests();
  EXPECT_EQ(v.verify("revoked", kAudience).reason, Reason::inactive);
  EXPECT_EQ(v.verify("down", kAudience).reason, Reason::introspection_failed);
  EXPECT_EQ(v.requests(), before + 1);
}

TEST(IntrospectionVerifier, WrongClientCredentialsOrNoEndpointFail) {
  Endpoint endpoint;
  IntrospectionVerifierOptions options = options_for(endpoint);
  options.client_secret = "guess";
  EXPECT_EQ(IntrospectionVerifier(options).verify("good", kAudience).reason,
            Reason::introspection_failed);
  std::uint16_t closed;
  {
    TinyHttpServer gone([](const TinyHttpServer::Request&) { return TinyHttpServer::Response{}; });
    closed = gone.port();
  }
  options.endpoint = "http://127.0.0.1:" + std::to_string(closed) + "/introspect";
  EXPECT_EQ(IntrospectionVerifier(options).verify("good", kAudience).reason,
            Reason::introspection_failed);
  EXPECT_THROW(IntrospectionVerifier(IntrospectionVerifierOptions{}), std::invalid_argument);
}

TEST(IntrospectionVerifier, TheCacheIsBounded) {
  Endpoint endpoint;
  IntrospectionVerifierOptions options = options_for(endpoint);
  options.max_cache_entries = 2;
  IntrospectionVerifier v(options);
  for (std::string token : {"good", "revoked-1", "revoked-2"}) v.verify(token, kAudience);
  EXPECT_FALSE(v.try_verify("good", kAudience));  // evicted, oldest first
  EXPECT_TRUE(v.try_verify("revoked-2", kAudience));
}

}  // namespace
}  // namespace glassbox::auth
