// glassbox's Client against a server nobody here wrote: the TypeScript SDK v2 server of
// tests/interop/ts2/ts2_server.mjs, over stdio, in MCP 2026-07-28. Its `confirm` tool answers
// input_required with an elicitation; the client's elicitation handler (the one that answers a
// 2025 server's elicitation/create) answers it, and the retried call completes. The peer must
// be installed (node_modules): without it the test fails, it does not skip.
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/stdio.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

namespace glassbox::mcp {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<transport::Transport> spawn_ts2_server() {
  const char* source_dir = std::getenv("GLASSBOX_SOURCE_DIR");
  if (source_dir == nullptr)
    throw std::runtime_error("GLASSBOX_SOURCE_DIR is not set (run under ctest)");
  fs::path node = fs::path(source_dir) / "node_modules/node/bin/node";
  fs::path script = fs::path(source_dir) / "tests/interop/ts2/ts2_server.mjs";
  if (!fs::exists(node) ||
      !fs::exists(fs::path(source_dir) / "node_modules/@modelcontextprotocol/server"))
    throw std::runtime_error("the Node peers are missing: run scripts/install-deps.sh");
  return transport::spawn_process({.argv = {node.string(), script.string(), "--stdio"}});
}

TEST(ClientTs2Peer, AnswersInputRequiredWithItsElicitationHandler) {
  std::atomic<int> asked{0};
  ClientOptions options{.revision = ProtocolRevision::k2026_07_28};
  options.elicitation_handler = [&](const json::object& params) -> json::value {
    ++asked;
    EXPECT_EQ(json::serialize(params.at("message")), R"("Deploy to prod?")");
    return json::object{{"action", "accept"}, {"content", {{"confirm", true}}}};
  };
  Client client(options);
  const InitializeResult& init = client.connect(spawn_ts2_server());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(init.server_info.name, "ts2-server");  // from the result's _meta
  CallToolResult result = client.call_tool("confirm", {{"env", "prod"}});
  EXPECT_EQ(asked.load(), 1);
  EXPECT_EQ(json::serialize(result.to_json().at("content")),
            R"([{"type":"text","text":"confirmed=true for prod"}])");
}

TEST(ClientTs2Peer, AutoSettlesOn2026AndPinned2025UsesInitialize) {
  Client automatic;
  automatic.connect(spawn_ts2_server());
  EXPECT_EQ(automatic.revision(), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(automatic.call_tool("echo", {{"message", "a"}}).content.size(), 1u);

  Client legacy({.revision = ProtocolRevision::k2025_11_25});
  const InitializeResult& init = legacy.connect(spawn_ts2_server());
  EXPECT_EQ(legacy.revision(), ProtocolRevision::k2025_11_25);
  EXPECT_EQ(init.protocol_version, "2025-11-25");
  EXPECT_EQ(legacy.call_tool("echo", {{"message", "b"}}).content.size(), 1u);
}

// subscriptions/listen against the SDK's stdio listen router: the update reaches on_notification
// (as resources/subscribe's did in 2025), stamped with the stream's subscription id.
TEST(ClientTs2Peer, SubscribeListensForResourceUpdates) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<json::object> updates;
  ClientOptions options{.revision = ProtocolRevision::k2026_07_28};
  options.on_notification = [&](const std::string& method, const json::object& params) {
    if (method != "notifications/resources/updated") return;
    std::lock_guard lock(mutex);
    updates.push_back(params);
    changed.notify_all();
  };
  Client client(options);
  client.connect(spawn_ts2_server());
  client.subscribe("test://greeting");
  client.call_tool("touch", {{"uri", "test://greeting"}});
  std::unique_lock lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(20), [&] { return !updates.empty(); }));
  EXPECT_EQ(json::serialize(updates[0].at("uri")), R"("test://greeting")");
  const json::object* meta = json::find_object(updates[0], "_meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_TRUE(meta->contains("io.modelcontextprotocol/subscriptionId"));
  lock.unlock();
  client.unsubscribe("test://greeting");  // cancels the stream; the server takes it
  EXPECT_EQ(client.call_tool("echo", {{"message", "still here"}}).content.size(), 1u);
}

}  // namespace
}  // namespace glassbox::mcp
