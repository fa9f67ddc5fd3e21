// The HTTP transport's authorization seam: the authorizer hook (sync and async answers, the
// principal handed on, session binding, the wait bound) and public documents.
#include "glassbox/transport/http_server.hpp"

#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace glassbox::transport {
namespace {

using namespace testing;

class HttpAuthorizerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), sessions_.handler());
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::uint16_t port() const { return server_->port(); }

  static Headers with_auth(const std::string& who, const std::string& session = {}) {
    Headers h = post_headers(session);
    h.emplace_back("Authorization", "Bearer " + who);
    return h;
  }
  static std::string call(int id, const std::string& method) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
           R"(","params":{}})";
  }

  EchoSessions sessions_;
  std::unique_ptr<HttpServer> server_;
};

// Accepts "Bearer alice"/"Bearer bob" (owner = the name, principal = "user:<name>"), refuses
// the rest with a challenge; "forbidden" is refused whatever the token.
Authorizer name_authorizer(std::vector<std::string>* seen = nullptr,
                           std::mutex* seen_mutex = nullptr) {
  return [seen, seen_mutex](const AuthorizationRequest& r, AuthorizationDone done) {
    if (seen) {
      std::lock_guard lock(*seen_mutex);
      std::string method = "-";
      if (r.message) {
        if (auto* req = std::get_if<jsonrpc::Request>(r.message)) method = req->method;
      }
      seen->push_back(std::string(r.http_method) + " " + method + " " + std::string(r.server_url));
    }
    std::string who(r.authorization.substr(r.authorization.find(' ') + 1));
    auto* req = r.message ? std::get_if<jsonrpc::Request>(r.message) : nullptr;
    if (req && req->method == "forbidden") {
      AuthorizationDecision d{.status = 403, .body = R"({"no":"way"})"};
      d.headers.emplace_back("WWW-Authenticate", R"(Bearer error="insufficient_scope")");
      done(std::move(d));
      return;
    }
    if (who != "alice" && who != "bob") {
      AuthorizationDecision d{.status = 401, .body = R"({"who":"?"})"};
      d.headers.emplace_back("WWW-Authenticate", R"(Bearer resource_metadata="x")");
      done(std::move(d));
      return;
    }
    done(AuthorizationDecision{.principal = std::string("user:" + who), .session_owner = who});
  };
}

TEST_F(HttpAuthorizerTest, ARefusalIsAnsweredAsDecidedAndLeavesNoSession) {
  std::vector<std::string> seen;
  std::mutex seen_mutex;
  start({.authorizer = name_authorizer(&seen, &seen_mutex)});
  RawClient c(port());
  auto r = c.request("POST", "/mcp", with_auth("mallory"), initialize_body());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), R"(Bearer resource_metadata="x")");
  EXPECT_EQ(r.body, R"({"who":"?"})");
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_TRUE(sessions_.transports().empty());
  std::lock_guard lock(seen_mutex);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "POST initialize " + server_->url());
}

TEST_F(HttpAuthorizerTest, TheAcceptedPrincipalReachesTheSessionAndDecisionsSeeTheMethod) {
  start({.authorizer = name_authorizer()});
  RawClient c(port());
  auto r = c.request("POST", "/mcp", with_auth("alice"), initialize_body());
  ASSERT_EQ(r.status, 200);
  std::string id = r.header("mcp-session-id");
  ASSERT_TRUE(sessions_.wait_received(1));
  auto contexts = sessions_.contexts();
  auto* principal = std::any_cast<std::string>(&contexts[0].principal);
  ASSERT_TRUE(principal);
  EXPECT_EQ(*principal, "user:alice");
  auto refused = c.request("POST", "/mcp", with_auth("alice", id), call(2, "forbidden"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.header("www-authenticate"), R"(Bearer error="insufficient_scope")");
  EXPECT_EQ(c.request("POST", "/mcp", with_auth("alice", id), call(3, "ping")).status, 200);
}

TEST_F(HttpAuthorizerTest, ASessionAnswersOnlyTheCallerWhoOpenedIt) {
  start({.authorizer = name_authorizer()});
  RawClient c(port());
  std::string id =
      c.request("POST", "/mcp", with_auth("alice"), initialize_body()).header("mcp-session-id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.request("POST", "/mcp", with_auth("bob", id), call(2, "ping")).status, 404);
  Headers get = {
      {"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}, {"Authorization", "Bearer bob"}};
  EXPECT_EQ(c.request("GET", "/mcp", get).status, 404);
  Headers del = {{"Mcp-Session-Id", id}, {"Authorization", "Bearer bob"}};
  EXPECT_EQ(c.request("DELETE", "/mcp", del).status, 404);
  Headers anonymous = {{"Mcp-Session-Id", id}};
  EXPECT_EQ(c.request("DELETE", "/mcp", anonymous).status, 401);
  EXPECT_EQ(c.request("POST", "/mcp", with_auth("alice", id), call(3, "ping")).status, 200);
  del.back().second = "Bearer alice";
  EXPECT_EQ(c.request("DELETE", "/mcp", del).status, 200);
}

TEST_F(HttpAuthorizerTest, AnAnswerFromAnotherThreadLater) {
  // Every decision is held until all eight connections wait at once on the one I/O thread, then
  // given from another thread: if one waiting connection blocked the others, the eighth request
  // would never reach the authorizer and the test would time out.
  constexpr int kConnections = 8;
  std::mutex mutex;
  std::condition_variable all_waiting;
  std::vector<std::pair<AuthorizationDone, bool>> pending;
  start({.authorizer = [&](const AuthorizationRequest& r, AuthorizationDone done) {
    std::lock_guard lock(mutex);
    pending.emplace_back(std::move(done), r.authorization == "Bearer ok");
    all_waiting.notify_all();
  }});
  std::vector<std::future<int>> answers;
  for (int i = 0; i < kConnections; ++i) {
    answers.push_back(std::async(std::launch::async, [&, i] {
      RawClient c(port());
      Headers h = post_headers();
      h.emplace_back("Authorization", i % 2 ? "Bearer ok" : "Bearer no");
      return c.request("POST", "/mcp", h, initialize_body()).status;
    }));
  }
  std::thread answerer([&] {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_waiting.wait_for(lock, std::chrono::seconds(20),
                                     [&] { return pending.size() == kConnections; }));
    for (auto& [done, good] : pending)
      done(good ? AuthorizationDecision{} : AuthorizationDecision{.status = 401});
  });
  for (int i = 0; i < kConnections; ++i) EXPECT_EQ(answers[i].get(), i % 2 ? 200 : 401);
  answerer.join();
}

TEST_F(HttpAuthorizerTest, AnAuthorizerThatNeverAnswersTimesOutAndLateAnswersAreHarmless) {
  std::mutex mutex;
  std::vector<AuthorizationDone> pending;
  start({.authorizer =
             [&](const AuthorizationRequest&, AuthorizationDone done) {
               std::lock_guard lock(mutex);
               pending.push_back(std::move(done));
             },
         .authorizer_timeout = std::chrono::milliseconds(200)});
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(), initialize_body());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
  std::lock_guard lock(mutex);
  ASSERT_EQ(pending.size(), 1u);
  pending[0](AuthorizationDecision{});  // after the timeout: ignored
  server_->stop();
  pending[0](AuthorizationDecision{});  // after the server stopped: ignored
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(HttpAuthorizerTest, GetAndDeleteAreAuthorizedWithoutAMessage) {
  std::vector<std::string> seen;
  std::mutex seen_mutex;
  start({.authorizer = name_authorizer(&seen, &seen_mutex)});
  RawClient c(port());
  EXPECT_EQ(c.request("GET", "/mcp", {{"Accept", "text/event-stream"}}).status, 401);
  EXPECT_EQ(c.request("DELETE", "/mcp", {}).status, 401);
  std::lock_guard lock(seen_mutex);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].substr(0, 6), "GET - ");
  EXPECT_EQ(seen[1].substr(0, 9), "DELETE - ");
}

TEST_F(HttpAuthorizerTest, PublicDocumentsAreServedToAnyoneWithCors) {
  start({.authorizer = name_authorizer(),
         .public_document = [](std::string_view path,
                               std::string_view url) -> std::optional<std::string> {
           if (path != "/.well-known/doc") return std::nullopt;
           return R"({"url":")" + std::string(url) + R"("})";
         }});
  RawClient c(port());
  auto r = c.request("GET", "/.well-known/doc", {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"url":")" + server_->url() + R"("})");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  // A browser on another origin may read it (no Origin check), and a HEAD has no body.
  r = c.request("GET", "/.well-known/doc", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.status, 200);
  {
    // A HEAD answer says the length and sends no body.
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port()});
    http::request<http::empty_body> req{http::verb::head, "/.well-known/doc", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    http::response_parser<http::empty_body> head;
    head.skip(true);
    beast::flat_buffer buffer;
    http::read(socket, buffer, head);
    EXPECT_EQ(head.get().result_int(), 200);
    EXPECT_EQ(head.get()[http::field::content_length],
              std::to_string(std::string(R"({"url":")" + server_->url() + R"("})").size()));
  }
  r = c.request("OPTIONS", "/.well-known/doc",
                {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("access-control-allow-methods"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_EQ(c.request("POST", "/.well-known/doc", {}, "{}").status, 405);
  EXPECT_EQ(c.request("GET", "/.well-known/other", {}).status, 404);
}

}  // namespace
}  // namespace glassbox::transport
