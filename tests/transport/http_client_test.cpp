// The Streamable HTTP client against glassbox's own server with echo sessions.
#include "glassbox/transport/http_client.hpp"

#include "glassbox/transport/http_server.hpp"
#include "support/inbox.hpp"
#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

#include <future>

namespace glassbox::transport {
namespace {

using namespace testing;

using glassbox::testing::Inbox;

jsonrpc::Request initialize_request(std::int64_t id = 1) {
  return {id, "initialize",
          json::object{{"protocolVersion", "2025-06-18"},
                       {"capabilities", json::object{}},
                       {"clientInfo", json::object{{"name", "t"}, {"version", "1"}}}}};
}

// The echo session answers initialize with {"echo":...}; give it a protocolVersion to sniff.
class HttpClientTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(std::move(options), sessions_.handler());
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::shared_ptr<Transport> connect(HttpClientOptions options = {}) {
    if (options.url.empty()) options.url = server_->url();
    auto t = connect_http(options);
    t->start(inbox_.callbacks());
    return t;
  }
  // initialize + initialized, as an MCP client does.
  void handshake(Transport& t) {
    ASSERT_TRUE(t.send(initialize_request()));
    ASSERT_TRUE(inbox_.answer(1));
    ASSERT_TRUE(t.send(jsonrpc::Notification{"notifications/initialized", nullptr}));
  }

  EchoSessions sessions_;
  Inbox inbox_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTest, RequestsGetAnswersAndCarrySessionId) {
  start();
  auto t = connect();
  handshake(*t);
  for (std::int64_t i = 2; i < 12; ++i) {
    ASSERT_TRUE(t->send(jsonrpc::Request{i, "echo", json::object{{"n", i}}}));
  }
  for (std::int64_t i = 2; i < 12; ++i) {
    auto a = inbox_.answer(i);
    ASSERT_TRUE(a) << i;
    auto& r = std::get<jsonrpc::Response>(*a);
    EXPECT_EQ(r.result.at("echo").at("n").as_int64(), i);
  }
  ASSERT_TRUE(sessions_.wait_received(12));
  auto contexts = sessions_.contexts();
  EXPECT_TRUE(contexts.back().session_id);
  EXPECT_EQ(server_->session_count(), 1u);
}

TEST_F(HttpClientTest, RelatedNotificationsArriveBeforeTheAnswer) {
  start();
  auto t = connect();
  handshake(*t);
  t->send(jsonrpc::Request{std::int64_t{5}, "notify_first", json::object{}});
  ASSERT_TRUE(inbox_.answer(5));
  EXPECT_TRUE(inbox_.wait_for([](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/progress";
  }));
}

TEST_F(HttpClientTest, StandaloneStreamDeliversServerMessages) {
  start();
  auto t = connect();
  handshake(*t);
  // Something unrelated to any request goes on the standalone stream, whether the client's GET
  // has attached yet or not: the stream keeps it until then (either order must deliver it).
  ASSERT_TRUE(sessions_.wait_received(1));
  sessions_.transports()[0]->send(
      jsonrpc::Notification{"notifications/tools/list_changed", nullptr});
  EXPECT_TRUE(inbox_.wait_for([](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/tools/list_changed";
  }));
}

TEST_F(HttpClientTest, ServerToClientRequestIsAnsweredByPost) {
  start();
  auto t = connect();
  handshake(*t);
  t->send(jsonrpc::Request{std::int64_t{7}, "ask", json::object{}});
  auto ask = inbox_.wait_for(
      [](const jsonrpc::Message& m) { return std::holds_alternative<jsonrpc::Request>(m); });
  ASSERT_TRUE(ask);
  t->send(jsonrpc::Response{std::get<jsonrpc::Request>(*ask).id, json::object{}});
  auto a = inbox_.answer(7);
  ASSERT_TRUE(a);
  EXPECT_TRUE(std::get<jsonrpc::Response>(*a).result.at("answered").as_bool());
}

TEST_F(HttpClientTest, HttpErrorsBecomeErrorResponses) {
  HttpServerOptions options;
  options.max_body_bytes = 512;
  start(options);
  auto t = connect();
  handshake(*t);
  t->send(jsonrpc::Request{std::int64_t{3}, "echo", json::object{{"big", std::string(2000, 'x')}}});
  auto a = inbox_.answer(3);
  ASSERT_TRUE(a);
  auto& e = std::get<jsonrpc::ErrorResponse>(*a);
  EXPECT_NE(e.error.message.find("HTTP 413"), std::string::npos) << e.error.message;
  EXPECT_EQ(e.error.data.at("httpStatus").as_int64(), 413);
}

TEST_F(HttpClientTest, ConnectionRefusedBecomesErrorResponse) {
  HttpClientOptions options;
  options.url = "http://127.0.0.1:1/mcp";
  options.connect_timeout = std::chrono::milliseconds(500);
  auto t = connect(options);
  t->send(initialize_request(1));
  auto a = inbox_.answer(1);
  ASSERT_TRUE(a);
  EXPECT_TRUE(std::holds_alternative<jsonrpc::ErrorResponse>(*a));
}

TEST_F(HttpClientTest, LostSessionClosesTheTransport) {
  start();
  auto t = connect();
  handshake(*t);
  sessions_.transports()[0]->close();  // the server ends the session
  ASSERT_TRUE(sessions_.wait_closed(1));
  // Whichever request sees the 404 first (the initialized notice may still be in flight),
  // the transport then reports closed; a request answered before that gets an error.
  t->send(jsonrpc::Request{std::int64_t{4}, "echo", json::object{}});
  EXPECT_TRUE(inbox_.wait_closed());
  if (auto a = inbox_.answer(4, std::chrono::milliseconds(10))) {
    EXPECT_TRUE(std::holds_alternative<jsonrpc::ErrorResponse>(*a));
  }
  EXPECT_FALSE(t->send(jsonrpc::Notification{"x", nullptr}));
}

TEST_F(HttpClientTest, CloseDeletesTheSession) {
  start();
  auto t = connect();
  handshake(*t);
  ASSERT_TRUE(eventually([&] { return server_->session_count() == 1; }));
  t->close();
  EXPECT_TRUE(inbox_.wait_closed());
  EXPECT_TRUE(sessions_.wait_closed(1));
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_EQ(inbox_.closed(), 1);
  t->close();
  EXPECT_EQ(inbox_.closed(), 1);
}

TEST_F(HttpClientTest, CustomHeadersAndBearerToken) {
  HttpServerOptions options;
  options.authorizer = [](const AuthorizationRequest& request, AuthorizationDone done) {
    AuthorizationDecision decision;
    if (request.authorization != "Bearer sekrit") {
      decision.status = 401;
      decision.headers = {{"WWW-Authenticate", "Bearer"}};
    }
    done(std::move(decision));
  };
  start(options);
  HttpClientOptions client;
  client.bearer_token = "sekrit";
  client.headers = {{"X-Test", "1"}};
  auto t = connect(client);
  handshake(*t);
  ASSERT_TRUE(sessions_.wait_received(1));
  EXPECT_EQ(sessions_.contexts()[0].bearer_token, "sekrit");

  Inbox other;
  HttpClientOptions bad;
  bad.url = server_->url();
  auto t2 = connect_http(bad);
  t2->start(other.callbacks());
  t2->send(initialize_request(1));
  auto a = other.answer(1);
  ASSERT_TRUE(a);
  EXPECT_NE(std::get<jsonrpc::ErrorResponse>(*a).error.message.find("401"), std::string::npos);
}

TEST_F(HttpClientTest, StatelessServer) {
  HttpServerOptions options;
  options.stateless = true;
  start(options);
  auto t = connect();
  handshake(*t);  // the GET stream gets 405: no stream, no error
  t->send(jsonrpc::Request{std::int64_t{2}, "echo", json::object{}});
  ASSERT_TRUE(inbox_.answer(2));
  t->close();
  EXPECT_TRUE(inbox_.wait_closed());
}

TEST_F(HttpClientTest, RejectsNonHttpUrls) {
  EXPECT_THROW(connect_http({.url = "ftp://x/mcp"}), std::invalid_argument);
  EXPECT_THROW(connect_http({.url = "not a url"}), std::invalid_argument);
}

TEST_F(HttpClientTest, DestroyingWithoutCloseIsClean) {
  start();
  {
    auto t = connect();
    handshake(*t);
  }
  EXPECT_TRUE(sessions_.wait_closed(1));
}

}  // namespace
}  // namespace glassbox::transport
