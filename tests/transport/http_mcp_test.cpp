// The real MCP server and client over Streamable HTTP: tools, progress, logging, sampling,
// sessions, stateless mode, and the lifetime of sessions across DELETE.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/http_server.hpp"
#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace glassbox::transport {
namespace {

using namespace testing;

class HttpMcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.add_tool({.name = "echo", .description = "echo"},
                     [](const json::object& args, mcp::RequestContext&) {
                       const json::string* s = json::find_string(args, "message");
                       return mcp::CallToolResult::text(s ? std::string(*s) : "");
                     });
    server_.add_tool({.name = "count", .description = "progress"},
                     [](const json::object&, mcp::RequestContext& ctx) {
                       for (int i = 1; i <= 3; ++i) ctx.progress(i, 3);
                       ctx.log(mcp::LogLevel::info, "counted");
                       return mcp::CallToolResult::text("done");
                     });
    server_.add_tool({.name = "sample", .description = "sampling"}, [](const json::object&,
                                                                       mcp::RequestContext& ctx) {
      json::value r =
          ctx.create_message(json::object{{"messages", json::array{}}, {"maxTokens", 10}});
      const json::object& o = json::as_object_or_empty(r);
      const json::object* content = json::find_object(o, "content");
      const json::string* text = content ? json::find_string(*content, "text") : nullptr;
      return mcp::CallToolResult::text(text ? std::string(*text) : "?");
    });
  }
  void start(HttpServerOptions options = {}) {
    http_ = std::make_unique<HttpServer>(std::move(options), [this](std::shared_ptr<Transport> t) {
      ++sessions_;
      server_.connect(std::move(t));
    });
    http_->start();
  }
  void TearDown() override {
    if (http_) http_->stop();
  }
  std::shared_ptr<Transport> client_transport() { return connect_http({.url = http_->url()}); }

  mcp::Server server_{{.name = "http-test", .version = "1.0"}};
  std::unique_ptr<HttpServer> http_;
  std::atomic<int> sessions_{0};
};

// Sessions (Mcp-Session-Id, the GET stream, DELETE) are MCP 2025-11-25's; a client on auto would
// speak the sessionless 2026-07-28 (tests/mcp/stateless_http_test.cpp).
const mcp::ClientOptions kSession2025{.revision = mcp::ProtocolRevision::k2025_11_25};

TEST_F(HttpMcpTest, ToolsOverHttp) {
  start();
  mcp::Client client(kSession2025);
  auto& init = client.connect(client_transport());
  (void)init;
  auto tools = client.list_all_tools();
  EXPECT_EQ(tools.size(), 3u);
  auto result = client.call_tool("echo", {{"message", "hi"}});
  ASSERT_EQ(result.content.size(), 1u);
  EXPECT_EQ(result.content[0].at("text").as_string(), "hi");
  client.ping();
  client.close();
  EXPECT_TRUE(eventually([&] { return http_->session_count() == 0; }));
}

TEST_F(HttpMcpTest, ProgressAndLoggingRideTheRequestStream) {
  start();
  std::atomic<int> logs{0};
  mcp::Client client({.on_log = [&](const mcp::LogMessage&) { ++logs; }});
  client.connect(client_transport());
  client.set_logging_level(mcp::LogLevel::debug);
  std::vector<double> progress;
  mcp::CallOptions options;
  options.on_progress = [&](const mcp::ProgressUpdate& p) { progress.push_back(p.progress); };
  auto result = client.call_tool("count", {}, options);
  EXPECT_EQ(result.content[0].at("text").as_string(), "done");
  EXPECT_EQ(progress, (std::vector<double>{1, 2, 3}));
  EXPECT_TRUE(eventually([&] { return logs.load() == 1; }));
}

TEST_F(HttpMcpTest, SamplingRoundTrip) {
  start();
  mcp::Client client({.sampling_handler = [](const json::object&) -> json::value {
    return json::object{{"role", "assistant"},
                        {"content", json::object{{"type", "text"}, {"text", "sampled"}}},
                        {"model", "m"}};
  }});
  client.connect(client_transport());
  auto result = client.call_tool("sample");
  EXPECT_EQ(result.content[0].at("text").as_string(), "sampled");
}

TEST_F(HttpMcpTest, ConcurrentClientsHaveSeparateSessions) {
  start();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      mcp::Client client(kSession2025);
      client.connect(client_transport());
      for (int j = 0; j < 20; ++j) {
        auto r = client.call_tool("echo", {{"message", std::to_string(i * 100 + j)}});
        if (r.content[0].at("text").as_string() == std::to_string(i * 100 + j)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(sessions_.load(), 8);
}

TEST_F(HttpMcpTest, ToolListChangedReachesTheClientOnTheGetStream) {
  start();
  std::atomic<int> changed{0};
  mcp::Client client({.revision = mcp::ProtocolRevision::k2025_11_25,
                      .on_notification = [&](const std::string& method, const json::object&) {
                        if (method == "notifications/tools/list_changed") ++changed;
                      }});
  client.connect(client_transport());
  // No wait for the GET stream: until it attaches, the session's standalone stream holds the
  // notification and hands it over when it does (either order must deliver it).
  server_.add_tool(
      {.name = "late", .description = "added later"},
      [](const json::object&, mcp::RequestContext&) { return mcp::CallToolResult::text("late"); });
  EXPECT_TRUE(eventually([&] { return changed.load() >= 1; }));
}

TEST_F(HttpMcpTest, SessionGoneAfterDelete) {
  start();
  mcp::Client client(kSession2025);
  client.connect(client_transport());
  ASSERT_TRUE(eventually([&] { return http_->session_count() == 1; }));
  client.close();
  ASSERT_TRUE(eventually([&] { return http_->session_count() == 0; }));
}

TEST_F(HttpMcpTest, StatelessMode) {
  HttpServerOptions options;
  options.stateless = true;
  start(options);
  mcp::Client client;
  client.connect(client_transport());
  auto result = client.call_tool("echo", {{"message", "stateless"}});
  EXPECT_EQ(result.content[0].at("text").as_string(), "stateless");
  std::vector<double> progress;
  mcp::CallOptions options2;
  options2.on_progress = [&](const mcp::ProgressUpdate& p) { progress.push_back(p.progress); };
  client.call_tool("count", {}, options2);
  EXPECT_EQ(progress.size(), 3u);
  EXPECT_GE(sessions_.load(), 3);
  EXPECT_EQ(http_->session_count(), 0u);
}

TEST_F(HttpMcpTest, ServerStopClosesClient) {
  start();
  mcp::Client client;
  client.connect(client_transport());
  http_->stop();
  EXPECT_THROW(client.call_tool("echo", {{"message", "x"}}), mcp::ProtocolError);
}

}  // namespace
}  // namespace glassbox::transport
