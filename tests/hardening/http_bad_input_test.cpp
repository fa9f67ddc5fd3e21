// Bad-input catalogue (docs/bad-input.md), Streamable HTTP rows B45-B60: raw HTTP to a glassbox
// server (HttpServer on 127.0.0.1 port 0 with an mcp::Server behind it). Standard: each gets its
// HTTP status (with a JSON-RPC error body where the transport gives one), and the server lives
// on: a ping on the session, on a fresh connection, is answered.
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

}  // namespace
}  // namespace glassbox::hardening
