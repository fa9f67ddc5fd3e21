// A one-shot (sessionless) POST runs its request on the HTTP I/O thread that read it
// (src/transport/http_inline.hpp); a slow handler there must still never stall another
// connection: the watchdog gives it a relief thread. The server has a single I/O thread, so
// without the relief the second call could not be served until the first one returned.
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/serve_http.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

#include <future>

namespace glassbox::mcp {
namespace {

using json::object;
using namespace std::chrono_literals;
namespace http = boost::beast::http;

class HttpInline : public ::testing::TestWithParam<bool> {
 protected:
  // `stateless`: a 2025-11-25 stateless server; otherwise 2026-07-28 requests on a default one.
  void SetUp() override {
    server_.add_tool({.name = "hold"}, [this](const object&, RequestContext&) {
      held_.set_value();
      release_.wait();  // until the test has seen the other call answered
      return CallToolResult::text("held");
    });
    // Reports progress, then holds: the notification must reach the client meanwhile.
    server_.add_tool({.name = "progress_then_hold"}, [this](const object&, RequestContext& ctx) {
      ctx.progress(1, 2, "half way");
      release_.wait();
      return CallToolResult::text("held");
    });
    server_.add_tool({.name = "plain"},
                     [](const object&, RequestContext&) { return CallToolResult::text("plain"); });
    http_ = start_http(server_, {.stateless = GetParam(), .threads = 1});
  }
  void TearDown() override {
    if (!released_) release_promise_.set_value();
  }

  std::string payload_of(const std::string& tool,
                         std::vector<std::pair<std::string, std::string>>& headers) {
    object params{{"name", tool}};
    headers.emplace_back("Accept", "application/json, text/event-stream");
    if (!GetParam()) {
      params["_meta"] =
          object{{kMetaProtocolVersion, kProtocol2026_07_28}, {kMetaClientCapabilities, object{}}};
      headers.insert(headers.end(), {{"MCP-Protocol-Version", "2026-07-28"},
                                     {"Mcp-Method", "tools/call"},
                                     {"Mcp-Name", tool}});
    } else {
      headers.emplace_back("MCP-Protocol-Version", "2025-11-25");
    }
    if (tool == "progress_then_hold") {
      json::value& meta = params["_meta"];
      if (!meta.is_object()) meta = object{};
      meta.get_object()["progressToken"] = "p1";
    }
    return json::serialize(json::value(object{
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", std::move(params)}}));
  }
  testing::Reply call(const std::string& tool) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload = payload_of(tool, headers);
    return testing::request(http_->port(), http::verb::post, "/mcp", payload, "application/json",
                            {}, headers);
  }

  std::promise<void> held_;
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
  bool released_ = false;
  Server server_{{.name = "inline"}};
  std::unique_ptr<transport::HttpServer> http_;
};

TEST_P(HttpInline, ASlowCallOnTheOnlyIoThreadNeverStallsAnotherConnection) {
  auto slow = std::async(std::launch::async, [&] { return call("hold"); });
  // The held call is inside its handler, on the server's one I/O thread.
  ASSERT_EQ(held_.get_future().wait_for(30s), std::future_status::ready);
  testing::Reply fast = call("plain");
  EXPECT_EQ(fast.status, 200);
  EXPECT_NE(fast.body.find("plain"), std::string::npos) << fast.body;
  // Behaviour, not timing: the first call was still held when the second was answered.
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);
  released_ = true;
  release_promise_.set_value();
  testing::Reply held = slow.get();
  EXPECT_EQ(held.status, 200);
  EXPECT_NE(held.body.find("held"), std::string::npos) << held.body;
}

// The request runs on an I/O thread but outside the connection's coroutine, which stays free
// to write what the handler sends while it runs (progress, a subscriptions/listen stream).
TEST_P(HttpInline, NotificationsOfARunningCallReachTheClientBeforeItReturns) {
  std::vector<std::pair<std::string, std::string>> headers;
  http::request<http::string_body> req{http::verb::post, "/mcp", 11};
  req.body() = payload_of("progress_then_hold", headers);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.prepare_payload();
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), http_->port()});
  http::write(socket, req);
  // Read what arrives until the progress notification is there; the handler is still held.
  std::string seen;
  char chunk[4096];
  while (seen.find("notifications/progress") == std::string::npos) {
    boost::system::error_code ec;
    std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    ASSERT_FALSE(ec) << ec.message() << " after: " << seen;
    seen.append(chunk, n);
  }
  EXPECT_NE(seen.find("half way"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("\"held\""), std::string::npos) << seen;
  released_ = true;
  release_promise_.set_value();
  while (seen.find("\"held\"") == std::string::npos) {
    boost::system::error_code ec;
    std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    ASSERT_FALSE(ec) << ec.message() << " after: " << seen;
    seen.append(chunk, n);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, HttpInline, ::testing::Values(true, false), [](const auto& info) {
  return info.param ? "Stateless2025" : "Mrtr2026";
});

}  // namespace
}  // namespace glassbox::mcp
