// A sessionless POST's MCP session is recycled for a later one (Server keeps finished one-shot
// sessions, src/mcp/server.cpp): each such request must still stand alone. Nothing one request
// left in its session may reach the next: the negotiated protocol version, the client's
// capabilities, the log level, resource subscriptions, a cancellation, request ids.
#include "glassbox/mcp/serve_http.hpp"
#include "mcp/session.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>

namespace glassbox::mcp {
namespace {

using json::object;
namespace http = boost::beast::http;

class OneShotReuse : public ::testing::Test {
 protected:
  void SetUp() override {
    // Reports what its session shows it, logs at debug, and announces an update of a resource
    // that an earlier request subscribed to.
    server_.add_tool({.name = "probe"}, [this](const object&, RequestContext& ctx) {
      {
        std::lock_guard lock(mutex_);
        sessions_seen_.insert(&session_of(ctx));
      }
      ctx.log(LogLevel::debug, "debug line");
      server_.notify_resource_updated("file:///watched");
      object seen{{"protocolVersion", ctx.protocol_version()},
                  {"capabilities", ctx.client_capabilities()},
                  {"initialized", session_of(ctx).initialized()},
                  {"cancelled", ctx.cancelled()}};
      return CallToolResult::text(json::serialize(json::value(std::move(seen))));
    });
    server_.add_resource({.uri = "file:///watched", .name = "watched"},
                         [](const std::string& uri, RequestContext&) {
                           return std::vector<ResourceContents>{{.uri = uri, .text = "x"}};
                         });
    // One I/O thread: each POST is answered before the next one is read, so the session of one
    // is back among the spares when the next arrives.
    http_ = start_http(server_, {.stateless = true, .threads = 1});
  }

  testing::Reply post(std::string_view method, object params, int id = 1) {
    object message{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
    if (id != 0) message["id"] = id;
    return testing::request(http_->port(), http::verb::post, "/mcp",
                            json::serialize(json::value(std::move(message))), "application/json",
                            {}, {{"Accept", "application/json, text/event-stream"}});
  }

  // The probe's report, from its SSE answer.
  static object probe_report(const testing::Reply& reply) {
    auto at = reply.body.find("data: {\"jsonrpc\":\"2.0\",\"id\":");
    EXPECT_NE(at, std::string::npos) << reply.body;
    if (at == std::string::npos) return {};
    std::string line = reply.body.substr(at + 6, reply.body.find('\n', at) - at - 6);
    auto answer = json::parse(line);
    EXPECT_TRUE(answer) << line;
    if (!answer) return {};
    const json::value& text = answer->at("result").at("content").at(0).at("text");
    return json::parse(text.as_string()).value().as_object();
  }

  Server server_{{.name = "one-shot"}};
  std::unique_ptr<transport::HttpServer> http_;
  std::mutex mutex_;
  std::set<const Session*> sessions_seen_;
};

TEST_F(OneShotReuse, NothingARequestLeftInItsSessionReachesTheNext) {
  auto first = post("tools/call", {{"name", "probe"}});
  ASSERT_EQ(first.status, 200) << first.body;
  object fresh = probe_report(first);
  EXPECT_NE(first.body.find("\"method\":\"notifications/message\""), std::string::npos)
      << "no level set: every log message goes out";
  EXPECT_EQ(first.body.find("notifications/resources/updated"), std::string::npos);

  // What a 2025-11-25 client would set up in a session, each in a POST of its own.
  auto init = post("initialize", {{"protocolVersion", "2025-06-18"},
                                  {"capabilities", {{"sampling", object{}}}},
                                  {"clientInfo", {{"name", "c"}, {"version", "1"}}}});
  ASSERT_EQ(init.status, 200) << init.body;
  ASSERT_NE(init.body.find("2025-06-18"), std::string::npos) << init.body;
  ASSERT_EQ(post("logging/setLevel", {{"level", "emergency"}}).status, 200);
  ASSERT_EQ(post("resources/subscribe", {{"uri", "file:///watched"}}).status, 200);
  ASSERT_EQ(post("notifications/cancelled", {{"requestId", 1}}, 0).status, 202);

  for (int round = 0; round < 3; ++round) {
    auto later = post("tools/call", {{"name", "probe"}});
    ASSERT_EQ(later.status, 200) << later.body;
    EXPECT_EQ(probe_report(later), fresh) << later.body;
    EXPECT_EQ(fresh.at("initialized"), false);
    EXPECT_EQ(fresh.at("cancelled"), false);
    EXPECT_NE(later.body.find("\"method\":\"notifications/message\""), std::string::npos)
        << "the log level of an earlier request leaked: " << later.body;
    EXPECT_EQ(later.body.find("notifications/resources/updated"), std::string::npos)
        << "a subscription of an earlier request leaked: " << later.body;
  }
  // The requests above did run on a recycled session (else this test would show nothing).
  std::lock_guard lock(mutex_);
  EXPECT_LT(sessions_seen_.size(), 4u);
}

// A request in flight is its session's alone: one that holds its session (a handler still
// running) keeps it out of the spares, and concurrent POSTs each get their own.
TEST_F(OneShotReuse, ConcurrentRequestsNeverShareASession) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex m;
  std::set<const Session*> live;
  server_.add_tool({.name = "hold"}, [&](const object&, RequestContext& ctx) {
    {
      std::lock_guard lock(m);
      live.insert(&session_of(ctx));
    }
    entered.set_value();
    released.wait();
    return CallToolResult::text("held");
  });
  auto held = std::async(std::launch::async, [&] {
    return post("tools/call", {{"name", "hold"}});
  });
  entered.get_future().wait();
  // The watchdog gives the held call a relief thread: this one is served meanwhile.
  auto other = post("tools/call", {{"name", "probe"}});
  ASSERT_EQ(other.status, 200) << other.body;
  {
    std::lock_guard lock(m);
    std::lock_guard seen(mutex_);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(sessions_seen_.count(*live.begin()), 0u);
  }
  release.set_value();
  auto reply = held.get();
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("held"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace glassbox::mcp
