// Client::subscribe in MCP 2026-07-28 against glassbox's server: subscriptions/listen instead of
// the removed resources/subscribe, resources/updated delivered to on_notification as in
// 2025-11-25, a changed set re-listens and cancels the old stream, and a refusal leaves nothing
// subscribed; over the in-memory pair and Streamable HTTP (where a cancel closes the request's
// stream). The server's own middleware tells when a listen stream ended there.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/serve_http.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/memory.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;
using json::object;

// What reached the client's on_notification, and how many listen streams the server ended.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<std::string, object>> notifications;
  int listens_ended = 0;

  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, [&] { return pred(); });
  }
  int updates_of(std::string_view uri) {
    int n = 0;
    for (const auto& [method, params] : notifications) {
      const json::string* u = json::find_string(params, "uri");
      if (method == "notifications/resources/updated" && u && *u == uri) ++n;
    }
    return n;
  }
};

enum class Over { memory, http };

struct Listening {
  explicit Listening(Over over) {
    for (const char* uri : {"test://a", "test://b"}) {
      server.add_resource({.uri = uri, .name = uri}, [](const std::string& u, RequestContext&) {
        return std::vector<ResourceContents>{{.uri = u, .text = "x"}};
      });
    }
    server.add_tool({.name = "touch"}, [this](const object& args, RequestContext&) {
      server.notify_resource_updated(std::string(*json::find_string(args, "uri")));
      return CallToolResult::text("touched");
    });
    server.use([this](RequestContext& ctx, const MethodHandler& next) {
      Outcome out = next(ctx);
      if (ctx.method() == kMethodSubscriptionsListen) {
        std::lock_guard lock(observed.mutex);
        ++observed.listens_ended;
        observed.changed.notify_all();
      }
      return out;
    });
    if (over == Over::http) {
      http = start_http(server);
      client.connect(transport::connect_http({.url = http->url()}));
      return;
    }
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
  }
  ~Listening() {
    client.close();
    if (http) http->stop();
  }
  void touch(std::string_view uri) { client.call_tool("touch", {{"uri", uri}}); }

  Observed observed;
  Server server{{.name = "listen-server"}};
  std::unique_ptr<transport::HttpServer> http;
  Client client{{.on_notification = [this](const std::string& method, const object& params) {
    std::lock_guard lock(observed.mutex);
    observed.notifications.emplace_back(method, params);
    observed.changed.notify_all();
  }}};
};

class ClientListen : public ::testing::TestWithParam<Over> {};

TEST_P(ClientListen, SubscribeListensAndDeliversUpdatesToOnNotification) {
  Listening l(GetParam());
  ASSERT_EQ(l.client.revision(), ProtocolRevision::k2026_07_28);
  l.client.subscribe("test://a");
  l.touch("test://a");
  ASSERT_TRUE(l.observed.wait([&] { return l.observed.updates_of("test://a") == 1; }));
  {
    std::lock_guard lock(l.observed.mutex);
    for (const auto& [method, params] : l.observed.notifications) {
      // The acknowledgement is the client's own business, not the user's.
      EXPECT_NE(method, kNotificationSubscriptionsAcknowledged);
    }
    const object* meta = json::find_object(l.observed.notifications.back().second, "_meta");
    ASSERT_NE(meta, nullptr);
    EXPECT_TRUE(meta->contains(kMetaSubscriptionId));
  }

  // A second uri re-listens with both; the first stream ends on the server.
  l.client.subscribe("test://b");
  ASSERT_TRUE(l.observed.wait([&] { return l.observed.listens_ended == 1; }));
  l.touch("test://b");
  l.touch("test://a");
  ASSERT_TRUE(l.observed.wait([&] {
    return l.observed.updates_of("test://b") == 1 && l.observed.updates_of("test://a") == 2;
  }));

  // Subscribing twice changes nothing; unsubscribing the last uri ends the stream.
  l.client.subscribe("test://b");
  l.client.unsubscribe("test://a");
  ASSERT_TRUE(l.observed.wait([&] { return l.observed.listens_ended == 2; }));
  l.client.unsubscribe("test://b");
  ASSERT_TRUE(l.observed.wait([&] { return l.observed.listens_ended == 3; }));
}

TEST_P(ClientListen, ARefusedListenThrowsAndKeepsNothingSubscribed) {
  Listening l(GetParam());
  l.server.set_method(std::string(kMethodSubscriptionsListen), [](RequestContext&) -> Outcome {
    return jsonrpc::Error{jsonrpc::error_code::kMethodNotFound, "no listen here", nullptr};
  });
  try {
    l.client.subscribe("test://a");
    FAIL() << "subscribe did not throw";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kMethodNotFound);
  }
  // Nothing is subscribed: unsubscribing is a no-op, not another request.
  l.client.unsubscribe("test://a");
  EXPECT_EQ(l.observed.listens_ended, 1);
}

TEST_P(ClientListen, CloseEndsTheStream) {
  Listening l(GetParam());
  l.client.subscribe("test://a");
  l.client.close();  // returns: the listen thread is joined
  ASSERT_TRUE(l.observed.wait([&] { return l.observed.listens_ended == 1; }));
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientListen, ::testing::Values(Over::memory, Over::http),
                         [](const auto& info) {
                           return std::string(info.param == Over::http ? "Http" : "Memory");
                         });

}  // namespace
}  // namespace glassbox::mcp
