// A sessionless POST's MCP session is recycled for a later one (Server keeps finished one-shot
// sessions, src/mcp/server.cpp): each such request must still stand alone. Nothing one request
// left in its session may reach the next: the negotiated protocol version, the client's
// capabilities, the log level, resource subscriptions, a cancellation, request ids.
#include "glassbox/mcp/serve_http.hpp"
#include "mcp/session.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

  // The SSE event ids of an answer, in order ("id: 1_0" is the priming event).
  static std::vector<std::string> event_ids(const std::string& body) {
    std::vector<std::string> ids;
    for (std::size_t at = body.find("id: "); at != std::string::npos;
         at = body.find("id: ", at + 1)) {
      if (at == 0 || body[at - 1] == '\n') ids.push_back(body.substr(at, body.find('\n', at) - at));
    }
    return ids;
  }

  // Answers one request with a tool that keeps its session, and returns that session once it
  // has finished (back among the spares, and held by the caller); null on failure.
  std::shared_ptr<Session> keep_a_session() {
    server_.add_tool({.name = "keep"}, [this](const object&, RequestContext& ctx) {
      std::lock_guard lock(mutex_);
      kept_ = session_of(ctx).shared_from_this();
      return CallToolResult::text("kept");
    });
    if (post("tools/call", {{"name", "keep"}}).status != 200) return nullptr;
    std::shared_ptr<Session> kept;
    {
      std::lock_guard lock(mutex_);
      kept = std::exchange(kept_, nullptr);
    }
    if (kept) kept->wait_until_drained();
    return kept;
  }

  Server server_{{.name = "one-shot"}};
  std::unique_ptr<transport::HttpServer> http_;
  std::mutex mutex_;
  std::set<const Session*> sessions_seen_;
  std::shared_ptr<Session> kept_;  // keep_a_session's, until it takes it
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
    // The transport's session and stream are renewed too: numbered as a new one's.
    EXPECT_EQ(event_ids(later.body), event_ids(first.body)) << later.body;
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

// A spare that something still holds when a request looks for one (a handler kept its
// session; its finishing thread holds it for a moment too) stays among the spares for later,
// rather than being dropped and replaced by a new session.
TEST_F(OneShotReuse, ASpareStillHeldIsKeptForALaterRequest) {
  std::shared_ptr<Session> kept = keep_a_session();
  ASSERT_TRUE(kept);  // finished: among the spares, and held here
  std::weak_ptr<Session> weak = kept;
  ASSERT_EQ(post("tools/call", {{"name", "probe"}}).status, 200);
  {
    std::lock_guard lock(mutex_);
    EXPECT_EQ(sessions_seen_.count(kept.get()), 0u) << "a held session was reused";
  }
  kept.reset();
  EXPECT_FALSE(weak.expired()) << "the held spare was dropped from the spares";
}

// The input-closed token is made when a handler asks for it: one asked for after the input
// ended is stopped already, and a recycled session's next input has a token of its own.
TEST_F(OneShotReuse, TheInputClosedTokenIsStoppedForItsInputOnly) {
  server_.add_tool({.name = "token"}, [&](const object&, RequestContext& ctx) {
    bool stopped = session_of(ctx).input_closed_token().stop_requested();
    {
      std::lock_guard lock(mutex_);
      sessions_seen_.insert(&session_of(ctx));
    }
    return CallToolResult::text(stopped ? "stopped" : "running");
  });
  std::shared_ptr<Session> kept = keep_a_session();
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->input_closed_token().stop_requested());
  kept.reset();
  for (int round = 0; round < 3; ++round) {
    auto reply = post("tools/call", {{"name", "token"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_NE(reply.body.find("running"), std::string::npos) << reply.body;
  }
  std::lock_guard lock(mutex_);
  EXPECT_LT(sessions_seen_.size(), 3u);  // recycled
}

}  // namespace
}  // namespace glassbox::mcp
