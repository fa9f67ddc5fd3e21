// Golden transcripts of the client: tests/golden/client/*.txt hold what glassbox's Client sends
// ('> ' lines, byte for byte) and what a scripted server answers ('< ' lines), for a fixed
// sequence of calls per file. The server's lines are the script; the client's lines are checked.
// Regenerate the client's lines after an intended change with GLASSBOX_UPDATE_GOLDEN=1 and review
// the diff.
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/memory.hpp"
#include "support/transcript.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>

namespace glassbox::mcp {
namespace {

namespace fs = std::filesystem;

using glassbox::testing::read_transcript;
using glassbox::testing::Transcript;
using glassbox::testing::TranscriptStep;

// The fixed calls of each transcript.
const std::map<std::string, std::function<void(Client&)>>& scripts() {
  static const std::map<std::string, std::function<void(Client&)>> kScripts{
      {"stateless_2026_07_28",
       [](Client& c) {
         c.list_all_tools();
         c.list_all_tools();  // kept for ttlMs: nothing sent
         c.call_tool("deploy", {{"region", "eu-west"}, {"env", "prod"}});
         c.set_logging_level(LogLevel::info);  // no request: it rides in _meta from now on
         c.read_resource("test://status");
       }},
      {"fallback_2025_11_25",
       [](Client& c) {
         c.set_logging_level(LogLevel::info);
         c.call_tool("echo", {{"message", "hi"}});
       }},
  };
  return kScripts;
}

class ClientGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ClientGolden, ClientSendsExactly) {
  const char* source_dir = std::getenv("GLASSBOX_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest, or set GLASSBOX_SOURCE_DIR to the checkout";
  fs::path path = fs::path(source_dir) / "tests/golden/client" / (GetParam() + ".txt");
  Transcript t = read_transcript(path);
  ASSERT_FALSE(t.steps.empty()) << path;
  const bool update = std::getenv("GLASSBOX_UPDATE_GOLDEN") != nullptr;

  std::mutex mutex;
  std::vector<std::string> sent;  // the client's lines, as they crossed
  auto [client_end, server_end] =
      transport::make_memory_pair({.tap = [&](char dir, const std::string& line) {
        if (dir != '>') return;
        std::lock_guard lock(mutex);
        sent.push_back(line);
      }});
  std::size_t next = 0;
  std::promise<void> server_closed;  // no callback runs after on_close: the locals may go
  server_end->start(
      {.on_message =
           [&, server = server_end.get()](jsonrpc::Message, transport::MessageContext) {
             std::vector<std::string> replies;
             {
               std::lock_guard lock(mutex);
               if (next >= t.steps.size()) {
                 ADD_FAILURE() << "the client sent more than the transcript holds: " << sent.back();
                 return;
               }
               // The tap saw each line before it was delivered, in the order of delivery.
               const std::string& line = sent.at(next);
               TranscriptStep& step = t.steps[next++];
               if (update) {
                 step.send = line;
               } else {
                 EXPECT_EQ(line, step.send) << "step " << next;
               }
               replies = step.expected;
             }
             for (const std::string& reply : replies) {
               auto parsed = jsonrpc::parse(reply);
               ASSERT_TRUE(parsed.message) << "not JSON-RPC in the transcript: " << reply;
               server->send(*parsed.message);
             }
           },
       .on_close = [&] { server_closed.set_value(); }});

  ClientOptions options{.name = "golden-client", .version = "1.0.0"};
  options.elicitation_handler = [](const json::object&) -> json::value {
    return json::object{{"action", "accept"}, {"content", {{"confirm", true}}}};
  };
  options.propagate_trace_context = false;
  Client client(options);
  client.connect(client_end);
  scripts().at(GetParam())(client);
  client.close();
  server_closed.get_future().wait();
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(next, t.steps.size()) << "the client sent fewer messages than the transcript holds";
  }
  if (update) glassbox::testing::write_transcript(path, t);
}

INSTANTIATE_TEST_SUITE_P(Transcripts, ClientGolden,
                         ::testing::Values("stateless_2026_07_28", "fallback_2025_11_25"));

}  // namespace
}  // namespace glassbox::mcp
