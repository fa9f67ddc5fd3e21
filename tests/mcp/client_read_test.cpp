// A blocking call over stdio reads its own answer on the calling thread when it is the only one
// waiting (Transport::read_on_caller, with the wait kept in the request's own state:
// Session::Pending::ReadWait): what arrives before the answer (a progress notification) is
// delivered there too, every call gets its answer and its notification once, and two callers at
// once are both answered.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/stdio.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

std::string text_of(const CallToolResult& r) {
  if (r.content.empty() || !r.content[0].is_object()) return "";
  const json::string* text = json::find_string(r.content[0].as_object(), "text");
  return text ? std::string(*text) : "";
}

// A server whose tool reports progress once before it answers, and a client whose transport's
// standby leader never resumes reading on its own tick (only callers move reading).
struct OverPipes {
  OverPipes() {
    server.add_tool({.name = "step"}, [](const json::object& args, RequestContext& ctx) {
      ctx.progress(1);
      const json::string* n = json::find_string(args, "n");
      return CallToolResult::text(n ? std::string(*n) : "");
    });
    EXPECT_EQ(::pipe(to_server), 0);
    EXPECT_EQ(::pipe(to_client), 0);
    served.emplace(server.connect(
        transport::make_stdio_transport({.read_fd = to_server[0], .write_fd = to_client[1]})));
    client.connect(transport::make_stdio_transport(
        {.read_fd = to_client[0], .write_fd = to_server[1], .handoff_after = 1h}));
  }
  ~OverPipes() {
    client.close();
    ::close(to_server[1]);  // the server sees the end of its input
    served->wait();
    served->close();
    for (int fd : {to_server[0], to_client[0], to_client[1]}) ::close(fd);
  }
  Server server;
  std::optional<ServerSession> served;
  Client client;
  int to_server[2] = {-1, -1};
  int to_client[2] = {-1, -1};
};

TEST(ClientRead, ALoneBlockingCallerReadsWhatComesForItOnItsOwnThread) {
  OverPipes p;
  int on_caller = 0;
  // A caller back before the reader stood by (a loaded machine) finds it reading: go on past
  // 50 calls until one has read for itself, up to a bound only a client that never lets it reaches.
  for (int n = 0; n < 50 || (on_caller == 0 && n < 2000); ++n) {
    std::vector<std::thread::id> progress_threads;
    CallToolResult r = p.client.call_tool("step", {{"n", std::to_string(n)}},
                                          {.on_progress = [&](const ProgressUpdate&) {
                                            progress_threads.push_back(std::this_thread::get_id());
                                          }});
    EXPECT_EQ(text_of(r), std::to_string(n));
    ASSERT_EQ(progress_threads.size(), 1u) << n;  // before the answer, once
    if (progress_threads[0] == std::this_thread::get_id()) ++on_caller;
  }
  EXPECT_GT(on_caller, 0);  // in practice nearly every call after the first
}

TEST(ClientRead, TwoBlockingCallersAtOnceAreBothAnswered) {
  OverPipes p;
  std::atomic<int> answered{0};
  auto calls = [&](int base) {
    for (int n = base; n < base + 50; ++n) {
      std::atomic<int> progress{0};
      CallToolResult r =
          p.client.call_tool("step", {{"n", std::to_string(n)}},
                             {.on_progress = [&](const ProgressUpdate&) { ++progress; }});
      if (text_of(r) == std::to_string(n) && progress.load() == 1) ++answered;
    }
  };
  std::thread other(calls, 1000);
  calls(0);
  other.join();
  EXPECT_EQ(answered.load(), 100);
}

}  // namespace
}  // namespace glassbox::mcp
