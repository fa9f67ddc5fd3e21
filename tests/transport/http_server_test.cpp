// The Streamable HTTP server at the transport level: raw HTTP in, echo sessions behind it.
#include "glassbox/transport/http_server.hpp"

#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace glassbox::transport {
namespace {

using namespace testing;

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(std::move(options), sessions_.handler());
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::uint16_t port() const { return server_->port(); }

  // Initializes a session; returns its id.
  std::string initialize() {
    RawClient c(port());
    auto r = c.request("POST", "/mcp", post_headers(), initialize_body());
    EXPECT_EQ(r.status, 200);
    return r.header("mcp-session-id");
  }

  static std::string call(int id, const std::string& method, const std::string& params = "{}") {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
           R"(","params":)" + params + "}";
  }

  static json::value data_of(const sse::Event& e) { return *json::parse(e.data); }

  void start_stateless() {
    HttpServerOptions options;
    options.stateless = true;
    start(options);
  }
  // Sends request `id` of method "hold" on `c` (the response's head read) and returns the
  // transport of the session that received it, the first one.
  std::shared_ptr<Transport> hold(RawClient& c, int id) {
    c.send("POST", "/mcp", post_headers(), call(id, "hold"));
    EXPECT_EQ(c.read(0).status, 200);
    EXPECT_TRUE(sessions_.wait_received(1));
    return sessions_.transports().at(0);
  }

  EchoSessions sessions_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, InitializeOpensSessionOnSseStreamWithPrimingEvent) {
  start();
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(), initialize_body(7));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  std::string id = r.header("mcp-session-id");
  ASSERT_GE(id.size(), 32u);
  for (char ch : id) EXPECT_TRUE(ch >= 0x21 && ch <= 0x7e);
  EXPECT_TRUE(r.ended);
  ASSERT_EQ(r.events.size(), 1u);  // the response (the empty priming event is skipped)
  ASSERT_TRUE(r.retry);
  EXPECT_EQ(r.retry->count(), 1000);
  auto v = data_of(r.events[0]);
  EXPECT_EQ(v.at("id").as_int64(), 7);
  EXPECT_EQ(v.at("result").at("method").as_string(), "initialize");
  EXPECT_FALSE(r.events[0].id.empty());
  EXPECT_EQ(sessions_.transports().size(), 1u);
  auto contexts = sessions_.contexts();
  ASSERT_EQ(contexts.size(), 1u);
  EXPECT_EQ(contexts[0].session_id, id);
  EXPECT_FALSE(contexts[0].protocol_version);  // initialize carries its version in params
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  std::string id = initialize();
  RawClient c(port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("POST", "/mcp", post_headers(id), call(10 + i, "echo"));
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(data_of(r.events[0]).at("id").as_int64(), 10 + i);
  }
}

TEST_F(HttpServerTest, RelatedNotificationPrecedesResponseOnSameStream) {
  start();
  std::string id = initialize();
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(id), call(2, "notify_first"));
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(data_of(r.events[0]).at("method").as_string(), "notifications/progress");
  EXPECT_EQ(data_of(r.events[1]).at("id").as_int64(), 2);
  EXPECT_NE(r.events[0].id, r.events[1].id);
}

TEST_F(HttpServerTest, ProtocolVersionAndBearerTokenReachTheSession) {
  start();
  std::string id = initialize();
  RawClient c(port());
  auto h = post_headers(id);
  h.emplace_back("MCP-Protocol-Version", "2025-06-18");
  h.emplace_back("Authorization", "Bearer tok123");
  c.request("POST", "/mcp", h, call(2, "echo"));
  c.request("POST", "/mcp", post_headers(id), call(3, "echo"));
  auto contexts = sessions_.contexts();
  ASSERT_EQ(contexts.size(), 3u);
  EXPECT_EQ(contexts[1].protocol_version, "2025-06-18");
  EXPECT_EQ(contexts[1].bearer_token, "tok123");
  EXPECT_EQ(contexts[2].protocol_version, "2025-03-26");  // missing: the spec's fallback
  EXPECT_FALSE(contexts[2].bearer_token);
}

TEST_F(HttpServerTest, TheMcpHeadersAreReadInAnyCaseAndNotFromLookalikes) {
  // The names Beast does not know are compared a word at a time (post_lines): in any case, of
  // the exact length; a name that only looks alike does not count.
  start();
  std::string id = initialize();
  RawClient c(port());
  Headers h = {{"content-type", "application/json"},
               {"ACCEPT", "application/json, text/event-stream"},
               {"mCP-sESSION-iD", id},
               {"MCP-Protocol-Versio", "2025-03-26"},
               {"MCP-Protocol-Version2", "2025-03-26"},
               {"MCP_Protocol_Version", "2025-03-26"},
               {"mcp-protocol-version", "2025-06-18"}};
  auto r = c.request("POST", "/mcp", h, call(2, "echo"));
  EXPECT_EQ(r.status, 200);
  auto contexts = sessions_.contexts();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[1].protocol_version, "2025-06-18");
}

TEST_F(HttpServerTest, NotificationsAndResponsesAreAcceptedWith202) {
  start();
  std::string id = initialize();
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(id),
                     R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.empty());
  r = c.request("POST", "/mcp", post_headers(id), R"({"jsonrpc":"2.0","id":5,"result":{}})");
  EXPECT_EQ(r.status, 202);
  ASSERT_TRUE(sessions_.wait_received(3));
  EXPECT_TRUE(std::holds_alternative<jsonrpc::Response>(sessions_.received()[2]));
}

TEST_F(HttpServerTest, ServerToClientRequestRoundTrip) {
  start();
  std::string id = initialize();
  RawClient c(port());
  c.send("POST", "/mcp", post_headers(id), call(2, "ask"));
  auto first = c.read(1);  // the sampling request arrives on the request's stream
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.events.size(), 1u);
  auto ask = data_of(first.events[0]);
  EXPECT_EQ(ask.at("method").as_string(), "sampling/createMessage");
  RawClient answer(port());
  auto r = answer.request(
      "POST", "/mcp", post_headers(id),
      R"({"jsonrpc":"2.0","id":)" + std::to_string(ask.at("id").as_int64()) + R"(,"result":{}})");
  EXPECT_EQ(r.status, 202);
  auto rest = c.more();  // the answer follows on the same stream, which then ends
  ASSERT_EQ(rest.events.size(), 1u);
  EXPECT_EQ(data_of(rest.events[0]).at("result").at("answered").as_bool(), true);
  EXPECT_TRUE(rest.ended);
}

TEST_F(HttpServerTest, StandaloneGetStreamCarriesUnrelatedMessagesAndIsExclusive) {
  start();
  std::string id = initialize();
  RawClient get(port());
  Headers h = {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}};
  get.send("GET", "/mcp", h);
  RawClient second(port());
  // Wait until the first GET is attached, then a second one conflicts.
  ASSERT_TRUE(eventually([&] {
    RawClient probe(port());
    auto r = probe.request("GET", "/mcp", h);
    return r.status == 409;
  }));
  RawClient post(port());
  auto r = post.request("POST", "/mcp", post_headers(id), call(3, "broadcast"));
  ASSERT_EQ(r.events.size(), 1u);  // only the response on the POST stream
  auto g = get.read(1);
  ASSERT_EQ(g.status, 200);
  ASSERT_EQ(g.events.size(), 1u);
  EXPECT_EQ(data_of(g.events[0]).at("method").as_string(), "notifications/message");
  EXPECT_EQ(g.events[0].id.substr(0, 2), "0_");
}

TEST_F(HttpServerTest, LastEventIdReplaysTheRestOfThatStream) {
  start();
  std::string id = initialize();
  Headers h = {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}};
  std::string first_id;
  {
    RawClient get(port());
    get.send("GET", "/mcp", h);
    ASSERT_TRUE(eventually([&] {
      RawClient probe(port());
      return probe.request("GET", "/mcp", h).status == 409;
    }));
    RawClient post(port());
    post.request("POST", "/mcp", post_headers(id), call(3, "broadcast"));
    auto g = get.read(1);
    ASSERT_EQ(g.events.size(), 1u);
    first_id = g.events[0].id;
    get.close();
  }
  // While disconnected, two more unrelated messages; then resume after the first.
  ASSERT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
  RawClient post(port());
  post.request("POST", "/mcp", post_headers(id), call(4, "broadcast"));
  post.request("POST", "/mcp", post_headers(id), call(5, "broadcast"));
  Headers resume = h;
  resume.emplace_back("Last-Event-ID", first_id);
  RawClient get(port());
  get.send("GET", "/mcp", resume);
  auto g = get.read(2);
  ASSERT_EQ(g.status, 200);
  ASSERT_EQ(g.events.size(), 2u);
  EXPECT_NE(g.events[0].id, first_id);
  EXPECT_EQ(data_of(g.events[0]).at("method").as_string(), "notifications/message");
}

TEST_F(HttpServerTest, ResumesARequestStreamWhoseConnectionDropped) {
  start();
  std::string id = initialize();
  std::string priming;
  {
    RawClient c(port());
    c.send("POST", "/mcp", post_headers(id), call(9, "hold"));
    auto r = c.read(0);  // headers and the priming event
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(eventually([&] { return sessions_.received().size() >= 2; }));
    priming = r.last_event_id;
    c.close();
  }
  ASSERT_FALSE(priming.empty());
  sessions_.release();  // the response goes into the stream's buffer
  RawClient get(port());
  get.send("GET", "/mcp",
           {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}, {"Last-Event-ID", priming}});
  auto g = get.read();
  ASSERT_EQ(g.status, 200);
  ASSERT_EQ(g.events.size(), 1u);
  EXPECT_EQ(data_of(g.events[0]).at("id").as_int64(), 9);
  EXPECT_TRUE(g.ended);  // the stream ends after its response
}

TEST_F(HttpServerTest, CloseSseStreamEndsTheResponseAndTheClientResumes) {
  start();
  std::string id = initialize();
  RawClient c(port());
  c.send("POST", "/mcp", post_headers(id), call(9, "hold"));
  auto head = c.read(0);
  ASSERT_EQ(head.status, 200);
  std::string priming = head.last_event_id;
  ASSERT_FALSE(priming.empty());
  ASSERT_TRUE(sessions_.wait_received(2));
  auto t = sessions_.transports()[0];
  EXPECT_FALSE(close_sse_stream(*t, jsonrpc::Id{std::int64_t{8}}));  // no such request
  ASSERT_TRUE(close_sse_stream(*t, jsonrpc::Id{std::int64_t{9}}));
  auto rest = c.more();
  EXPECT_TRUE(rest.ended);  // a graceful end of the response, not a broken connection
  EXPECT_TRUE(rest.events.empty());
  ASSERT_TRUE(rest.retry);
  sessions_.release();
  // The same connection is still good for the resuming GET (keep-alive).
  c.send("GET", "/mcp",
         {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}, {"Last-Event-ID", priming}});
  auto g = c.read();
  ASSERT_EQ(g.status, 200);
  ASSERT_EQ(g.events.size(), 1u);
  EXPECT_EQ(data_of(g.events[0]).at("id").as_int64(), 9);
  EXPECT_TRUE(g.ended);
}

TEST_F(HttpServerTest, BadLastEventIdIsRejected) {
  start();
  std::string id = initialize();
  for (std::string bad : {"garbage", "99_0", "1_999", "_", "1_"}) {
    RawClient c(port());
    auto r = c.request(
        "GET", "/mcp",
        {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}, {"Last-Event-ID", bad}});
    EXPECT_EQ(r.status, 400) << bad;
  }
}

struct BadCase {
  const char* name;
  std::string method;
  Headers headers;
  std::string body;
  int status;
  std::optional<int> rpc_code;
};

TEST_F(HttpServerTest, BadInputTable) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  std::string id = initialize();
  auto with = [&](Headers h, std::pair<std::string, std::string> extra) {
    h.push_back(std::move(extra));
    return h;
  };
  std::vector<BadCase> cases = {
      {"wrong content type",
       "POST",
       {{"Content-Type", "text/plain"},
        {"Accept", "application/json, text/event-stream"},
        {"Mcp-Session-Id", id}},
       call(2, "echo"),
       415,
       {}},
      {"accept without sse",
       "POST",
       {{"Content-Type", "application/json"},
        {"Accept", "application/json"},
        {"Mcp-Session-Id", id}},
       call(2, "echo"),
       406,
       {}},
      {"bad json", "POST", post_headers(id), "{nope", 400, -32700},
      {"batch", "POST", post_headers(id), "[" + call(2, "echo") + "]", 400, -32600},
      {"not a message", "POST", post_headers(id), R"({"jsonrpc":"2.0"})", 400, -32600},
      {"missing session", "POST", post_headers(), call(2, "echo"), 400, {}},
      {"unknown session", "POST", post_headers("nosuchsession"), call(2, "echo"), 404, {}},
      {"unknown protocol version",
       "POST",
       with(post_headers(id), {"MCP-Protocol-Version", "1999-01-01"}),
       call(2, "echo"),
       400,
       {}},
      {"body over limit", "POST", post_headers(id), std::string(2000, ' '), 413, {}},
      {"get without accept", "GET", {{"Mcp-Session-Id", id}}, "", 406, {}},
      {"get without session", "GET", {{"Accept", "text/event-stream"}}, "", 400, {}},
      {"delete unknown", "DELETE", {{"Mcp-Session-Id", "nosuch"}}, "", 404, {}},
      {"put", "PUT", post_headers(id), "", 405, {}},
      {"evil origin",
       "POST",
       with(post_headers(id), {"Origin", "http://evil.example.com"}),
       call(2, "echo"),
       403,
       {}},
      {"null origin", "POST", with(post_headers(id), {"Origin", "null"}), call(2, "echo"), 403, {}},
  };
  for (const auto& c : cases) {
    RawClient client(port());
    auto r = client.request(c.method, "/mcp", c.headers, c.body);
    EXPECT_EQ(r.status, c.status) << c.name;
    if (c.rpc_code) {
      auto v = json::parse(r.body);
      ASSERT_TRUE(v) << c.name << ": " << r.body;
      EXPECT_EQ(v->at("error").at("code").as_int64(), *c.rpc_code) << c.name;
    }
  }
  RawClient other(port());
  EXPECT_EQ(other.request("POST", "/other", post_headers(id), call(2, "echo")).status, 404);
  // A good origin and the localhost names are fine.
  RawClient good(port());
  EXPECT_EQ(
      good.request("POST", "/mcp", with(post_headers(id), {"Origin", "http://localhost:1234"}),
                   call(3, "echo"))
          .status,
      200);
}

TEST_F(HttpServerTest, EvilHostIsRejected) {
  start();
  RawClient c(port());
  c.send("POST", "/mcp", post_headers(), initialize_body(), "evil.example.com");
  EXPECT_EQ(c.read().status, 403);
  RawClient ok(port());
  ok.send("POST", "/mcp", post_headers(), initialize_body(), "localhost:" + std::to_string(port()));
  EXPECT_EQ(ok.read().status, 200);
}

TEST_F(HttpServerTest, MalformedHttpAndOversizedHeaders) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  {
    RawClient c(port());
    c.write_raw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(c.read().status, 400);
  }
  {
    RawClient c(port());
    c.send("POST", "/mcp", {{"X-Big", std::string(4000, 'a')}}, "{}");
    EXPECT_EQ(c.read().status, 431);
  }
}

TEST_F(HttpServerTest, DeleteEndsTheSession) {
  start();
  std::string id = initialize();
  RawClient c(port());
  EXPECT_EQ(c.request("DELETE", "/mcp", {{"Mcp-Session-Id", id}}).status, 200);
  EXPECT_TRUE(sessions_.wait_closed(1));
  EXPECT_EQ(c.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 404);
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(HttpServerTest, SessionTransportCloseEndsTheSession) {
  start();
  std::string id = initialize();
  sessions_.transports()[0]->close();
  EXPECT_TRUE(sessions_.wait_closed(1));
  RawClient c(port());
  EXPECT_EQ(c.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 404);
  EXPECT_FALSE(sessions_.transports()[0]->send(jsonrpc::Notification{"x", nullptr}));
}

TEST_F(HttpServerTest, IdleSessionsExpire) {
  HttpServerOptions options;
  options.session_idle_timeout = std::chrono::seconds(1);
  start(options);
  std::string id = initialize();
  EXPECT_TRUE(sessions_.wait_closed(1, std::chrono::seconds(5)));
  RawClient c(port());
  EXPECT_EQ(c.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 404);
}

TEST_F(HttpServerTest, MaxSessions) {
  HttpServerOptions options;
  options.max_sessions = 2;
  start(options);
  // Used sessions (a request past initialize) are not evicted: the table is full.
  for (int i = 0; i < 2; ++i) {
    std::string id = initialize();
    RawClient c(port());
    EXPECT_EQ(c.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 200);
  }
  RawClient c(port());
  RawResponse r = c.request("POST", "/mcp", post_headers(), initialize_body());
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_EQ(server_->session_count(), 2u);
}

TEST_F(HttpServerTest, MaxSessionsEvictsTheOldestUnusedSession) {
  HttpServerOptions options;
  options.max_sessions = 2;
  start(options);
  std::string first = initialize();
  std::string second = initialize();
  std::string third = initialize();  // the table is full of unused sessions: `first` goes
  EXPECT_FALSE(third.empty());
  EXPECT_EQ(server_->session_count(), 2u);
  RawClient a(port()), b(port());
  EXPECT_EQ(a.request("POST", "/mcp", post_headers(first), call(2, "echo")).status, 404);
  EXPECT_EQ(b.request("POST", "/mcp", post_headers(second), call(3, "echo")).status, 200);
}

TEST_F(HttpServerTest, MaxStreamsPerSession) {
  HttpServerOptions options;
  options.max_streams_per_session = 2;
  start(options);
  std::string id = initialize();
  RawClient a(port()), b(port()), c(port());
  a.send("POST", "/mcp", post_headers(id), call(2, "hold"));
  EXPECT_EQ(a.read(0).status, 200);
  b.send("POST", "/mcp", post_headers(id), call(3, "hold"));
  EXPECT_EQ(b.read(0).status, 200);
  EXPECT_EQ(c.request("POST", "/mcp", post_headers(id), call(4, "hold")).status, 429);
  sessions_.release();
}

TEST_F(HttpServerTest, DuplicateInFlightRequestIdIsRejected) {
  start();
  std::string id = initialize();
  RawClient a(port()), b(port());
  a.send("POST", "/mcp", post_headers(id), call(2, "hold"));
  EXPECT_EQ(a.read(0).status, 200);
  EXPECT_EQ(b.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 400);
  sessions_.release();
  auto rest = a.more();
  ASSERT_EQ(rest.events.size(), 1u);
  EXPECT_TRUE(rest.ended);
}

TEST_F(HttpServerTest, ClientDisconnectingMidStreamFreesTheConnection) {
  start();
  std::string id = initialize();
  {
    RawClient get(port());
    get.send("GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}});
    get.read(0);
    RawClient post(port());
    post.send("POST", "/mcp", post_headers(id), call(2, "hold"));
    post.read(0);
    EXPECT_GE(server_->connection_count(), 2u);
  }
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
  // The standalone stream is free again.
  RawClient get(port());
  get.send("GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}});
  EXPECT_EQ(get.read(0).status, 200);
}

TEST_F(HttpServerTest, SlowReaderIsDroppedWithoutBlockingOthers) {
  HttpServerOptions options;
  options.max_stream_queue_bytes = 64 * 1024;
  options.replay_buffer_events = 16;
  start(options);
  std::string id = initialize();
  RawClient get(port());
  get.send("GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}});
  ASSERT_EQ(get.read(0).status, 200);
  auto t = sessions_.transports()[0];
  std::string big(16 * 1024, 'x');
  // The client never reads: socket buffers fill, then the queue limit drops the stream.
  for (int i = 0; i < 2000; ++i) {
    t->send(jsonrpc::Notification{"notifications/message", json::object{{"data", big}}});
  }
  EXPECT_TRUE(
      eventually([&] { return server_->connection_count() <= 1; }, std::chrono::seconds(10)));
  RawClient other(port());
  EXPECT_EQ(other.request("POST", "/mcp", post_headers(id), call(2, "echo")).status, 200);
}

TEST_F(HttpServerTest, StatelessModeServesEachPostWithAFreshSession) {
  HttpServerOptions options;
  options.stateless = true;
  start(options);
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(), call(1, "notify_first"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("mcp-session-id"), "");
  ASSERT_EQ(r.events.size(), 2u);
  r = c.request("POST", "/mcp", post_headers(), call(2, "broadcast"));
  ASSERT_EQ(r.events.size(), 2u);  // unrelated messages ride the only stream there is
  EXPECT_EQ(sessions_.transports().size(), 2u);
  EXPECT_TRUE(sessions_.wait_closed(2));
  EXPECT_EQ(c.request("GET", "/mcp", {{"Accept", "text/event-stream"}}).status, 405);
  EXPECT_EQ(c.request("DELETE", "/mcp", {}).status, 405);
}

TEST_F(HttpServerTest, AStatelessRequestsOwnStreamCarriesItsMessagesUntilItsAnswerOnly) {
  // A one-shot session keeps its request's stream outside the session's tables: it must still
  // be found by the request's id (related messages, close_sse_stream), take unrelated messages
  // while the request runs, and be gone once the answer is in it.
  start_stateless();
  RawClient c(port());
  auto t = hold(c, 9);
  jsonrpc::Id nine{std::int64_t{9}};
  ASSERT_TRUE(t->send(jsonrpc::Notification{"notifications/progress", json::object{{"step", 1}}},
                      SendOptions{nine}));
  ASSERT_TRUE(t->send(jsonrpc::Notification{"notifications/message", json::object{{"step", 2}}}));
  EXPECT_FALSE(close_sse_stream(*t, jsonrpc::Id{std::int64_t{8}}));  // no such request
  sessions_.release();
  auto r = c.more();
  EXPECT_TRUE(r.ended);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(data_of(r.events[0]).at("params").at("step").as_int64(), 1);
  EXPECT_EQ(data_of(r.events[1]).at("params").at("step").as_int64(), 2);
  EXPECT_EQ(data_of(r.events[2]).at("id").as_int64(), 9);
  // Answered: the stream is no longer the request's, and nothing more reaches the connection.
  EXPECT_FALSE(close_sse_stream(*t, nine));
  t->send(jsonrpc::Notification{"notifications/progress", json::object{{"step", 3}}},
          SendOptions{nine});
  EXPECT_TRUE(sessions_.wait_closed(1));
  r = c.request("POST", "/mcp", post_headers(), call(10, "echo"));  // the connection is fine
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(data_of(r.events[0]).at("id").as_int64(), 10);
}

TEST_F(HttpServerTest, CloseSseStreamReleasesAStatelessRequestsStream) {
  start_stateless();
  RawClient c(port());
  auto t = hold(c, 4);
  ASSERT_TRUE(close_sse_stream(*t, jsonrpc::Id{std::int64_t{4}}));
  auto rest = c.more();
  EXPECT_TRUE(rest.ended);  // a graceful end, the retry field last
  EXPECT_TRUE(rest.events.empty());
  EXPECT_TRUE(rest.retry);
  sessions_.release();
}

TEST_F(HttpServerTest, AKeptConnectionsSessionlessPostsEachStartAfresh) {
  // A connection hands its last sessionless POST's sink and stream to its next one: neither may
  // bring along anything of the last request (a released stream, its event numbers).
  start_stateless();
  RawClient c(port());
  auto t = hold(c, 4);
  ASSERT_TRUE(close_sse_stream(*t, jsonrpc::Id{std::int64_t{4}}));
  auto released = c.more();
  EXPECT_TRUE(released.ended);
  EXPECT_TRUE(released.events.empty());
  sessions_.release();
  EXPECT_TRUE(sessions_.wait_closed(1));
  auto r = c.request("POST", "/mcp", post_headers(), call(5, "notify_first"));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].id, "1_1");
  EXPECT_EQ(r.events[1].id, "1_2");
  EXPECT_EQ(data_of(r.events[1]).at("id").as_int64(), 5);
  r = c.request("POST", "/mcp", post_headers(), call(6, "echo"));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].id, "1_1");
  EXPECT_EQ(data_of(r.events[0]).at("id").as_int64(), 6);
}

TEST_F(HttpServerTest, AStatelessRequestWhoseClientGoesAwayClosesItsSession) {
  // Cancellation on disconnect: the one-shot session ends (its transport's on_close runs) while
  // its request is still held, not when it answers.
  start_stateless();
  {
    RawClient c(port());
    hold(c, 3);
  }
  EXPECT_TRUE(sessions_.wait_closed(1));
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
  sessions_.release();
}

TEST_F(HttpServerTest, RequestHeadsPastTheConnectionsFieldBlockAreReadWholeOnAKeptConnection) {
  // A connection parses each request head into a block of its own (1.5 kB), the heap past it,
  // and empties the block before the next request: a large head, then a small one, then a large
  // one again, each header read whole (the protocol version reaches the session).
  start_stateless();
  RawClient c(port());
  for (int i = 0; i < 3; ++i) {
    Headers h = post_headers();
    std::size_t filler = i == 1 ? 8 : 3000;
    for (int k = 0; k < 4; ++k) {
      h.emplace_back("X-Filler-" + std::to_string(k),
                     std::string(filler, static_cast<char>('a' + k)));
    }
    h.emplace_back("MCP-Protocol-Version", "2025-06-18");
    auto r = c.request("POST", "/mcp", h, call(20 + i, "echo"));
    ASSERT_EQ(r.status, 200) << i;
    ASSERT_EQ(r.events.size(), 1u) << i;
    EXPECT_EQ(data_of(r.events[0]).at("id").as_int64(), 20 + i);
  }
  auto contexts = sessions_.contexts();
  ASSERT_EQ(contexts.size(), 3u);
  for (const auto& context : contexts) EXPECT_EQ(context.protocol_version, "2025-06-18");
}

TEST_F(HttpServerTest, MediaTypesAreComparedWithoutCaseOrParameters) {
  start_stateless();
  RawClient c(port());
  auto with = [](std::string content_type, std::string accept) {
    return Headers{{"Content-Type", std::move(content_type)}, {"Accept", std::move(accept)}};
  };
  EXPECT_EQ(c.request("POST", "/mcp",
                      with("Application/JSON; charset=utf-8",
                           " TEXT/event-stream , application/Json;q=0.9"),
                      call(1, "echo"))
                .status,
            200);
  EXPECT_EQ(
      c.request("POST", "/mcp", with("application/jsonx", "application/json, text/event-stream"),
                call(2, "echo"))
          .status,
      415);
  EXPECT_EQ(
      c.request("POST", "/mcp", with("application/json", "application/json, text/event-streams"),
                call(3, "echo"))
          .status,
      406);
  EXPECT_EQ(
      c.request("POST", "/mcp", with("application/json", "text/event-stream"), call(4, "echo"))
          .status,
      406);
}

TEST_F(HttpServerTest, AnAnswerLargerThanTheSocketTakesAtOnceArrivesWholeOnAKeptConnection) {
  // The answer is written straight to the socket as far as it goes (a send buffer's worth,
  // at most 4 MiB on Linux), the rest asynchronously: the chunk must still end where its size
  // line says, or the next answer on the connection could not be read.
  HttpServerOptions options;
  options.stateless = true;
  options.max_body_bytes = 32 * 1024 * 1024;
  options.max_stream_queue_bytes = 32 * 1024 * 1024;
  start(options);
  RawClient c(port());
  std::string text(12 * 1024 * 1024, 'x');
  auto r =
      c.request("POST", "/mcp", post_headers(), call(1, "echo", R"({"text":")" + text + "\"}"));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);  // (the event itself is past RawClient's 4 MiB SSE limit)
  r = c.request("POST", "/mcp", post_headers(), call(2, "echo"));
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(data_of(r.events[0]).at("id").as_int64(), 2);
}

TEST_F(HttpServerTest, AuthorizerRefusesWithItsStatusAndHeaders) {
  HttpServerOptions options;
  options.authorizer = [](const AuthorizationRequest& request, AuthorizationDone done) {
    AuthorizationDecision decision;
    if (request.authorization != "Bearer good") {
      decision.status = 401;
      decision.headers = {{"WWW-Authenticate", "Bearer resource_metadata=\"x\""}};
    }
    done(std::move(decision));
  };
  start(options);
  RawClient c(port());
  auto r = c.request("POST", "/mcp", post_headers(), initialize_body());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer resource_metadata=\"x\"");
  auto h = post_headers();
  h.emplace_back("Authorization", "Bearer good");
  EXPECT_EQ(c.request("POST", "/mcp", h, initialize_body()).status, 200);
}

TEST_F(HttpServerTest, StopIsGracefulAndIdempotent) {
  start();
  std::string id = initialize();
  RawClient get(port());
  get.send("GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}});
  get.read(0);
  std::thread waiter([&] { server_->wait(); });
  server_->stop();
  waiter.join();
  server_->stop();
  EXPECT_TRUE(get.closed_by_peer());
  EXPECT_EQ(sessions_.closed(), 1u);
}

TEST_F(HttpServerTest, ManyOpenStreamsOnOneThread) {
  HttpServerOptions options;
  start(options);
  constexpr int kSessions = 200;
  std::vector<std::string> ids;
  for (int i = 0; i < kSessions; ++i) ids.push_back(initialize());
  std::vector<std::unique_ptr<RawClient>> streams;
  for (auto& id : ids) {
    auto c = std::make_unique<RawClient>(port());
    c->send("GET", "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}});
    ASSERT_EQ(c->read(0).status, 200);
    streams.push_back(std::move(c));
  }
  for (auto& t : sessions_.transports()) {
    t->send(jsonrpc::Notification{"notifications/tools/list_changed", nullptr});
  }
  for (auto& c : streams) {
    auto r = c->more(1);
    ASSERT_EQ(r.events.size(), 1u);
  }
}

TEST_F(HttpServerTest, BindFailureThrows) {
  start();
  HttpServerOptions options;
  options.port = port();
  HttpServer second(options, sessions_.handler());
  EXPECT_THROW(second.start(), std::system_error);
}

TEST_F(HttpServerTest, ServesHttpsWithASelfSignedCertificate) {
  auto dir =
      std::filesystem::temp_directory_path() / ("glassbox-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                    " -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
                    " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  HttpServerOptions options;
  options.tls_certificate_file = cert;
  options.tls_private_key_file = key;
  start(options);
  EXPECT_EQ(server_->url().substr(0, 8), "https://");
  std::string out = (dir / "out.txt").string();
  std::string curl = "curl -s --cacert " + cert +
                     " -H 'Content-Type: application/json' -H 'Accept: application/json, "
                     "text/event-stream' -d '" +
                     initialize_body() + "' " + server_->url() + " > " + out;
  ASSERT_EQ(std::system(curl.c_str()), 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"result\""), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace glassbox::transport
