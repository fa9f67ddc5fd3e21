// The transport's authorization hook (transport/http_authorizer.hpp) with a scripted authorizer
// and a loopback MCP endpoint that wants "Bearer good": the refused message is sent again with
// the new token, the retries are bounded, the authorizer's blocking calls run off the I/O
// thread (another request completes while one is stuck in on_challenge), and its reasons reach
// the caller's error.
#include "glassbox/transport/http_authorizer.hpp"
#include "glassbox/transport/http_client.hpp"

#include "auth/fake_http_server.hpp"
#include "support/inbox.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace glassbox::transport {
namespace {

using glassbox::testing::FakeHttpServer;
using glassbox::testing::FakeRequest;
using glassbox::testing::FakeResponse;
using glassbox::testing::Inbox;
using ::testing::HasSubstr;

// Answers every POST with a result when the token is "good", else 401 with a challenge.
void serve_mcp(FakeHttpServer& server) {
  server.handle([](const FakeRequest& r) {
    if (r.header("authorization") != "Bearer good") {
      FakeResponse refusal = FakeResponse::json(R"({"error":"invalid_token"})", 401);
      refusal.headers.emplace_back("WWW-Authenticate", R"(Bearer error="invalid_token")");
      refusal.headers.emplace_back("WWW-Authenticate", R"(Bearer scope="x")");
      return refusal;
    }
    auto body = json::parse(r.body);
    json::value id = body ? json::as_object_or_empty(*body).at("id") : json::value(nullptr);
    return FakeResponse::json(
        json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", json::object{}}}));
  });
}

class ScriptedAuthorizer : public HttpAuthorizer {
 public:
  std::function<HttpChallengeAnswer(const HttpChallenge&)> script;

  HttpToken token() noexcept override {
    std::lock_guard lock(mutex_);
    token_thread_ = std::this_thread::get_id();
    return {.access_token = token_};
  }
  void refresh() override {}
  HttpChallengeAnswer on_challenge(const HttpChallenge& c) override {
    {
      std::lock_guard lock(mutex_);
      challenges_.push_back(c);
      challenge_thread_ = std::this_thread::get_id();
    }
    changed_.notify_all();
    return script(c);
  }
  void cancel() noexcept override {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
  }

  void set_token(std::string t) {
    std::lock_guard lock(mutex_);
    token_ = std::move(t);
  }
  std::vector<HttpChallenge> challenges() {
    std::lock_guard lock(mutex_);
    return challenges_;
  }
  // Waits until the transport has asked on_challenge at least once.
  bool wait_for_challenge() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return !challenges_.empty(); });
  }
  // Blocks the challenge (as a person logging in would) until the transport cancels it.
  void wait_until_cancelled() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_.load(); });
  }
  bool same_thread() {
    std::lock_guard lock(mutex_);
    return token_thread_ == challenge_thread_;
  }
  std::atomic<bool> cancelled_{false};

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string token_;
  std::vector<HttpChallenge> challenges_;
  std::thread::id token_thread_, challenge_thread_;
};

jsonrpc::Request ping(std::int64_t id) {
  return {id, "ping", json::object{}};
}

TEST(HttpAuthorizer, RetriesWithTheNewTokenOffTheIoThread) {
  FakeHttpServer server;
  serve_mcp(server);
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  authorizer->script = [&](const HttpChallenge&) {
    authorizer->set_token("good");
    return HttpChallengeAnswer{.retry = true};
  };
  Inbox answers;
  auto t = connect_http({.url = server.url("/mcp"), .authorizer = authorizer});
  t->start(answers.callbacks());
  t->send(ping(1));
  auto a = answers.answer(1, std::chrono::seconds(10));
  ASSERT_TRUE(a);
  EXPECT_TRUE(std::holds_alternative<jsonrpc::Response>(*a));
  auto challenges = authorizer->challenges();
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].status, 401);
  EXPECT_EQ(challenges[0].attempt, 0u);
  EXPECT_EQ(challenges[0].sent_token, "");
  EXPECT_EQ(challenges[0].url, server.url("/mcp"));
  // Both WWW-Authenticate fields, joined.
  EXPECT_EQ(challenges[0].www_authenticate, R"(Bearer error="invalid_token", Bearer scope="x")");
  EXPECT_FALSE(authorizer->same_thread());
  auto posts = server.requests_to("/mcp");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].header("authorization"), "");
  EXPECT_EQ(posts[1].header("authorization"), "Bearer good");
  EXPECT_EQ(posts[0].body, posts[1].body);  // the same message, sent again
  t->close();
}

TEST(HttpAuthorizer, RetriesAreBoundedWhateverTheAuthorizerSays) {
  FakeHttpServer server;
  serve_mcp(server);
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  authorizer->script = [](const HttpChallenge&) { return HttpChallengeAnswer{.retry = true}; };
  Inbox answers;
  auto t =
      connect_http({.url = server.url("/mcp"), .authorizer = authorizer, .max_auth_retries = 3});
  t->start(answers.callbacks());
  t->send(ping(1));
  auto a = answers.answer(1, std::chrono::seconds(10));
  ASSERT_TRUE(a);
  auto& e = std::get<jsonrpc::ErrorResponse>(*a);
  EXPECT_THAT(e.error.message, HasSubstr("HTTP 401"));
  EXPECT_THAT(e.error.message, HasSubstr("still refused after 3 authorizations"));
  EXPECT_EQ(authorizer->challenges().size(), 3u);
  EXPECT_EQ(server.requests_to("/mcp").size(), 4u);
  std::vector<std::size_t> attempts;
  for (const auto& c : authorizer->challenges()) attempts.push_back(c.attempt);
  EXPECT_THAT(attempts, ::testing::ElementsAre(0u, 1u, 2u));
  t->close();
}

TEST(HttpAuthorizer, TheAuthorizersReasonReachesTheCaller) {
  FakeHttpServer server;
  serve_mcp(server);
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  authorizer->script = [](const HttpChallenge&) -> HttpChallengeAnswer {
    throw std::runtime_error("issuer mismatch");  // a throwing authorizer is a "no"
  };
  Inbox answers;
  auto t = connect_http({.url = server.url("/mcp"), .authorizer = authorizer});
  t->start(answers.callbacks());
  t->send(ping(5));
  auto a = answers.answer(5, std::chrono::seconds(10));
  ASSERT_TRUE(a);
  auto& e = std::get<jsonrpc::ErrorResponse>(*a);
  EXPECT_EQ(e.error.message, "HTTP 401: authorization failed: issuer mismatch");
  EXPECT_EQ(e.error.data.at("httpStatus").as_int64(), 401);
  EXPECT_THAT(std::string(e.error.data.at("wwwAuthenticate").as_string()),
              HasSubstr("invalid_token"));
  EXPECT_EQ(server.requests_to("/mcp").size(), 1u);
  t->close();
}

TEST(HttpAuthorizer, ABlockedChallengeDoesNotStallOtherRequests) {
  FakeHttpServer server;
  serve_mcp(server);
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  authorizer->script = [&](const HttpChallenge& c) {
    if (c.sent_token.empty()) released.wait();  // the first request: a person logging in
    return HttpChallengeAnswer{.retry = true};
  };
  Inbox answers;
  auto t = connect_http({.url = server.url("/mcp"), .authorizer = authorizer});
  t->start(answers.callbacks());
  t->send(ping(1));  // goes without a token: stuck in on_challenge
  ASSERT_TRUE(authorizer->wait_for_challenge());
  authorizer->set_token("good");
  t->send(ping(2));  // has the token now
  auto second = answers.answer(2, std::chrono::seconds(10));
  ASSERT_TRUE(second);
  EXPECT_TRUE(std::holds_alternative<jsonrpc::Response>(*second));
  EXPECT_FALSE(answers.answer(1, std::chrono::milliseconds(50)));  // still waiting
  release.set_value();
  auto first = answers.answer(1, std::chrono::seconds(10));
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::holds_alternative<jsonrpc::Response>(*first));
  t->close();
}

TEST(HttpAuthorizer, CloseCancelsAFlowInProgress) {
  FakeHttpServer server;
  serve_mcp(server);
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  authorizer->script = [&](const HttpChallenge&) {
    authorizer->wait_until_cancelled();
    return HttpChallengeAnswer{.reason = "cancelled"};
  };
  Inbox answers;
  {
    auto t = connect_http({.url = server.url("/mcp"), .authorizer = authorizer});
    t->start(answers.callbacks());
    t->send(ping(1));
    ASSERT_TRUE(authorizer->wait_for_challenge());
    auto start = std::chrono::steady_clock::now();
    t->close();
    EXPECT_TRUE(authorizer->cancelled_);
    t.reset();  // joins the helper thread, which returns once cancelled
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
}

}  // namespace
}  // namespace glassbox::transport
