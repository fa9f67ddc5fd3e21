// The OAuth client against a scripted protected resource and authorization server on loopback:
// the authorization code flow end to end (PKCE, state, resource, registration), what it refuses
// (no S256, a mix-up `iss`, a forged state), step-up and its limit, the token endpoint
// authentication methods, client credentials with a secret or a signed assertion, refresh, and
// the token store between runs.
#include "glassbox/auth/oauth_client.hpp"

#include "auth/base64url.hpp"
#include "auth/client_assertion.hpp"
#include "auth/fake_http_server.hpp"
#include "auth/pkce.hpp"
#include "glassbox/json/json.hpp"
#include "glassbox/transport/http_fetch.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

namespace glassbox::auth {
namespace {

using ::testing::ElementsAre;
using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;
using ::testing::HasSubstr;
using transport::HttpChallenge;

std::string quoted_list(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& i : items) a.emplace_back(json::string(i));
  return json::serialize(a);
}

// A protected resource at rs/mcp and its authorization server, both scripted by the fields.
class OAuthWorld {
 public:
  std::vector<std::string> prm_scopes;  // empty: no scopes_supported
  std::vector<std::string> auth_methods = {"none"};
  std::optional<std::vector<std::string>> challenge_methods = std::vector<std::string>{"S256"};
  std::vector<std::string> as_scopes;
  bool registration = true;
  bool iss_supported = false;
  std::string iss_in_response;    // added to the redirect when set
  std::string state_override;     // a forged state in the redirect
  std::string registered_method;  // what registration answers
  std::string registered_secret;
  int expires_in = 3600;
  bool issue_refresh_token = false;
  int tokens_issued = 0;

  FakeHttpServer rs, as;

  OAuthWorld() {
    rs.handle([this](const FakeRequest& r) { return resource(r); });
    as.handle([this](const FakeRequest& r) { return authorization_server(r); });
  }

  std::string server_url() const { return rs.url("/mcp"); }
  std::string prm_url() const { return rs.url("/.well-known/oauth-protected-resource/mcp"); }
  std::string challenge(const std::string& extra = {}) const {
    return "Bearer error=\"invalid_token\", resource_metadata=\"" + prm_url() + "\"" + extra;
  }

  FakeResponse resource(const FakeRequest& r) {
    if (r.path != "/.well-known/oauth-protected-resource/mcp") return FakeResponse::not_found();
    std::string doc =
        R"({"resource":")" + server_url() + R"(","authorization_servers":[")" + as.url() + "\"]";
    if (!prm_scopes.empty()) doc += ",\"scopes_supported\":" + quoted_list(prm_scopes);
    return FakeResponse::json(doc + "}");
  }

  FakeResponse authorization_server(const FakeRequest& r) {
    std::string base = as.url();
    if (r.path == "/.well-known/oauth-authorization-server") {
      std::string doc = R"({"issuer":")" + base + R"(","authorization_endpoint":")" + base +
                        R"(/authorize","token_endpoint":")" + base + R"(/token")";
      if (registration) doc += R"(,"registration_endpoint":")" + base + R"(/register")";
      doc += ",\"token_endpoint_auth_methods_supported\":" + quoted_list(auth_methods);
      if (challenge_methods)
        doc += ",\"code_challenge_methods_supported\":" + quoted_list(*challenge_methods);
      if (!as_scopes.empty()) doc += ",\"scopes_supported\":" + quoted_list(as_scopes);
      if (iss_supported) doc += R"(,"authorization_response_iss_parameter_supported":true)";
      return FakeResponse::json(doc + "}");
    }
    if (r.path == "/register") {
      json::object answer{{"client_id", "dyn-client"}};
      if (!registered_secret.empty()) answer["client_secret"] = registered_secret;
      if (!registered_method.empty()) answer["token_endpoint_auth_method"] = registered_method;
      return FakeResponse::json(json::serialize(answer), 201);
    }
    if (r.path == "/authorize") {
      std::string to = r.query.at("redirect_uri") + "?code=the-code&state=" +
                       (state_override.empty() ? r.query.at("state") : state_override);
      if (!iss_in_response.empty()) to += "&iss=" + iss_in_response;
      return FakeResponse::redirect(to);
    }
    if (r.path == "/token") {
      ++tokens_issued;
      json::object answer{{"access_token", "token-" + std::to_string(tokens_issued)},
                          {"token_type", "Bearer"},
                          {"expires_in", expires_in}};
      if (issue_refresh_token) answer["refresh_token"] = "refresh-" + std::to_string(tokens_issued);
      return FakeResponse::json(json::serialize(answer));
    }
    return FakeResponse::not_found();
  }

  OAuthClientOptions options() const {
    OAuthClientOptions o{.server_url = server_url()};
    o.open_url = headless_user_agent();
    o.authorization_timeout = std::chrono::seconds(5);
    return o;
  }

  std::vector<FakeRequest> authorizations() const { return as.requests_to("/authorize"); }
  std::vector<FakeRequest> token_requests() const { return as.requests_to("/token"); }
};

HttpChallenge challenge_of(int status, std::string header, std::string sent = {},
                           std::size_t attempt = 0) {
  return {.status = status,
          .www_authenticate = std::move(header),
          .sent_token = std::move(sent),
          .url = "",
          .attempt = attempt};
}

std::string decode_basic(const std::string& header) {
  // "Basic <base64>": base64url_decode handles the standard alphabet's common subset here.
  std::string b64 = header.substr(6);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return base64url_decode(b64).value_or("?");
}

TEST(OAuthClient, AuthorizationCodeFlowEndToEnd) {
  OAuthWorld world;
  world.prm_scopes = {"mcp:read", "mcp:write"};
  OAuthClient client(world.options());
  EXPECT_EQ(client.token().access_token, "");
  auto answer = client.on_challenge(challenge_of(401, world.challenge()));
  ASSERT_TRUE(answer.retry) << answer.reason;
  EXPECT_EQ(client.token().access_token, "token-1");

  // Dynamic registration of a public client with the loopback redirect.
  auto registrations = world.as.requests_to("/register");
  ASSERT_EQ(registrations.size(), 1u);
  auto reg = json::parse(registrations[0].body)->as_object();
  EXPECT_EQ(reg.at("token_endpoint_auth_method").as_string(), "none");
  EXPECT_EQ(reg.at("grant_types").as_array().size(), 2u);
  std::string redirect_uri(reg.at("redirect_uris").as_array().at(0).as_string());
  EXPECT_THAT(redirect_uri, ::testing::MatchesRegex("http://127\\.0\\.0\\.1:[0-9]+/callback"));

  auto authorizations = world.authorizations();
  ASSERT_EQ(authorizations.size(), 1u);
  const auto& q = authorizations[0].query;
  EXPECT_EQ(q.at("response_type"), "code");
  EXPECT_EQ(q.at("client_id"), "dyn-client");
  EXPECT_EQ(q.at("redirect_uri"), redirect_uri);
  EXPECT_EQ(q.at("code_challenge_method"), "S256");
  EXPECT_EQ(q.at("scope"), "mcp:read mcp:write");  // the PRM's scopes_supported
  EXPECT_EQ(q.at("resource"), world.server_url());
  EXPECT_GE(q.at("state").size(), 32u);

  auto tokens = world.token_requests();
  ASSERT_EQ(tokens.size(), 1u);
  auto form = tokens[0].form();
  EXPECT_EQ(form.at("grant_type"), "authorization_code");
  EXPECT_EQ(form.at("code"), "the-code");
  EXPECT_EQ(form.at("redirect_uri"), redirect_uri);
  EXPECT_EQ(form.at("resource"), world.server_url());
  EXPECT_EQ(form.at("client_id"), "dyn-client");
  EXPECT_TRUE(is_valid_pkce_verifier(form.at("code_verifier")));
  EXPECT_EQ(pkce_s256(form.at("code_verifier")), q.at("code_challenge"));
  EXPECT_EQ(tokens[0].header("authorization"), "");  // none: no client authentication
  ASSERT_TRUE(client.discovery());
  EXPECT_EQ(client.discovery()->server.issuer, world.as.url());
}

TEST(OAuthClient, ScopeComesFromTheChallengeFirstAndIsOmittedWhenUnknown) {
  OAuthWorld world;
  world.prm_scopes = {"p"};
  OAuthClient a(world.options());
  ASSERT_TRUE(a.on_challenge(challenge_of(401, world.challenge(", scope=\"c1 c2\""))).retry);
  EXPECT_EQ(world.authorizations().back().query.at("scope"), "c1 c2");

  OAuthWorld bare;  // no scopes anywhere: no scope parameter at all
  OAuthClient b(bare.options());
  ASSERT_TRUE(b.on_challenge(challenge_of(401, bare.challenge())).retry);
  EXPECT_EQ(bare.authorizations().back().query.count("scope"), 0u);

  OAuthWorld offline;  // the server lists offline_access: asked for (SEP-2207)
  offline.as_scopes = {"mcp", "offline_access"};
  OAuthClient c(offline.options());
  ASSERT_TRUE(c.on_challenge(challenge_of(401, offline.challenge(", scope=\"mcp\""))).retry);
  EXPECT_EQ(offline.authorizations().back().query.at("scope"), "mcp offline_access");
}

TEST(OAuthClient, RefusesAnAuthorizationServerWithoutS256) {
  for (auto methods : {std::optional<std::vector<std::string>>{},
                       std::optional<std::vector<std::string>>{{"plain"}}}) {
    OAuthWorld world;
    world.challenge_methods = methods;
    OAuthClient client(world.options());
    auto answer = client.on_challenge(challenge_of(401, world.challenge()));
    EXPECT_FALSE(answer.retry);
    EXPECT_THAT(answer.reason, HasSubstr("does not advertise PKCE S256"));
    EXPECT_TRUE(world.authorizations().empty());
    EXPECT_TRUE(world.token_requests().empty());
  }
}

TEST(OAuthClient, RefusesAMixedUpIssuerAndAForgedState) {
  OAuthWorld mixup;
  mixup.iss_supported = true;
  mixup.iss_in_response = "https://evil.example";
  OAuthClient a(mixup.options());
  auto answer = a.on_challenge(challenge_of(401, mixup.challenge()));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("names issuer 'https://evil.example'"));
  EXPECT_TRUE(mixup.token_requests().empty());

  OAuthWorld forged;
  forged.state_override = "not-the-state";
  OAuthClient b(forged.options());
  answer = b.on_challenge(challenge_of(401, forged.challenge()));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("redirect listener answered HTTP 400"));
  EXPECT_TRUE(forged.token_requests().empty());
}

TEST(OAuthClient, StepUpUnitesScopesAndStopsAtTheLimit) {
  OAuthWorld world;
  OAuthClient client(world.options());
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge(", scope=\"a\""))).retry);
  std::string insufficient =
      R"(Bearer error="insufficient_scope", scope="a b", resource_metadata=")" + world.prm_url() +
      "\"";
  auto answer = client.on_challenge(challenge_of(403, insufficient, "token-1", 1));
  ASSERT_TRUE(answer.retry) << answer.reason;
  EXPECT_EQ(world.authorizations().back().query.at("scope"), "a b");
  std::string more = R"(Bearer error="insufficient_scope", scope="c")";
  ASSERT_TRUE(client.on_challenge(challenge_of(403, more, "token-2", 2)).retry);
  EXPECT_EQ(world.authorizations().back().query.at("scope"), "a b c");
  EXPECT_THAT(client.requested_scopes(), ElementsAre("a", "b", "c"));
  // The third refusal of the same request: three authorizations were enough.
  answer = client.on_challenge(challenge_of(403, more, "token-3", 3));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("still refused after 3 authorizations"));
  EXPECT_EQ(world.authorizations().size(), 3u);
  // A 403 that is not about scope is final at once.
  answer = client.on_challenge(challenge_of(403, R"(Bearer error="invalid_request")", "token-3"));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("HTTP 403, invalid_request"));
  EXPECT_EQ(world.authorizations().size(), 3u);
}

TEST(OAuthClient, ANewerTokenIsRetriedWithoutAnotherFlow) {
  OAuthWorld world;
  OAuthClient client(world.options());
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge())).retry);
  // A request that went out before the flow finished comes back 401 with no token.
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge(), "")).retry);
  EXPECT_EQ(world.authorizations().size(), 1u);
}

struct MethodCase {
  std::vector<std::string> supported;
  std::string secret;
  std::string expected;
};

class TokenEndpointAuth : public ::testing::TestWithParam<MethodCase> {};

TEST_P(TokenEndpointAuth, FollowsWhatTheServerSupports) {
  const MethodCase& c = GetParam();
  OAuthWorld world;
  world.auth_methods = c.supported;
  world.registration = false;
  OAuthClientOptions options = world.options();
  options.client_id = "pre-client";
  options.client_secret = c.secret;
  OAuthClient client(options);
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge())).retry);
  auto tokens = world.token_requests();
  ASSERT_EQ(tokens.size(), 1u);
  auto form = tokens[0].form();
  std::string basic = tokens[0].header("authorization");
  if (c.expected == "client_secret_basic") {
    // RFC 6749 section 2.3.1: each part form-encoded before joining ("s:x" -> "s%3Ax").
    EXPECT_EQ(decode_basic(basic),
              "pre-client:" + transport::form_encode({{"", c.secret}}).substr(1));
    EXPECT_EQ(form.count("client_secret"), 0u);
  } else if (c.expected == "client_secret_post") {
    EXPECT_EQ(basic, "");
    EXPECT_EQ(form.at("client_id"), "pre-client");
    EXPECT_EQ(form.at("client_secret"), c.secret);
  } else {
    EXPECT_EQ(basic, "");
    EXPECT_EQ(form.at("client_id"), "pre-client");
    EXPECT_EQ(form.count("client_secret"), 0u);
  }
  EXPECT_TRUE(world.as.requests_to("/register").empty());  // pre-registered: no registration
}

INSTANTIATE_TEST_SUITE_P(
    Methods, TokenEndpointAuth,
    ::testing::Values(
        MethodCase{{"client_secret_basic"}, "s", "client_secret_basic"},
        MethodCase{{"client_secret_post"}, "s", "client_secret_post"},
        MethodCase{{"none"}, "", "none"}, MethodCase{{"none"}, "s", "none"},
        MethodCase{{}, "s:x", "client_secret_basic"},  // the RFC 8414 default
        MethodCase{{"client_secret_post", "client_secret_basic"}, "s", "client_secret_basic"}));

TEST(OAuthClient, NoWayToRegisterIsAClearError) {
  OAuthWorld world;
  world.registration = false;
  OAuthClient client(world.options());
  auto answer = client.on_challenge(challenge_of(401, world.challenge()));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("offers no dynamic client registration"));
  EXPECT_THAT(answer.reason, HasSubstr("--client-id"));
}

TEST(OAuthClient, ClientMetadataDocumentWhenTheServerSupportsIt) {
  OAuthWorld world;
  OAuthClientOptions options = world.options();
  options.client_metadata_url = "https://app.example/client.json";
  world.as.handle([&](const FakeRequest& r) {
    FakeResponse response = world.authorization_server(r);
    if (r.path == "/.well-known/oauth-authorization-server")
      response.body.insert(response.body.size() - 1,
                           R"(,"client_id_metadata_document_supported":true)");
    return response;
  });
  OAuthClient client(options);
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge())).retry);
  EXPECT_EQ(world.authorizations().at(0).query.at("client_id"), "https://app.example/client.json");
  EXPECT_TRUE(world.as.requests_to("/register").empty());

  OAuthWorld plain;  // not advertised: dynamic registration instead
  options = plain.options();
  options.client_metadata_url = "https://app.example/client.json";
  OAuthClient other(options);
  ASSERT_TRUE(other.on_challenge(challenge_of(401, plain.challenge())).retry);
  EXPECT_EQ(plain.authorizations().at(0).query.at("client_id"), "dyn-client");
}

TEST(OAuthClient, ClientCredentialsWithASecret) {
  OAuthWorld world;
  world.auth_methods = {"client_secret_basic"};
  OAuthClientOptions options = world.options();
  options.grant = OAuthGrant::client_credentials;
  options.client_id = "machine";
  options.client_secret = "secret";
  options.scopes = {"jobs"};
  options.open_url = nullptr;  // nobody to show anything to
  OAuthClient client(options);
  client.authorize();
  EXPECT_EQ(client.access_token(), "token-1");
  auto tokens = world.token_requests();
  ASSERT_EQ(tokens.size(), 1u);
  auto form = tokens[0].form();
  EXPECT_EQ(form.at("grant_type"), "client_credentials");
  EXPECT_EQ(form.at("scope"), "jobs");
  EXPECT_EQ(form.at("resource"), world.server_url());
  EXPECT_EQ(decode_basic(tokens[0].header("authorization")), "machine:secret");
  EXPECT_TRUE(world.authorizations().empty());
}

// An EC P-256 key in PEM, made for the test.
std::string make_ec_key_pem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// Verifies a compact ES256 JWS with the key's public half; returns the claims.
json::object verify_es256(const std::string& jwt, const std::string& pem) {
  auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  std::string input = jwt.substr(0, dot2);
  std::string sig = base64url_decode(jwt.substr(dot2 + 1)).value_or("");
  EXPECT_EQ(sig.size(), 64u);
  ECDSA_SIG* s = ECDSA_SIG_new();
  ECDSA_SIG_set0(s, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(s, &der);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  int ok = EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EXPECT_EQ(ok, 1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  BIO_free(bio);
  OPENSSL_free(der);
  ECDSA_SIG_free(s);
  auto header = json::parse(base64url_decode(jwt.substr(0, dot1)).value_or(""));
  EXPECT_EQ(header->as_object().at("alg").as_string(), "ES256");
  return json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)).value_or(""))
      ->as_object();
}

TEST(OAuthClient, ClientCredentialsWithASignedAssertion) {
  OAuthWorld world;
  world.auth_methods = {"private_key_jwt"};
  OAuthClientOptions options = world.options();
  options.grant = OAuthGrant::client_credentials;
  options.client_id = "machine";
  options.private_key_pem = make_ec_key_pem();
  OAuthClient client(options);
  client.authorize();
  auto form = world.token_requests().at(0).form();
  EXPECT_EQ(form.at("client_assertion_type"), kJwtBearerAssertionType);
  json::object claims = verify_es256(form.at("client_assertion"), options.private_key_pem);
  EXPECT_EQ(claims.at("iss").as_string(), "machine");
  EXPECT_EQ(claims.at("sub").as_string(), "machine");
  EXPECT_EQ(claims.at("aud").as_string(), world.as.url());
  EXPECT_GT(claims.at("exp").as_int64(), claims.at("iat").as_int64());
  EXPECT_THROW(make_client_assertion({.client_id = "x", .private_key_pem = "junk"}),
               std::invalid_argument);
  EXPECT_THROW(
      make_client_assertion(
          {.client_id = "x", .private_key_pem = options.private_key_pem, .algorithm = "RS256"}),
      std::invalid_argument);  // an EC key cannot make RS256
}

TEST(OAuthClient, RefreshesBeforeExpiryAndOn401) {
  OAuthWorld world;
  world.issue_refresh_token = true;
  world.expires_in = 30;  // inside the 60 s refresh margin
  OAuthClient client(world.options());
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge())).retry);
  EXPECT_EQ(client.token().access_token, "token-1");
  EXPECT_TRUE(client.token().refresh_first);
  client.refresh();
  auto refresh = world.token_requests().back().form();
  EXPECT_EQ(refresh.at("grant_type"), "refresh_token");
  EXPECT_EQ(refresh.at("refresh_token"), "refresh-1");
  EXPECT_EQ(refresh.at("resource"), world.server_url());
  EXPECT_EQ(client.token().access_token, "token-2");
  EXPECT_EQ(world.authorizations().size(), 1u);
  // A 401 for a token issued in this run: the server will not take it; no new login.
  auto answer = client.on_challenge(challenge_of(401, world.challenge(), "token-2"));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason,
              HasSubstr("refused the token just issued for it (HTTP 401, invalid_token)"));
  EXPECT_EQ(world.authorizations().size(), 1u);
}

TEST(OAuthClient, AStoredTokenRefusedIsRefreshedFirst) {
  std::string path = "/tmp/glassbox-oauth-refresh-" + std::to_string(::getpid()) + ".json";
  std::filesystem::remove(path);
  OAuthWorld world;
  world.issue_refresh_token = true;
  OAuthClientOptions options = world.options();
  options.token_store_path = path;
  {
    OAuthClient first(options);
    ASSERT_TRUE(first.on_challenge(challenge_of(401, world.challenge())).retry);
  }
  OAuthClient second(options);  // the next run: its token was revoked meanwhile
  ASSERT_TRUE(second.on_challenge(challenge_of(401, world.challenge(), "token-1")).retry);
  auto last = world.token_requests().back().form();
  EXPECT_EQ(last.at("grant_type"), "refresh_token");
  EXPECT_EQ(last.at("refresh_token"), "refresh-1");
  EXPECT_EQ(second.token().access_token, "token-2");
  EXPECT_EQ(world.authorizations().size(), 1u);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".lock");
}

TEST(OAuthClient, TheStoreCarriesTokensAndRegistrationToTheNextRun) {
  std::string path = "/tmp/glassbox-oauth-store-" + std::to_string(::getpid()) + ".json";
  std::filesystem::remove(path);
  OAuthWorld world;
  OAuthClientOptions options = world.options();
  options.token_store_path = path;
  {
    OAuthClient first(options);
    ASSERT_TRUE(first.on_challenge(challenge_of(401, world.challenge())).retry);
  }
  OAuthClient second(options);
  EXPECT_EQ(second.token().access_token, "token-1");  // no 401 needed
  // Expired there: the next flow reuses the registration (same issuer, same redirect port).
  ASSERT_TRUE(second.on_challenge(challenge_of(401, world.challenge(), "token-1", 1)).retry);
  EXPECT_EQ(world.as.requests_to("/register").size(), 1u);
  EXPECT_EQ(second.token().access_token, "token-2");
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".lock");
}

TEST(OAuthClient, CancelEndsAWaitingFlow) {
  OAuthWorld world;
  OAuthClientOptions options = world.options();
  std::promise<void> shown;
  // A person who never comes back; the flow now waits for the redirect.
  options.open_url = [&](const std::string&) { shown.set_value(); };
  options.authorization_timeout = std::chrono::seconds(30);
  OAuthClient client(options);
  std::thread canceller([&] {
    shown.get_future().wait();
    client.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto answer = client.on_challenge(challenge_of(401, world.challenge()));
  canceller.join();
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("cancelled"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_FALSE(client.on_challenge(challenge_of(401, world.challenge())).retry);  // for good
}

TEST(OAuthClient, TokenEndpointErrorsAreReported) {
  OAuthWorld world;
  world.as.handle([&](const FakeRequest& r) {
    if (r.path == "/token")
      return FakeResponse::json(R"({"error":"invalid_grant","error_description":"code used"})",
                                400);
    return world.authorization_server(r);
  });
  OAuthClient client(world.options());
  auto answer = client.on_challenge(challenge_of(401, world.challenge()));
  EXPECT_FALSE(answer.retry);
  EXPECT_THAT(answer.reason, HasSubstr("refused: HTTP 400, invalid_grant: code used"));
}

TEST(OAuthClient, TokenResponsesThatCannotBeUsedAreRefused) {
  struct Row {
    std::string body;
    std::string reason;
  };
  for (const Row& row : {
           Row{R"({"token_type":"Bearer"})", "answered without an access_token"},
           Row{R"({"access_token":"a\r\nX-Evil: 1","token_type":"Bearer"})",
               "cannot be sent in an HTTP header"},
           Row{R"({"access_token":"a b","token_type":"Bearer"})",
               "cannot be sent in an HTTP header"},
           Row{R"({"access_token":"t","token_type":"DPoP"})", "only Bearer tokens are supported"},
           Row{R"([1])", "answered something that is not a JSON object"},
           Row{"<html>", "answered something that is not a JSON object"},
       }) {
    OAuthWorld world;
    world.as.handle([&](const FakeRequest& r) {
      if (r.path == "/token") return FakeResponse::json(row.body);
      return world.authorization_server(r);
    });
    OAuthClient client(world.options());
    auto answer = client.on_challenge(challenge_of(401, world.challenge()));
    EXPECT_FALSE(answer.retry) << row.body;
    EXPECT_THAT(answer.reason, HasSubstr(row.reason)) << row.body;
    EXPECT_EQ(client.token().access_token, "");
  }
  // A huge lifetime is capped, not overflowed.
  OAuthWorld world;
  world.as.handle([&](const FakeRequest& r) {
    if (r.path == "/token")
      return FakeResponse::json(R"({"access_token":"t","token_type":"bearer","expires_in":1e300})");
    return world.authorization_server(r);
  });
  OAuthClient client(world.options());
  ASSERT_TRUE(client.on_challenge(challenge_of(401, world.challenge())).retry);
  EXPECT_EQ(client.token().access_token, "t");
  EXPECT_FALSE(client.token().refresh_first);
}

}  // namespace
}  // namespace glassbox::auth
