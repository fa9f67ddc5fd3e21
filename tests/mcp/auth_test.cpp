// mcp::enable_auth over real HTTP: the PRM document, every refusal with its status,
// WWW-Authenticate and reason, per-tool and per-resource scopes, who the handler sees, session
// binding, and the auth.validate span in passback of refused and accepted calls without any
// token material (S10, S11).
#include "glassbox/mcp/auth.hpp"

#include "glassbox/auth/introspection.hpp"
#include "glassbox/auth/jwt_verifier.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/trace/processor.hpp"

#include "auth/jwt_test_util.hpp"
#include "auth/scopes.hpp"
#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

namespace glassbox::mcp {
namespace {

using auth::testing::TestKey;
using auth::testing::TinyHttpServer;
using transport::testing::Headers;
using transport::testing::RawClient;
using transport::testing::RawResponse;

constexpr std::string_view kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kClientSpan = "b7ad6b7169203331";

class AuthHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::rsa("rsa-1"));
    ec_ = new TestKey(TestKey::ec("ec-1"));
    ed_ = new TestKey(TestKey::ed25519("ed-1"));
  }
  static void TearDownTestSuite() {
    for (TestKey* k : {rsa_, ec_, ed_}) delete k;
  }

  static std::shared_ptr<auth::TokenVerifier> local_verifier() {
    return std::make_shared<auth::JwtVerifier>(auth::JwtVerifierOptions{
        .issuer = auth::testing::kIssuer,
        .jwks = auth::testing::jwks({rsa_->jwk(), ec_->jwk(), ed_->jwk()})});
  }

  void start(std::shared_ptr<auth::TokenVerifier> verifier = local_verifier(),
             AuthOptions extra = {}) {
    exporter_ = std::make_shared<trace::InMemorySpanExporter>();
    trace::TracerProviderOptions po;
    po.resource.set("service.name", "mail-server");
    po.processors.push_back(std::make_shared<trace::SimpleSpanProcessor>(exporter_));
    PassbackOptions passback{.provider = std::make_shared<trace::TracerProvider>(std::move(po)),
                             .max_recorded_spans = max_recorded_spans_};

    server_ = std::make_unique<Server>(ServerOptions{.name = "mail-server"});
    server_->add_tool({.name = "whoami"}, [](const json::object&, RequestContext& ctx) {
      const auth::AuthInfo* who = ctx.auth();
      if (!who) return CallToolResult::error("nobody");
      return CallToolResult::text(who->subject + "|" + who->client_id + "|" +
                                  auth::join_scopes(who->scopes));
    });
    server_->add_tool({.name = "ok"}, [](const json::object&, RequestContext& ctx) {
      trace::Span work = ctx.span("work");
      return CallToolResult::text("done");
    });
    server_->add_tool(
        {.name = "send_mail"},
        [](const json::object&, RequestContext&) { return CallToolResult::text("sent"); },
        AccessPolicy{.required_scopes = {"mail.send"}});
    server_->add_resource(
        {.uri = "mail://inbox", .name = "inbox"},
        [](const std::string& uri, RequestContext&) {
          return std::vector<ResourceContents>{{uri, "text/plain", "empty", {}}};
        },
        AccessPolicy{.required_scopes = {"mail.read"}});
    server_->add_resource_template(
        {.uri_template = "mail://message/{id}", .name = "message"},
        [](const std::string& uri, const std::map<std::string, std::string>&, RequestContext&) {
          return std::vector<ResourceContents>{{uri, "text/plain", "hello", {}}};
        },
        AccessPolicy{.required_scopes = {"mail.read"}});
    enable_passback(*server_, passback);

    transport::HttpServerOptions http;
    extra.verifier = std::move(verifier);
    if (extra.authorization_servers.empty()) extra.authorization_servers = {auth::testing::kIssuer};
    if (extra.required_scopes.empty()) extra.required_scopes = {"mcp"};
    extra.passback = passback;
    enable_auth(*server_, http, std::move(extra));
    http_ = std::make_unique<transport::HttpServer>(
        std::move(http),
        [this](std::shared_ptr<transport::Transport> t) { server_->connect(std::move(t)); });
    http_->start();
    resource_ = http_->url();
  }

  void TearDown() override {
    if (http_) http_->stop();
  }

  std::string token(const TestKey& key, const std::string& scope = "mcp") const {
    return auth::testing::good_token(key, resource_, scope);
  }
  std::string token_with(std::function<void(json::object&, json::object&)> change) const {
    json::object header = auth::testing::header_for(*rsa_);
    json::object claims = auth::testing::good_claims(resource_);
    change(header, claims);
    return auth::testing::sign_jwt(*rsa_, header, claims);
  }

  static Headers headers(const std::string& token, const std::string& session = {}) {
    Headers h = transport::testing::post_headers(session);
    h.emplace_back("MCP-Protocol-Version", "2025-11-25");
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }

  RawResponse post(const std::string& token, const std::string& body,
                   const std::string& session = {}, const std::string& target = "/mcp") {
    RawClient c(http_->port());
    return c.request("POST", target, headers(token, session), body);
  }

  std::string initialize(const std::string& token) {
    RawResponse r = post(token, transport::testing::initialize_body());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.header("mcp-session-id");
  }

  static std::string tool_call(const std::string& name, bool passback = true, int id = 2) {
    json::object params{{"name", name}, {"arguments", json::object{}}};
    if (passback) {
      params["_meta"] = json::object{
          {"traceparent", "00-" + std::string(kTraceId) + "-" + std::string(kClientSpan) + "-01"},
          {"otel", {{"traces", {{"request", true}}}}}};
    }
    return json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", std::move(params)}});
  }
  static std::string read_call(const std::string& uri) {
    return json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", 3}, {"method", "resources/read"}, {"params", {{"uri", uri}}}});
  }

  std::string metadata_url() const {
    return "http://127.0.0.1:" + std::to_string(http_->port()) +
           "/.well-known/oauth-protected-resource/mcp";
  }

  // The JSON-RPC answer of a 200 (its SSE event) or of a refusal (the body).
  static json::object answer(const RawResponse& r) {
    std::string text = r.events.empty() ? r.body : r.events.back().data;
    auto v = json::parse(text);
    return v && v->is_object() ? v->get_object() : json::object{};
  }

  static std::vector<json::object> spans(const json::object& meta) {
    std::vector<json::object> out;
    const auto& traces = meta.at("otel").at("traces").as_object();
    for (const auto& rs : traces.at("resourceSpans").as_array())
      for (const auto& ss : rs.at("scopeSpans").as_array())
        for (const auto& sp : ss.at("spans").as_array()) out.push_back(sp.as_object());
    return out;
  }
  static const json::object* span_named(const std::vector<json::object>& spans,
                                        std::string_view name) {
    for (const auto& s : spans)
      if (s.at("name").as_string() == name) return &s;
    return nullptr;
  }
  static std::string attribute(const json::object& span, std::string_view key) {
    for (const auto& kv : span.at("attributes").as_array()) {
      if (kv.at("key").as_string() == key) {
        const auto& v = kv.at("value").as_object();
        if (auto* s = v.if_contains("stringValue")) return std::string(s->as_string());
        return json::serialize(v);
      }
    }
    return {};
  }

  // No part of the token, and no personal claim, anywhere in `bytes`.
  static void expect_no_token_material(const std::string& bytes, const std::string& token) {
    EXPECT_EQ(bytes.find(token), std::string::npos);
    std::size_t d1 = token.find('.'), d2 = token.rfind('.');
    for (std::string part :
         {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)}) {
      if (part.size() >= 8) {
        EXPECT_EQ(bytes.find(part), std::string::npos) << part;
      }
      // Any 16-character window of a long part, in case something cut it.
      if (part.size() > 32) {
        EXPECT_EQ(bytes.find(part.substr(part.size() / 2, 16)), std::string::npos);
      }
    }
    for (std::string personal : {"alice@example.com", "Alice Liddell", "Bearer "})
      EXPECT_EQ(bytes.find(personal), std::string::npos) << personal;
  }

  static inline TestKey *rsa_, *ec_, *ed_;
  std::size_t max_recorded_spans_ = PassbackOptions{}.max_recorded_spans;
  std::shared_ptr<trace::InMemorySpanExporter> exporter_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<transport::HttpServer> http_;
  std::string resource_;
};

TEST_F(AuthHttpTest, TheProtectedResourceMetadataIsExactAtBothPaths) {
  start();
  const std::string expected =
      R"({"resource":")" + resource_ +
      R"(","authorization_servers":["https://issuer.test"],"scopes_supported":["mcp"],)"
      R"("bearer_methods_supported":["header"]})";
  for (std::string path :
       {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    RawClient c(http_->port());
    RawResponse r = c.request("GET", path, {});  // no token needed
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, expected) << path;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(c.request("POST", path, {}, "{}").status, 405);
  }
}

TEST_F(AuthHttpTest, NoTokenIs401WithTheMetadataUrlAndNoSession) {
  start();
  RawResponse r = post("", transport::testing::initialize_body());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"),
            "Bearer resource_metadata=\"" + metadata_url() + "\", scope=\"mcp\"");
  json::object body = answer(r);
  EXPECT_EQ(body.at("id").as_int64(), 1);
  EXPECT_EQ(body.at("error").at("data").at("reason").as_string(), "missing");
  EXPECT_FALSE(body.at("error").at("data").as_object().contains("error"));
  EXPECT_EQ(http_->session_count(), 0u);
  // Another scheme, or Bearer with nothing after it, is no token either.
  for (std::string value : {"Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer   "}) {
    RawClient c(http_->port());
    Headers h = transport::testing::post_headers();
    h.emplace_back("Authorization", value);
    RawResponse other = c.request("POST", "/mcp", h, transport::testing::initialize_body());
    EXPECT_EQ(other.status, 401) << value;
    EXPECT_EQ(answer(other).at("error").at("data").at("reason").as_string(), "missing") << value;
  }
  // The SSE stream and DELETE need a token too.
  RawClient c(http_->port());
  EXPECT_EQ(c.request("GET", "/mcp", {{"Accept", "text/event-stream"}}).status, 401);
  EXPECT_EQ(c.request("DELETE", "/mcp", {{"Mcp-Session-Id", "x"}}).status, 401);
}

struct Refusal {
  std::string name;
  std::string token;
  std::string reason;
};

TEST_F(AuthHttpTest, EveryBadTokenIs401InvalidTokenWithItsReason) {
  start();
  const std::string good = token(*rsa_);
  const std::string head = good.substr(0, good.find('.'));
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  TestKey stranger = TestKey::rsa("rsa-1");
  std::vector<Refusal> cases = {
      {"garbage", "not-a-jwt", "malformed"},
      {"bad base64url", "a.b.c", "malformed"},
      {"oversized", std::string(9000, 'a'), "oversized"},
      {"expired", token_with([](auto&, auto& c) { c["exp"] = auth::testing::unix_now() - 3600; }),
       "expired"},
      {"not yet valid",
       token_with([](auto&, auto& c) { c["nbf"] = auth::testing::unix_now() + 3600; }),
       "not_yet_valid"},
      {"wrong issuer", token_with([](auto&, auto& c) { c["iss"] = "https://evil.example"; }),
       "wrong_issuer"},
      {"wrong audience (another server)",
       token_with([](auto&, auto& c) { c["aud"] = "http://127.0.0.1:1/mcp"; }), "wrong_audience"},
      {"signed by a stranger", auth::testing::good_token(stranger, resource_), "bad_signature"},
      {"alg none", auth::testing::b64json({{"alg", "none"}}) + "." + payload + ".",
       "alg_not_allowed"},
      {"HS256 with the RSA public key as secret",
       auth::testing::hs256_jwt(rsa_->public_pem(), {{"alg", "HS256"}, {"kid", "rsa-1"}},
                                auth::testing::good_claims(resource_)),
       "alg_not_allowed"},
      {"unknown kid", token_with([](auto& h, auto&) { h["kid"] = "gone"; }), "unknown_key"},
      {"typ not an access token", token_with([](auto& h, auto&) { h["typ"] = "id+jwt"; }),
       "wrong_type"},
  };
  for (const auto& c : cases) {
    RawResponse r = post(c.token, transport::testing::initialize_body());
    EXPECT_EQ(r.status, 401) << c.name;
    std::string challenge = r.header("www-authenticate");
    EXPECT_EQ(challenge.rfind("Bearer resource_metadata=\"" + metadata_url() +
                                  "\", error=\"invalid_token\", error_description=\"",
                              0),
              0u)
        << c.name << ": " << challenge;
    EXPECT_NE(challenge.find(", scope=\"mcp\""), std::string::npos) << c.name;
    json::object data = answer(r).at("error").at("data").as_object();
    EXPECT_EQ(data.at("reason").as_string(), c.reason) << c.name;
    EXPECT_EQ(data.at("error").as_string(), "invalid_token") << c.name;
  }
  EXPECT_EQ(http_->session_count(), 0u);
}

TEST_F(AuthHttpTest, ATokenInTheQueryIsRefused) {
  start();
  std::string good = token(*rsa_);
  RawResponse r = post("", transport::testing::initialize_body(), {}, "/mcp?access_token=" + good);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("www-authenticate"),
            "Bearer resource_metadata=\"" + metadata_url() +
                "\", error=\"invalid_request\", error_description=\"access tokens are accepted "
                "only in the Authorization header\"");
  EXPECT_EQ(answer(r).at("error").at("data").at("reason").as_string(), "token_in_query");
  // Also when the header carries one as well: one method per request (RFC 6750 2).
  EXPECT_EQ(post(good, transport::testing::initialize_body(), {}, "/mcp?access_token=x").status,
            400);
}

TEST_F(AuthHttpTest, AValidTokenCallsTheToolAndTheHandlerSeesWhoCalls) {
  start();
  for (TestKey* key : {rsa_, ec_, ed_}) {
    std::string t = token(*key, "mcp mail.read");
    std::string session = initialize(t);
    RawResponse r = post(t, tool_call("whoami", false), session);
    ASSERT_EQ(r.status, 200) << key->alg();
    json::object result = answer(r).at("result").as_object();
    EXPECT_EQ(result.at("content").at(0).at("text").as_string(),
              "alice@example.com|client-1|mcp mail.read")
        << key->alg();
  }
}

TEST_F(AuthHttpTest, MissingScopesAre403InsufficientScopeNamingTheScopesTheCallNeeds) {
  start();
  std::string plain = token(*rsa_, "mcp");
  std::string session = initialize(plain);
  RawResponse r = post(plain, tool_call("send_mail", false), session);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("www-authenticate"),
            "Bearer resource_metadata=\"" + metadata_url() +
                "\", error=\"insufficient_scope\", error_description=\"this call needs the "
                "scope mail.send\", scope=\"mcp mail.send\"");
  json::object data = answer(r).at("error").at("data").as_object();
  EXPECT_EQ(data.at("reason").as_string(), "insufficient_scope");
  EXPECT_EQ(answer(r).at("id").as_int64(), 2);
  // Resources, exact and templated.
  for (std::string uri : {"mail://inbox", "mail://message/42"}) {
    RawResponse read = post(plain, read_call(uri), session);
    EXPECT_EQ(read.status, 403) << uri;
    EXPECT_NE(read.header("www-authenticate").find("scope=\"mcp mail.read\""), std::string::npos);
  }
  // With the scope, the same calls go through.
  std::string mailer = token(*rsa_, "mcp mail.send mail.read");
  EXPECT_EQ(post(mailer, tool_call("send_mail", false), initialize(mailer)).status, 200);
  EXPECT_EQ(post(mailer, read_call("mail://message/42"), initialize(mailer)).status, 200);
  // The server-wide scope is needed for everything, initialize included.
  RawResponse none = post(token(*rsa_, "mail.read"), transport::testing::initialize_body());
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(none.header("www-authenticate").find("scope=\"mcp\""), std::string::npos);
}

TEST_F(AuthHttpTest, ARefusedCallPassesBackItsServerSpanAndAuthValidate) {
  start();
  std::string expired =
      token_with([](auto&, auto& c) { c["exp"] = auth::testing::unix_now() - 3600; });
  RawResponse r = post(expired, tool_call("ok"));
  ASSERT_EQ(r.status, 401);
  json::object error = answer(r).at("error").as_object();
  std::vector<json::object> got = spans(error.at("data").at("_meta").as_object());
  ASSERT_EQ(got.size(), 2u);
  const json::object* root = span_named(got, "tools/call ok");
  const json::object* check = span_named(got, "auth.validate");
  ASSERT_TRUE(root && check);
  EXPECT_EQ(root->at("kind").as_int64(), 2);
  EXPECT_EQ(root->at("traceId").as_string(), kTraceId);
  EXPECT_EQ(root->at("parentSpanId").as_string(), kClientSpan);
  EXPECT_EQ(root->at("status").at("code").as_int64(), 2);
  EXPECT_EQ(attribute(*root, "error.type"), "expired");
  EXPECT_EQ(check->at("parentSpanId"), root->at("spanId"));
  EXPECT_EQ(attribute(*check, "auth.outcome"), "expired");
  EXPECT_EQ(attribute(*check, "auth.alg"), "RS256");
  EXPECT_EQ(attribute(*check, "auth.issuer"), auth::testing::kIssuer);
  EXPECT_EQ(check->at("status").at("code").as_int64(), 2);
  expect_no_token_material(r.body, expired);
  // The server's own telemetry has them too (S13).
  EXPECT_GE(exporter_->spans().size(), 2u);

  // 403 too, with the scopes that were missing.
  std::string plain = token(*rsa_, "mcp");
  RawResponse denied = post(plain, tool_call("send_mail"), initialize(plain));
  ASSERT_EQ(denied.status, 403);
  got = spans(answer(denied).at("error").at("data").at("_meta").as_object());
  check = span_named(got, "auth.validate");
  ASSERT_TRUE(check);
  EXPECT_EQ(attribute(*check, "auth.outcome"), "insufficient_scope");
  EXPECT_EQ(attribute(*check, "auth.scopes.missing"),
            R"({"arrayValue":{"values":[{"stringValue":"mail.send"}]}})");
  expect_no_token_material(denied.body, plain);

  // Without request: true there is no _meta.otel (S2).
  RawResponse quiet = post(expired, tool_call("ok", false));
  EXPECT_FALSE(answer(quiet).at("error").at("data").as_object().contains("_meta"));
}

// covers S12, S15: a refusal counts the spans its recorder had no room for, as the passback
// middleware does for an answered call (one payload builder for both).
TEST_F(AuthHttpTest, ARefusedCallReportsTheSpansItsRecorderDropped) {
  max_recorded_spans_ = 0;  // room for the SERVER span (a root is always kept) and nothing else
  start();
  std::string expired =
      token_with([](auto&, auto& c) { c["exp"] = auth::testing::unix_now() - 3600; });
  RawResponse r = post(expired, tool_call("ok"));
  ASSERT_EQ(r.status, 401);
  const json::object meta = answer(r).at("error").at("data").at("_meta").as_object();
  std::vector<json::object> got = spans(meta);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(span_named(got, "tools/call ok"));
  const json::object& traces = meta.at("otel").at("traces").as_object();
  EXPECT_EQ(traces.at("truncated"), true);
  EXPECT_EQ(traces.at("droppedSpanCount").to_number<std::int64_t>(), 1);
  EXPECT_EQ(traces.at("policy").at("droppedSpanCount").to_number<std::int64_t>(), 1);
}

TEST_F(AuthHttpTest, AnAcceptedCallPassesBackAuthValidateUnderItsServerSpan) {
  start();
  std::string t = token(*ec_);
  std::string session = initialize(t);
  RawResponse r = post(t, tool_call("ok"), session);
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  json::object result = answer(r).at("result").as_object();
  std::vector<json::object> got = spans(result.at("_meta").as_object());
  const json::object* root = span_named(got, "tools/call ok");
  const json::object* check = span_named(got, "auth.validate");
  ASSERT_TRUE(root && check);
  EXPECT_TRUE(span_named(got, "work"));
  EXPECT_EQ(check->at("parentSpanId"), root->at("spanId"));
  EXPECT_EQ(attribute(*check, "auth.outcome"), "valid");
  EXPECT_EQ(attribute(*check, "auth.alg"), "ES256");
  EXPECT_EQ(attribute(*check, "auth.kid"), "ec-1");
  EXPECT_EQ(attribute(*check, "auth.client_id"), "client-1");
  EXPECT_EQ(check->at("status").at("code").as_int64(), 0);
  std::string all;
  for (const auto& e : r.events) all += e.data;
  expect_no_token_material(all, t);
}

TEST_F(AuthHttpTest, ASessionIsBoundToTheCallerWhoOpenedIt) {
  start();
  std::string alice = token(*rsa_);
  std::string session = initialize(alice);
  std::string bob = token_with([](auto&, auto& c) { c["sub"] = "bob"; });
  EXPECT_EQ(post(bob, tool_call("ok", false), session).status, 404);
  EXPECT_EQ(post(alice, tool_call("ok", false), session).status, 200);
}

TEST_F(AuthHttpTest, KeysFetchedFromAUrlOffTheIoThreadAnd503WhenTheyCannotBe) {
  TinyHttpServer issuer([](const TinyHttpServer::Request&) {
    return TinyHttpServer::Response{200, auth::testing::jwks({rsa_->jwk()})};
  });
  start(std::make_shared<auth::JwtVerifier>(
      auth::JwtVerifierOptions{.issuer = auth::testing::kIssuer, .jwks_url = issuer.url("/jwks")}));
  std::string t = token(*rsa_);
  EXPECT_EQ(post(t, tool_call("ok", false), initialize(t)).status, 200);
  EXPECT_EQ(issuer.hits(), 1u);
  http_->stop();

  std::uint16_t closed;
  {
    TinyHttpServer gone([](const TinyHttpServer::Request&) { return TinyHttpServer::Response{}; });
    closed = gone.port();
  }
  start(std::make_shared<auth::JwtVerifier>(auth::JwtVerifierOptions{
      .issuer = auth::testing::kIssuer,
      .jwks_url = "http://127.0.0.1:" + std::to_string(closed) + "/jwks"}));
  RawResponse r = post(token(*rsa_), transport::testing::initialize_body());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "5");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer resource_metadata=\"" + metadata_url() + "\"");
  EXPECT_EQ(answer(r).at("error").at("data").at("reason").as_string(), "jwks_unavailable");
}

TEST_F(AuthHttpTest, OpaqueTokensThroughIntrospection) {
  TinyHttpServer endpoint([this](const TinyHttpServer::Request& r) {
    json::object answer{{"active", false}};
    if (r.body.starts_with("token=opaque-good&")) {
      answer = {{"active", true},   {"scope", "mcp"},
                {"sub", "carol"},   {"client_id", "cli-9"},
                {"aud", resource_}, {"exp", auth::testing::unix_now() + 60}};
    }
    return TinyHttpServer::Response{200, json::serialize(answer)};
  });
  start(std::make_shared<auth::IntrospectionVerifier>(
      auth::IntrospectionVerifierOptions{.endpoint = endpoint.url("/introspect")}));
  std::string session = initialize("opaque-good");
  RawResponse r = post("opaque-good", tool_call("whoami", false), session);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(answer(r).at("result").at("content").at(0).at("text").as_string(), "carol|cli-9|mcp");
  EXPECT_EQ(endpoint.hits(), 1u);  // the second request was answered from the cache
  RawResponse revoked = post("opaque-revoked", transport::testing::initialize_body());
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(answer(revoked).at("error").at("data").at("reason").as_string(), "inactive");
}

TEST_F(AuthHttpTest, RequiredScopesComeFromTheRegistry) {
  start();
  EXPECT_EQ(server_->required_scopes("tools/call", {{"name", "send_mail"}}),
            std::vector<std::string>{"mail.send"});
  EXPECT_EQ(server_->required_scopes("resources/read", {{"uri", "mail://message/1"}}),
            std::vector<std::string>{"mail.read"});
  EXPECT_TRUE(server_->required_scopes("tools/call", {{"name", "ok"}}).empty());
  EXPECT_TRUE(server_->required_scopes("prompts/get", {{"name", "x"}}).empty());
}

}  // namespace
}  // namespace glassbox::mcp
