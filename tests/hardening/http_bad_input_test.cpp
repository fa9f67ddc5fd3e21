// Bad-input catalogue (docs/bad-input.md), Streamable HTTP rows B45-B60 and B80-B86: raw HTTP to a
// glassbox server (HttpServer on 127.0.0.1 port 0 with an mcp::Server behind it). Standard: each
// gets its HTTP status (with a JSON-RPC error body where the transport gives one), and the server
// lives on: a ping on the session, on a fresh connection, is answered.
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_server.hpp"
#include "mcp/test_server.hpp"
#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

namespace glassbox::hardening {
namespace {

using namespace transport::testing;

class Http : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::add_test_fixtures(server_);
    transport::HttpServerOptions options;
    options.max_body_bytes = 64 * 1024;
    http_ = std::make_unique<transport::HttpServer>(
        options, [this](std::shared_ptr<transport::Transport> t) { server_.connect(t); });
    http_->start();
    RawClient c(port());
    RawResponse r = c.request("POST", "/mcp", post_headers(), initialize_body());
    ASSERT_EQ(r.status, 200);
    session_ = r.header("mcp-session-id");
    ASSERT_FALSE(session_.empty());
  }
  void TearDown() override { http_->stop(); }

  std::uint16_t port() const { return http_->port(); }

  static std::string ping(int id) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})";
  }
  // The JSON-RPC error code of a JSON body, or 0.
  static std::int64_t body_code(const RawResponse& r) {
    std::optional<json::value> v = json::parse(r.body);
    if (!v || !v->is_object()) return 0;
    const json::object* e = json::find_object(v->get_object(), "error");
    return e ? json::find_int(*e, "code").value_or(0) : 0;
  }
  // Sends raw bytes on a fresh connection and reads one response.
  RawResponse raw(const std::string& bytes) {
    RawClient c(port());
    c.write_raw(bytes);
    return c.read();
  }
  // One keep-alive POST as raw bytes (for pipelining and hand-made framing).
  std::string post_text(const std::string& body, const std::string& extra_headers = {}) const {
    return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
           session_ + "\r\n" + extra_headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }
  // The server lives on: a ping on the session is answered.
  void expect_alive() {
    RawClient c(port());
    RawResponse r = c.request("POST", "/mcp", post_headers(session_), ping(4242));
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].data, R"({"jsonrpc":"2.0","id":4242,"result":{}})");
  }

  mcp::Server server_{{.name = "hardening-http"}};
  std::unique_ptr<transport::HttpServer> http_;
  std::string session_;
};

TEST_F(Http, B45_AContentTypeOtherThanJsonIs415) {
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    RawClient c(port());
    Headers h = {{"Accept", "application/json, text/event-stream"}, {"Mcp-Session-Id", session_}};
    if (*type) h.emplace_back("Content-Type", type);
    RawResponse r = c.request("POST", "/mcp", h, ping(45));
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_EQ(body_code(r), -32600) << type;
  }
  expect_alive();
}

TEST_F(Http, B46_AnAcceptWithoutEventStreamIs406) {
  for (const char* accept : {"application/json", "text/event-stream", "*/*", ""}) {
    RawClient c(port());
    Headers h = {{"Content-Type", "application/json"}, {"Mcp-Session-Id", session_}};
    if (*accept) h.emplace_back("Accept", accept);
    RawResponse r = c.request("POST", "/mcp", h, ping(46));
    EXPECT_EQ(r.status, 406) << accept;
    EXPECT_EQ(body_code(r), -32600) << accept;
  }
  expect_alive();
}

TEST_F(Http, B47_AnInvalidJsonBodyIs400ParseError) {
  for (const char* body : {"{nope", "", "\xff\xfe", R"({"jsonrpc":"2.0","id":1,"method":"ping")"}) {
    RawClient c(port());
    RawResponse r = c.request("POST", "/mcp", post_headers(session_), body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(body_code(r), -32700) << body;
  }
  expect_alive();
}

TEST_F(Http, B48_ABatchBodyIs400InvalidRequest) {
  RawClient c(port());
  RawResponse r = c.request("POST", "/mcp", post_headers(session_), " [" + ping(48) + "]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_code(r), -32600);
  EXPECT_NE(r.body.find("batches are not supported"), std::string::npos) << r.body;
  expect_alive();
}

TEST_F(Http, B49_ARequestWithoutSessionIdIs400) {
  RawClient c(port());
  RawResponse r = c.request("POST", "/mcp", post_headers(), ping(49));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_code(r), -32000);
  EXPECT_NE(r.body.find("missing Mcp-Session-Id header"), std::string::npos) << r.body;
  expect_alive();
}

TEST_F(Http, B50_AnUnknownSessionIdIs404) {
  for (std::string id : {std::string("nosuchsession"), std::string(4000, 'a'),
                         session_.substr(0, session_.size() - 1)}) {
    RawClient c(port());
    RawResponse r = c.request("POST", "/mcp", post_headers(id), ping(50));
    EXPECT_EQ(r.status, 404) << id.size();
    EXPECT_EQ(body_code(r), -32000);
  }
  expect_alive();
}

TEST_F(Http, B51_AnUnsupportedProtocolVersionIs400) {
  for (const char* version : {"1999-01-01", "", "2025-11-25; drop table"}) {
    RawClient c(port());
    Headers h = post_headers(session_);
    h.emplace_back("MCP-Protocol-Version", version);
    RawResponse r = c.request("POST", "/mcp", h, ping(51));
    EXPECT_EQ(r.status, 400) << version;
    EXPECT_EQ(body_code(r), -32600) << version;
  }
  expect_alive();
}

TEST_F(Http, B52_ABodyOverTheLimitIs413AndTheConnectionCloses) {
  RawClient c(port());
  // The head announces 100 KiB; the server refuses before reading any of it.
  c.write_raw(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
      session_ + "\r\nContent-Length: 102400\r\n\r\n");
  RawResponse r = c.read();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(body_code(r), -32600);
  EXPECT_TRUE(c.closed_by_peer());
  expect_alive();
}

TEST_F(Http, B53_HeadersOverTheLimitAre431) {
  RawResponse r =
      raw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(20 * 1024, 'p') +
          "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
  expect_alive();
}

TEST_F(Http, B54_AGarbageRequestLineIs400AndTheConnectionCloses) {
  static constexpr char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  for (std::string bytes : {std::string("GARBAGE\r\n\r\n"), std::string("GET\r\n\r\n"),
                            std::string(kTlsHello, sizeof kTlsHello - 1)}) {
    RawClient c(port());
    c.write_raw(bytes);
    RawResponse r = c.read();
    EXPECT_EQ(r.status, 400) << bytes;
    EXPECT_EQ(r.header("content-type"), "text/plain") << bytes;
    EXPECT_TRUE(c.closed_by_peer()) << bytes;
  }
  expect_alive();
}

TEST_F(Http, B55_AMalformedContentLengthIs400) {
  for (const char* length : {"-1", "abc", "5, 6", "99999999999999999999999"}) {
    RawResponse r =
        raw(std::string("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
            "Content-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n{}");
    EXPECT_EQ(r.status, 400) << length;
  }
  RawResponse twice = raw(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
  EXPECT_EQ(twice.status, 400);
  expect_alive();
}

TEST_F(Http, B56_AMissingHostIs400) {
  std::string body = ping(56);
  for (const char* version : {"HTTP/1.0", "HTTP/1.1"}) {
    RawResponse r =
        raw(std::string("POST /mcp ") + version +
            "\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
            session_ + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(r.status, 400) << version;
    EXPECT_NE(r.body.find("missing Host header"), std::string::npos) << r.body;
  }
  expect_alive();
}

TEST_F(Http, B57_AForeignHostIs403) {  // DNS rebinding
  for (const char* host : {"evil.example.com", "localhost.evil.example.com", "127.0.0.1.nip.io",
                           "evil.example.com:80"}) {
    RawClient c(port());
    c.send("POST", "/mcp", post_headers(session_), ping(57), host);
    RawResponse r = c.read();
    EXPECT_EQ(r.status, 403) << host;
    EXPECT_EQ(body_code(r), -32000) << host;
    EXPECT_NE(r.body.find("Host not allowed"), std::string::npos) << r.body;
  }
  expect_alive();
}

TEST_F(Http, B58_AForeignOriginIs403) {
  for (const char* origin : {"http://evil.example.com", "null", "http://localhost.evil.com",
                             "http://127.0.0.1.nip.io", "file://", "http://localhost/path"}) {
    RawClient c(port());
    Headers h = post_headers(session_);
    h.emplace_back("Origin", origin);
    RawResponse r = c.request("POST", "/mcp", h, ping(58));
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_NE(r.body.find("Origin not allowed"), std::string::npos) << r.body;
  }
  expect_alive();
}

TEST_F(Http, B59_AnUnsupportedMethodIs405AndAnotherPathIs404) {
  for (const char* method : {"PUT", "PATCH", "OPTIONS"}) {
    RawClient c(port());
    RawResponse r = c.request(method, "/mcp", post_headers(session_), "{}");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("allow"), "GET, POST, DELETE") << method;
  }
  for (const char* path : {"/", "/mcp/", "/MCP", "/mcp/../mcp2", "/%00"}) {
    RawClient c(port());
    EXPECT_EQ(c.request("POST", path, post_headers(session_), ping(59)).status, 404) << path;
  }
  expect_alive();
}

TEST_F(Http, B60_AMalformedLastEventIdIs400) {
  for (const char* id : {"garbage", "1_", "_1", "1_2_3", "-1_0", "99999999999999999999999_1"}) {
    RawClient c(port());
    RawResponse r = c.request(
        "GET", "/mcp",
        {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session_}, {"Last-Event-ID", id}});
    EXPECT_EQ(r.status, 400) << id;
    EXPECT_EQ(body_code(r), -32600) << id;
  }
  expect_alive();
}

// ---- second round (issue 11, items 8-10) ----------------------------------------------------

TEST_F(Http, B80_PipelinedKeepAlivePostsEachGetTheirAnswer) {
  // A call still running when the next requests arrive: the bytes of the pipelined requests
  // made the socket readable, which used to count as "the peer is gone" and closed the
  // connection after the priming event.
  RawClient c(port());
  c.write_raw(post_text(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1000}}})"));
  RawResponse first = c.read(0);  // the head and the priming event: the call is in progress
  ASSERT_EQ(first.status, 200);
  c.write_raw(post_text(ping(2)) + post_text(ping(3)));
  RawResponse rest = c.more();
  ASSERT_EQ(rest.events.size(), 1u) << "the first call lost its answer";
  EXPECT_NE(rest.events[0].data.find(R"("text":"done")"), std::string::npos) << rest.events[0].data;
  for (int id : {2, 3}) {
    RawResponse r = c.read();
    ASSERT_EQ(r.status, 200) << id;
    ASSERT_EQ(r.events.size(), 1u) << id;
    EXPECT_EQ(r.events[0].data,
              R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":{}})");
  }
  // Three quick ones in one write, as the attack sent them, a dozen times.
  for (int run = 0; run < 12; ++run) {
    RawClient p(port());
    p.write_raw(post_text(ping(10)) + post_text(ping(11)) + post_text(ping(12)));
    for (int id : {10, 11, 12}) {
      RawResponse r = p.read();
      ASSERT_EQ(r.status, 200) << "run " << run << " id " << id;
      ASSERT_EQ(r.events.size(), 1u) << "run " << run << " id " << id;
      EXPECT_EQ(r.events[0].data,
                R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":{}})");
    }
  }
  expect_alive();
}

TEST_F(Http, B83_TwoHostOrTwoOriginHeadersAre400) {
  for (const char* extra : {"Host: evil.example.com\r\n", "Host: 127.0.0.1\r\n",
                            "Origin: http://localhost\r\nOrigin: http://evil.example.com\r\n",
                            "Origin: http://localhost\r\nOrigin: http://localhost\r\n"}) {
    RawClient c(port());
    c.write_raw(post_text(ping(83), extra));  // the valid Host comes first
    RawResponse r = c.read();
    EXPECT_EQ(r.status, 400) << extra;
    EXPECT_EQ(body_code(r), -32000) << extra;
    EXPECT_NE(r.body.find("more than one"), std::string::npos) << r.body;
    EXPECT_TRUE(c.closed_by_peer()) << extra;
  }
  expect_alive();
}

TEST_F(Http, B84_AHostOrOriginWithUserinfoIsRefused) {
  std::string body = ping(84);
  for (const char* host : {"localhost:80@evil.com", "127.0.0.1@evil.com", "localhost/evil",
                           "localhost:80x", "[::1]evil", "local host"}) {
    RawClient c(port());
    c.write_raw("POST /mcp HTTP/1.1\r\nHost: " + std::string(host) +
                "\r\nContent-Type: application/json\r\n"
                "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
                session_ + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                body);
    RawResponse r = c.read();
    EXPECT_EQ(r.status, 400) << host;
    EXPECT_NE(r.body.find("malformed Host header"), std::string::npos) << r.body;
  }
  for (const char* origin : {"http://localhost:80@evil.com", "http://127.0.0.1@evil.com"}) {
    RawClient c(port());
    Headers h = post_headers(session_);
    h.emplace_back("Origin", origin);
    RawResponse r = c.request("POST", "/mcp", h, body);
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_NE(r.body.find("Origin not allowed"), std::string::npos) << r.body;
  }
  expect_alive();
}

TEST_F(Http, B85_TransferEncodingOtherThanChunkedOrWithContentLengthIs400) {
  std::string body = ping(85);
  for (const char* te : {"chunked, identity", "xchunked", "identity", "gzip, chunked"}) {
    RawClient c(port());
    // Read by Content-Length before: the body and, after it, whatever a smuggler appended.
    c.write_raw(post_text(body, "Transfer-Encoding: " + std::string(te) + "\r\n"));
    RawResponse r = c.read();
    EXPECT_EQ(r.status, 400) << te;
    // Beast itself refuses a final chunked with Content-Length; the rest the screen refuses.
    EXPECT_TRUE(r.body.find("Transfer-Encoding") != std::string::npos ||
                r.body.find("malformed HTTP request") != std::string::npos)
        << te << ": " << r.body;
    EXPECT_TRUE(c.closed_by_peer()) << te;
  }
  // Chunked alone is still read.
  RawClient c(port());
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  c.write_raw(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
      session_ + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n\r\n");
  RawResponse ok = c.read();
  ASSERT_EQ(ok.status, 200);
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].data, R"({"jsonrpc":"2.0","id":85,"result":{}})");
  expect_alive();
}

// The session table (item 9): a small table, filled by bare initialize requests.
class HttpSessions : public ::testing::Test {
 protected:
  void start(std::size_t max_sessions, std::chrono::seconds unused_timeout) {
    testing::add_test_fixtures(server_);
    transport::HttpServerOptions options;
    options.max_sessions = max_sessions;
    options.unused_session_timeout = unused_timeout;
    http_ = std::make_unique<transport::HttpServer>(
        options, [this](std::shared_ptr<transport::Transport> t) { server_.connect(t); });
    http_->start();
  }
  void TearDown() override {
    if (http_) http_->stop();
  }
  RawResponse initialize(int id) {
    RawClient c(http_->port());
    return c.request("POST", "/mcp", post_headers(), initialize_body(id));
  }
  RawResponse ping(const std::string& session, int id) {
    RawClient c(http_->port());
    return c.request("POST", "/mcp", post_headers(session),
                     R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})");
  }

  mcp::Server server_{{.name = "hardening-sessions"}};
  std::unique_ptr<transport::HttpServer> http_;
};

TEST_F(HttpSessions, B81_BareInitializeRequestsCannotLockOutARealClient) {
  start(20, std::chrono::seconds(600));
  // A real client first: initialized and used.
  std::string real = initialize(1).header("mcp-session-id");
  ASSERT_FALSE(real.empty());
  ASSERT_EQ(ping(real, 2).status, 200);
  // The flood: five times the table in bare initialize requests. Each gets a session, the
  // oldest unused ones give way; the table never passes its bound.
  std::vector<std::string> flood;
  for (int i = 0; i < 100; ++i) {
    RawResponse r = initialize(100 + i);
    ASSERT_EQ(r.status, 200) << i;
    flood.push_back(r.header("mcp-session-id"));
    ASSERT_LE(http_->session_count(), 20u);
  }
  // A new client still gets in, and the used session was not touched.
  std::string late = initialize(3).header("mcp-session-id");
  ASSERT_FALSE(late.empty());
  EXPECT_EQ(ping(late, 4).status, 200);
  EXPECT_EQ(ping(real, 5).status, 200);
  // The oldest flood session was evicted: 404, as for any unknown session (a client then
  // initializes again).
  EXPECT_EQ(ping(flood.front(), 6).status, 404);
}

TEST_F(HttpSessions, B82_WhenEverySessionIsInUseTheRefusalIs503WithRetryAfter) {
  start(3, std::chrono::seconds(600));
  for (int i = 0; i < 3; ++i) {
    std::string s = initialize(i).header("mcp-session-id");
    ASSERT_FALSE(s.empty());
    ASSERT_EQ(ping(s, 10 + i).status, 200);  // used: not evictable
  }
  RawResponse r = initialize(20);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("too many sessions"), std::string::npos) << r.body;
  std::string retry = r.header("retry-after");
  ASSERT_FALSE(retry.empty()) << "503 without Retry-After";
  // Seconds until the least recently active idle session expires (30 minutes by default).
  int seconds = std::stoi(retry);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 30 * 60);
}

TEST_F(HttpSessions, B86_AnUnusedSessionExpiresAfterTheShortTimeout) {
  start(100, std::chrono::seconds(1));
  std::string used = initialize(1).header("mcp-session-id");
  ASSERT_EQ(ping(used, 2).status, 200);
  std::string unused = initialize(3).header("mcp-session-id");
  ASSERT_EQ(http_->session_count(), 2u);
  // The sweep takes it within a few of its periods (a quarter of the timeout, at least 100 ms);
  // the used one stays for the 30-minute idle expiry.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (http_->session_count() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling the count, not ordering
  }
  EXPECT_EQ(http_->session_count(), 1u);
  EXPECT_EQ(ping(unused, 4).status, 404);
  EXPECT_EQ(ping(used, 5).status, 200);
}

}  // namespace
}  // namespace glassbox::hardening
