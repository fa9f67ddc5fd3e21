// The client's asynchronous calls (Client::request_async, call_tool_async) against a glassbox
// server, over the in-memory pair and over real stdio pipes: each completion runs exactly once,
// with the result, the error, the timeout, the cancellation or the end of the connection; many
// calls in flight from one thread; a call started from inside a completion; the middleware and
// the 2026-07-28 revision as the blocking call has them.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"
#include "glassbox/transport/stdio.hpp"
#include "mcp/test_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

// Records each call's completions by call number: how many times, on which thread, with what.
class Completions {
 public:
  std::function<void(Client::CallToolOutcome)> for_call(int n) {
    return [this, n](Client::CallToolOutcome outcome) {
      std::lock_guard lock(mutex_);
      Entry& e = entries_[n];
      ++e.times;
      e.thread = std::this_thread::get_id();
      e.outcome = std::move(outcome);
      cv_.notify_all();
    };
  }
  // Waits until `n` calls have completed at least once.
  bool wait(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return entries_.size() >= n; });
  }
  int times(int n) {
    std::lock_guard lock(mutex_);
    return entries_.count(n) ? entries_[n].times : 0;
  }
  Client::CallToolOutcome outcome(int n) {
    std::lock_guard lock(mutex_);
    return entries_.at(n).outcome;
  }
  std::thread::id thread(int n) {
    std::lock_guard lock(mutex_);
    return entries_.at(n).thread;
  }

 private:
  struct Entry {
    int times = 0;
    std::thread::id thread;
    Client::CallToolOutcome outcome;
  };
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int, Entry> entries_;
};

std::string text_of(const Client::CallToolOutcome& outcome) {
  if (outcome.index() != 0) return "error: " + std::get<1>(outcome).message;
  const CallToolResult& r = std::get<0>(outcome);
  if (r.content.empty() || !r.content[0].is_object()) return "";
  const json::string* text = json::find_string(r.content[0].as_object(), "text");
  return text ? std::string(*text) : "";
}

int error_code(const Client::CallToolOutcome& outcome) {
  return outcome.index() == 1 ? std::get<1>(outcome).code : 0;
}

enum class Wire { memory, stdio };

// A glassbox server with the test fixtures (plus a tool held until the test lets it go), and a
// client connected to it over the in-memory pair or over two pipes with the stdio transport.
// The two pipes of a stdio connection; closed last, after both ends have stopped.
struct Pipes {
  int to_server[2] = {-1, -1};
  int to_client[2] = {-1, -1};
  void close_one(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Pipes() {
    for (int* fd : {&to_server[0], &to_server[1], &to_client[0], &to_client[1]}) close_one(*fd);
  }
};

class Connected {
 public:
  Connected(Wire wire, ClientOptions options = {}) : client(std::move(options)) {
    testing::add_test_fixtures(server);
    server.add_tool({.name = "held"}, [this](const json::object&, RequestContext& ctx) {
      {
        std::lock_guard lock(held_mutex);
        ++held_started;
        held_cv.notify_all();
      }
      std::unique_lock lock(held_mutex);
      held_cv.wait_for(lock, ctx.stop_token(), 10s, [&] { return released; });
      held_cancelled = ctx.cancelled();
      held_cv.notify_all();
      return CallToolResult::text("released");
    });
    if (wire == Wire::memory) {
      auto [c, s] = transport::make_memory_pair();
      served.emplace(server.connect(s));
      client.connect(c);
      return;
    }
    EXPECT_EQ(::pipe(pipes.to_server), 0);
    EXPECT_EQ(::pipe(pipes.to_client), 0);
    served.emplace(server.connect(transport::make_stdio_transport(
        {.read_fd = pipes.to_server[0], .write_fd = pipes.to_client[1]})));
    client.connect(transport::make_stdio_transport(
        {.read_fd = pipes.to_client[0], .write_fd = pipes.to_server[1]}));
  }
  ~Connected() {
    release();
    client.close();
    // The server sees the end of its input and answers what it has; the pipes close last.
    pipes.close_one(pipes.to_server[1]);
    served->wait();
    served->close();
  }
  void release() {
    std::lock_guard lock(held_mutex);
    released = true;
    held_cv.notify_all();
  }
  bool wait_held_started(int n) {
    std::unique_lock lock(held_mutex);
    return held_cv.wait_for(lock, 10s, [&] { return held_started >= n; });
  }

  Pipes pipes;
  Server server;
  std::optional<ServerSession> served;
  Client client;
  std::mutex held_mutex;
  std::condition_variable_any held_cv;  // the handler also wakes on its cancellation
  int held_started = 0;
  bool released = false;
  bool held_cancelled = false;
};

class ClientAsync : public ::testing::TestWithParam<Wire> {};

TEST_P(ClientAsync, AnAnswerCompletesOnceWithTheResult) {
  Completions done;
  {
    Connected c(GetParam());
    c.client.call_tool_async("echo", {{"message", "hi"}}, {}, done.for_call(0));
    ASSERT_TRUE(done.wait(1));
    EXPECT_EQ(text_of(done.outcome(0)), "Echo: hi");
    // A blocking call after it on the same connection still works (ids do not collide).
    EXPECT_EQ(c.client.call_tool("echo", {{"message", "again"}}).content.size(), 1u);
  }
  // The connection closed since: nothing completed the call a second time.
  EXPECT_EQ(done.times(0), 1);
}

TEST_P(ClientAsync, ErrorsOfBothTiersCompleteOnce) {
  Completions done;
  {
    Connected c(GetParam());
    c.client.call_tool_async("protocol_error", {}, {}, done.for_call(0));
    c.client.call_tool_async("fail", {}, {}, done.for_call(1));
    c.client.call_tool_async("no-such-tool", {}, {}, done.for_call(2));
    ASSERT_TRUE(done.wait(3));
    ASSERT_EQ(done.outcome(0).index(), 1u);
    const jsonrpc::Error e = std::get<1>(done.outcome(0));
    EXPECT_EQ(e.code, jsonrpc::error_code::kInvalidParams);
    EXPECT_EQ(e.message, "denied by policy");
    EXPECT_EQ(json::as_object_or_empty(e.data).at("policy").as_string(), "p1");
    ASSERT_EQ(done.outcome(1).index(), 0u);  // a tool's failure is a result
    EXPECT_TRUE(std::get<0>(done.outcome(1)).is_error);
    const Client::CallToolOutcome unknown = done.outcome(2);
    EXPECT_TRUE(unknown.index() == 1 || std::get<0>(unknown).is_error);
  }
  for (int n = 0; n < 3; ++n) EXPECT_EQ(done.times(n), 1) << n;
}

TEST_P(ClientAsync, ATimeoutCompletesOnceAndTheServerIsTold) {
  Completions done;
  {
    Connected c(GetParam());
    auto started = std::chrono::steady_clock::now();
    c.client.call_tool_async("held", {}, {.timeout = 100ms}, done.for_call(0));
    ASSERT_TRUE(done.wait(1));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);  // not the 10 s hold
    EXPECT_EQ(error_code(done.outcome(0)), jsonrpc::error_code::kRequestTimeout);
    EXPECT_NE(std::get<1>(done.outcome(0)).message.find("100 ms"), std::string::npos);
    // The server was told (notifications/cancelled): its handler sees the cancellation.
    ASSERT_TRUE(c.wait_held_started(1));
    std::unique_lock lock(c.held_mutex);
    EXPECT_TRUE(c.held_cv.wait_for(lock, 10s, [&] { return c.held_cancelled; }));
  }
  EXPECT_EQ(done.times(0), 1);
}

TEST_P(ClientAsync, ClosingCompletesEveryPendingCallOnce) {
  Completions done;
  Connected c(GetParam());
  c.client.call_tool_async("held", {}, {}, done.for_call(0));
  c.client.call_tool_async("held", {}, {}, done.for_call(1));
  ASSERT_TRUE(c.wait_held_started(2));
  c.client.close();
  // Both complete with the connection's end: close() completes what is still pending, but the
  // end of the connection may have taken a call out on the transport's thread first, whose
  // completion can finish just after close() returns (client.hpp; 1 run in 468 under TSan).
  ASSERT_TRUE(done.wait(2));
  EXPECT_EQ(done.times(0), 1);
  EXPECT_EQ(done.times(1), 1);
  EXPECT_EQ(error_code(done.outcome(0)), jsonrpc::error_code::kConnectionClosed);
  EXPECT_EQ(error_code(done.outcome(1)), jsonrpc::error_code::kConnectionClosed);
  // A call after close completes at once, on the calling thread.
  c.client.call_tool_async("echo", {{"message", "late"}}, {}, done.for_call(2));
  EXPECT_EQ(done.times(2), 1);
  EXPECT_EQ(done.thread(2), std::this_thread::get_id());
  EXPECT_EQ(error_code(done.outcome(2)), jsonrpc::error_code::kConnectionClosed);
  c.release();
}

TEST_P(ClientAsync, ACancelledCallCompletesOnceAndTheServerIsTold) {
  Completions done;
  Connected c(GetParam());
  std::stop_source stop;
  c.client.call_tool_async("held", {}, {.cancel = stop.get_token()}, done.for_call(0));
  ASSERT_TRUE(c.wait_held_started(1));
  stop.request_stop();
  ASSERT_TRUE(done.wait(1));
  EXPECT_EQ(error_code(done.outcome(0)), jsonrpc::error_code::kRequestCancelled);
  EXPECT_EQ(done.thread(0), std::this_thread::get_id());  // the stopping thread
  std::unique_lock lock(c.held_mutex);
  EXPECT_TRUE(c.held_cv.wait_for(lock, 10s, [&] { return c.held_cancelled; }));
  lock.unlock();
  // A token stopped before the call: it never waits.
  std::stop_source already;
  already.request_stop();
  c.client.call_tool_async("echo", {{"message", "x"}}, {.cancel = already.get_token()},
                           done.for_call(1));
  ASSERT_TRUE(done.wait(2));
  EXPECT_EQ(error_code(done.outcome(1)), jsonrpc::error_code::kRequestCancelled);
  EXPECT_EQ(done.times(0), 1);
  EXPECT_EQ(done.times(1), 1);
}

// The blocking call's own paths (Session::request_lending), on the same fixture: a stop from
// another thread and a timeout each end the call at once with their error, the server is told,
// and the connection carries the next call (over stdio one the caller reads itself).
TEST_P(ClientAsync, ABlockingCallStoppedFromAnotherThreadThrowsCancelled) {
  Connected c(GetParam());
  std::stop_source stop;
  std::promise<int> code;
  std::thread caller([&] {
    try {
      c.client.call_tool("held", {}, {.cancel = stop.get_token()});
      code.set_value(0);
    } catch (const ProtocolError& e) {
      code.set_value(e.error().code);
    }
  });
  ASSERT_TRUE(c.wait_held_started(1));
  stop.request_stop();
  std::future<int> thrown = code.get_future();
  ASSERT_EQ(thrown.wait_for(10s), std::future_status::ready);  // not the 10 s hold
  EXPECT_EQ(thrown.get(), jsonrpc::error_code::kRequestCancelled);
  caller.join();
  {
    std::unique_lock lock(c.held_mutex);
    EXPECT_TRUE(c.held_cv.wait_for(lock, 10s, [&] { return c.held_cancelled; }));
  }
  EXPECT_EQ(text_of(c.client.call_tool("echo", {{"message", "next"}})), "Echo: next");
}

TEST_P(ClientAsync, ABlockingCallTimesOutAndTheNextCallIsAnswered) {
  Connected c(GetParam());
  try {
    c.client.call_tool("held", {}, {.timeout = 100ms});
    ADD_FAILURE() << "the held call returned";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kRequestTimeout);
    EXPECT_NE(e.error().message.find("100 ms"), std::string::npos);
  }
  {
    std::unique_lock lock(c.held_mutex);
    EXPECT_TRUE(c.held_cv.wait_for(lock, 10s, [&] { return c.held_cancelled; }));
  }
  for (int n = 0; n < 3; ++n) {
    std::string message = "after " + std::to_string(n);
    EXPECT_EQ(text_of(c.client.call_tool("echo", {{"message", message}})), "Echo: " + message);
  }
}

TEST_P(ClientAsync, TwoHundredCallsInFlightFromOneThread) {
  Completions done;
  Connected c(GetParam());
  constexpr int kCalls = 200;
  for (int n = 0; n < kCalls; ++n)
    c.client.call_tool_async("echo", {{"message", std::to_string(n)}}, {}, done.for_call(n));
  ASSERT_TRUE(done.wait(kCalls));
  for (int n = 0; n < kCalls; ++n) {
    EXPECT_EQ(text_of(done.outcome(n)), "Echo: " + std::to_string(n));
    EXPECT_EQ(done.times(n), 1);
  }
  // Nothing blocked this thread: the answers were delivered by the transport's reader. (An
  // answer that comes while its call is still being sent completes here, client.hpp: on a
  // loaded machine that happens to some calls, never to all.)
  if (GetParam() == Wire::stdio) {
    int here = 0;
    for (int n = 0; n < kCalls; ++n) here += done.thread(n) == std::this_thread::get_id() ? 1 : 0;
    EXPECT_LT(here, kCalls);
  }
}

TEST_P(ClientAsync, ACompletionStartsTheNextCall) {
  Connected c(GetParam());
  constexpr int kChain = 50;
  std::promise<int> finished;
  std::atomic<int> answered{0};
  std::function<void(int)> next = [&](int n) {
    c.client.call_tool_async("echo", {{"message", std::to_string(n)}}, {},
                             [&, n](Client::CallToolOutcome outcome) {
                               if (text_of(outcome) != "Echo: " + std::to_string(n))
                                 return finished.set_value(-n);
                               ++answered;
                               if (n + 1 == kChain) return finished.set_value(n + 1);
                               next(n + 1);
                             });
  };
  next(0);
  auto result = finished.get_future();
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(result.get(), kChain);
  EXPECT_EQ(answered.load(), kChain);
}

// Sixteen chains at once, as the benchmark runs them: the answers of one read start the next
// calls from inside the reader's batch (over stdio they leave four to a write, the rest at the
// batch's end). Every call is answered with its own result, exactly once.
TEST_P(ClientAsync, SixteenChainsOfCallsStartedFromCompletions) {
  Completions done;
  Connected c(GetParam());
  constexpr int kChains = 16;
  constexpr int kLength = 40;
  std::function<void(int)> next = [&](int n) {
    c.client.call_tool_async("echo", {{"message", std::to_string(n)}}, {},
                             [&, n, record = done.for_call(n)](Client::CallToolOutcome outcome) {
                               record(std::move(outcome));
                               if ((n + 1) % kLength != 0) next(n + 1);
                             });
  };
  for (int chain = 0; chain < kChains; ++chain) next(chain * kLength);
  ASSERT_TRUE(done.wait(kChains * kLength));
  for (int n = 0; n < kChains * kLength; ++n) {
    EXPECT_EQ(text_of(done.outcome(n)), "Echo: " + std::to_string(n));
    EXPECT_EQ(done.times(n), 1) << n;
  }
}

TEST_P(ClientAsync, ProgressReachesTheCallsCallback) {
  Completions done;
  Connected c(GetParam());
  std::mutex m;
  std::vector<double> seen;
  c.client.call_tool_async("progress", {},
                           {.on_progress =
                                [&](const ProgressUpdate& u) {
                                  std::lock_guard lock(m);
                                  seen.push_back(u.progress);
                                }},
                           done.for_call(0));
  ASSERT_TRUE(done.wait(1));
  EXPECT_EQ(text_of(done.outcome(0)), "progressed");
  std::lock_guard lock(m);
  EXPECT_EQ(seen, (std::vector<double>{1, 2, 3}));  // each before the answer, in order
}

// A middleware without an asynchronous form: the call runs as a blocking one on a worker.
TEST(ClientAsyncRaw, ABlockingOnlyMiddlewareStillWrapsTheCall) {
  Server server;
  testing::add_test_fixtures(server);
  Client client;
  std::atomic<int> wrapped{0};
  client.use([&](OutgoingRequest& r, const OutgoingHandler& send) {
    if (r.method == "tools/call") ++wrapped;
    return send(r);
  });
  auto [a, b] = transport::make_memory_pair();
  server.connect(b);
  client.connect(a);
  Completions done;
  client.call_tool_async("echo", {{"message", "w"}}, {}, done.for_call(0));
  ASSERT_TRUE(done.wait(1));
  EXPECT_EQ(text_of(done.outcome(0)), "Echo: w");
  EXPECT_EQ(wrapped.load(), 1);
  client.close();
}

INSTANTIATE_TEST_SUITE_P(Wires, ClientAsync, ::testing::Values(Wire::memory, Wire::stdio),
                         [](const auto& info) {
                           return info.param == Wire::memory ? "memory" : "stdio";
                         });

// 2025-11-25 on request too: the request_async form of any method, with the session's handshake.
TEST(ClientAsyncRaw, RequestAsyncOnA2025Session) {
  Connected c(Wire::memory, {.revision = ProtocolRevision::k2025_11_25});
  std::promise<Outcome> answered;
  c.client.request_async("tools/list", {}, {},
                         [&](Outcome o) { answered.set_value(std::move(o)); });
  auto f = answered.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  Outcome o = f.get();
  ASSERT_EQ(o.index(), 0u);
  EXPECT_GE(json::find_array(json::as_object_or_empty(std::get<0>(o)), "tools")->size(), 5u);
  EXPECT_EQ(c.client.revision(), ProtocolRevision::k2025_11_25);
}

}  // namespace
}  // namespace glassbox::mcp
