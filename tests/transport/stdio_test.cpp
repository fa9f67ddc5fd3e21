#include "glassbox/transport/stdio.hpp"

#include "support/caller_wait.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::transport {
namespace {

using namespace std::chrono_literals;

// Collects what a transport delivers, for assertions from the test thread.
struct Inbox {
  std::mutex m;
  std::condition_variable cv;
  std::vector<jsonrpc::Message> messages;
  bool closed = false;

  Callbacks callbacks() {
    return {.on_message =
                [this](jsonrpc::Message msg, MessageContext) {
                  std::lock_guard lock(m);
                  messages.push_back(std::move(msg));
                  cv.notify_all();
                },
            .on_close =
                [this] {
                  std::lock_guard lock(m);
                  closed = true;
                  cv.notify_all();
                }};
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 10s, [&] { return messages.size() >= n; });
  }
  bool wait_closed() {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 10s, [&] { return closed; });
  }
};

TEST(ProcessTransport, TalksToAChildAndEndsItCleanly) {
  // `cat` answers every line with itself: a request comes back as a request.
  auto t = spawn_process({.argv = {"cat"}});
  Inbox inbox;
  t->start(inbox.callbacks());
  ASSERT_TRUE(t->send(jsonrpc::Request{jsonrpc::Id{1}, "ping", nullptr}));
  ASSERT_TRUE(inbox.wait_for(1));
  EXPECT_EQ(std::get<jsonrpc::Request>(inbox.messages[0]).method, "ping");
  t->close();  // closes cat's stdin: it exits, the reader sees end of input
  EXPECT_TRUE(inbox.wait_closed());
  EXPECT_FALSE(t->send(jsonrpc::Notification{"x", nullptr}));
}

TEST(ProcessTransport, AChildThatIgnoresEndOfInputIsTerminated) {
  auto t = spawn_process({.argv = {"sh", "-c", "exec sleep 30"}, .shutdown_grace = 100ms});
  Inbox inbox;
  t->start(inbox.callbacks());
  auto start = std::chrono::steady_clock::now();
  t->close();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // SIGTERM after the grace period
  EXPECT_TRUE(inbox.wait_closed());  // callbacks may run until on_close: the inbox must outlive it
}

TEST(ProcessTransport, AMissingProgramThrows) {
  EXPECT_THROW(spawn_process({.argv = {"/nonexistent/glassbox-no-such-program"}}),
               std::system_error);
}

TEST(StdioTransport, MalformedLinesAreAnsweredAndTheConnectionLivesOn) {
  int in[2], out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  auto t = make_stdio_transport({.read_fd = in[0], .write_fd = out[1], .max_message_bytes = 64});
  Inbox inbox;
  t->start(inbox.callbacks());
  std::string input =
      "not json\n" + std::string(100, 'x') + "\n{\"jsonrpc\":\"2.0\",\"method\":\"ok\"}\n";
  ASSERT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ASSERT_TRUE(inbox.wait_for(1));
  EXPECT_EQ(std::get<jsonrpc::Notification>(inbox.messages[0]).method, "ok");
  char buf[1024];
  std::string answers;
  while (std::count(answers.begin(), answers.end(), '\n') < 2) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    answers.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_NE(answers.find("-32700"), std::string::npos);
  EXPECT_NE(answers.find("exceeds the limit of 64 bytes"), std::string::npos);
  ::close(in[1]);  // end of input
  EXPECT_TRUE(inbox.wait_closed());
  // After end of input, answers still go out until close().
  EXPECT_TRUE(t->send(jsonrpc::Notification{"late", nullptr}));
  t->close();
  ::close(in[0]);
  ::close(out[0]);
  ::close(out[1]);
}

}  // namespace
}  // namespace glassbox::transport

namespace glassbox::transport {
namespace {

// The leader/follower reader: a callback that blocks does not stop delivery of what follows.
// Callbacks may outlive the test body (until on_close has run), so their state is shared.
struct Shared {
  std::mutex m;
  std::condition_variable cv;
  int delivered = 0;
  bool second_arrived = false;
  bool done = false;
  bool closed = false;

  std::function<void()> on_close() {
    return [this] {
      std::lock_guard lock(m);
      closed = true;
      cv.notify_all();
    };
  }
  // The reader no longer touches the descriptors once on_close has run.
  void wait_closed() {
    std::unique_lock lock(m);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return closed; }));
  }
};

struct Pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  Pipes() {
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
  }
  ~Pipes() {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
  }
  void write(std::string_view line) const {
    std::string bytes = std::string(line) + "\n";
    EXPECT_EQ(::write(in[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
};

TEST(StdioTransport, ASlowCallbackHandsReadingToAnotherThread) {
  Pipes pipes;
  auto t = make_stdio_transport({.read_fd = pipes.in[0], .write_fd = pipes.out[1]});
  EXPECT_TRUE(t->callbacks_may_block());
  auto s = std::make_shared<Shared>();
  t->start({.on_message =
                [s](jsonrpc::Message msg, MessageContext) {
                  std::unique_lock lock(s->m);
                  if (std::get<jsonrpc::Request>(msg).method == "slow") {
                    // Waits for the next message, which only another reading thread can deliver.
                    s->done = s->cv.wait_for(lock, 10s, [&] { return s->second_arrived; });
                  } else {
                    s->second_arrived = true;
                  }
                  s->cv.notify_all();
                },
            .on_close = s->on_close()});
  pipes.write(R"({"jsonrpc":"2.0","id":1,"method":"slow"})");
  pipes.write(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  std::unique_lock lock(s->m);
  EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->done; }));
  lock.unlock();
  t->close();
  s->wait_closed();
}

// The reader waits in read() without a poll: close() still ends the transport at once, and the
// input that read() gets afterwards is dropped, never delivered.
TEST(StdioTransport, CloseWhileTheReaderWaitsInReadEndsAtOnceAndDropsLaterInput) {
  Pipes pipes;
  auto t = make_stdio_transport({.read_fd = pipes.in[0], .write_fd = pipes.out[1]});
  auto s = std::make_shared<Shared>();
  t->start({.on_message =
                [s](jsonrpc::Message, MessageContext) {
                  std::lock_guard lock(s->m);
                  ++s->delivered;
                  s->cv.notify_all();
                },
            .on_close = s->on_close()});
  pipes.write(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  {
    std::unique_lock lock(s->m);
    ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 1; }));
  }
  // The reader is back in read() (or on its way there) with the input still open.
  t->close();
  s->wait_closed();
  std::weak_ptr<Transport> weak = t;
  t.reset();
  pipes.write(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  ::close(pipes.in[1]);
  pipes.in[1] = -1;
  // The reading thread holds the transport until its read() returns and drops the line.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!weak.expired() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(weak.expired());
  std::lock_guard lock(s->m);
  EXPECT_EQ(s->delivered, 1);
}

// will_block(): a callback about to wait for a later message hands reading over at once.
TEST(StdioTransport, WillBlockMovesReadingBeforeTheCallbackWaits) {
  Pipes pipes;
  // No watchdog hand-off within the test's life: only will_block() can let the answer be read
  // while the callback waits for it (without the call, the wait below times out).
  auto t = make_stdio_transport(
      {.read_fd = pipes.in[0], .write_fd = pipes.out[1], .handoff_after = std::chrono::hours(1)});
  auto s = std::make_shared<Shared>();
  std::weak_ptr<Transport> weak = t;
  t->start({.on_message =
                [s, weak](jsonrpc::Message msg, MessageContext) {
                  if (std::holds_alternative<jsonrpc::Request>(msg)) {
                    if (auto transport = weak.lock()) transport->will_block();
                    std::unique_lock lock(s->m);
                    ++s->delivered;
                    s->cv.notify_all();
                    s->done = s->cv.wait_for(lock, 10s, [&] { return s->delivered == 2; });
                  } else {
                    std::lock_guard lock(s->m);
                    ++s->delivered;
                  }
                  s->cv.notify_all();
                },
            .on_close = s->on_close()});
  pipes.write(R"({"jsonrpc":"2.0","id":1,"method":"ask"})");
  std::unique_lock lock(s->m);
  ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 1; }));
  lock.unlock();
  pipes.write(R"({"jsonrpc":"2.0","id":7,"result":{}})");
  lock.lock();
  EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->done; }));
  lock.unlock();
  t->close();
  s->wait_closed();
}

// A lone caller reads its own answer on its own thread once the reader stands by, and a caller
// that is not alone hands reading back to the reader thread.
TEST(StdioTransport, ALoneCallerReadsItsOwnAnswer) {
  Pipes pipes;
  // No standby tick within the test's life: only callers move reading.
  auto t = make_stdio_transport(
      {.read_fd = pipes.in[0], .write_fd = pipes.out[1], .handoff_after = std::chrono::hours(1)});
  struct Seen {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::thread::id> threads;
  };
  auto seen = std::make_shared<Seen>();
  t->start({.on_message = [seen](jsonrpc::Message, MessageContext) {
    std::lock_guard lock(seen->m);
    seen->threads.push_back(std::this_thread::get_id());
    seen->cv.notify_all();
  }});
  auto count = [seen] {
    std::lock_guard lock(seen->m);
    return seen->threads.size();
  };
  auto caller = [&](std::size_t answers, bool alone) {
    return testing::caller_read([count, answers] { return count() >= answers; },
                                [alone] { return alone; }, std::chrono::steady_clock::now() + 10s);
  };
  // The reader reads the first answer; the lone caller waiting for it asks it to stand by next.
  EXPECT_FALSE(t->read_on_caller(caller(1, true)));
  pipes.write(R"({"jsonrpc":"2.0","id":1,"result":{}})");
  {
    std::unique_lock lock(seen->m);
    ASSERT_TRUE(seen->cv.wait_for(lock, 10s, [&] { return seen->threads.size() == 1; }));
    EXPECT_NE(seen->threads[0], std::this_thread::get_id());
  }
  // Once the reader stands by, a caller whose answer is in leads at once and returns.
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!t->read_on_caller(caller(1, true)) && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  pipes.write(R"({"jsonrpc":"2.0","id":2,"result":{}})");
  EXPECT_TRUE(t->read_on_caller(caller(2, true)));
  ASSERT_EQ(count(), 2u);
  EXPECT_EQ(seen->threads[1], std::this_thread::get_id());  // read and delivered right here
  // Not alone: the reader thread reads again, and delivers what comes on its own thread.
  EXPECT_FALSE(t->read_on_caller(caller(3, false)));
  pipes.write(R"({"jsonrpc":"2.0","method":"notifications/message","params":{}})");
  {
    std::unique_lock lock(seen->m);
    ASSERT_TRUE(seen->cv.wait_for(lock, 10s, [&] { return seen->threads.size() == 3; }));
    EXPECT_NE(seen->threads[2], std::this_thread::get_id());
  }
  t->close();
}

// A caller reading in the standby leader's place delivers a message whose callback waits for a
// later one: the standby leader (which watches a caller's deliveries in the watchdog's place)
// hands reading to another thread, which delivers the later message.
TEST(StdioTransport, ACallersSlowDeliveryHandsReadingToAnotherThread) {
  Pipes pipes;
  // Long enough that the leader stays in standby between the test's two reads, short enough to
  // hand reading over soon after the slow delivery starts.
  auto t = make_stdio_transport(
      {.read_fd = pipes.in[0], .write_fd = pipes.out[1], .handoff_after = 200ms});
  struct Seen {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::thread::id> threads;
    bool later_seen = false;  // the slow callback saw the message after it delivered
  };
  auto seen = std::make_shared<Seen>();
  t->start({.on_message = [seen](jsonrpc::Message msg, MessageContext) {
    std::unique_lock lock(seen->m);
    seen->threads.push_back(std::this_thread::get_id());
    seen->cv.notify_all();
    if (std::holds_alternative<jsonrpc::Request>(msg)) {
      const std::size_t mine = seen->threads.size();
      seen->later_seen = seen->cv.wait_for(lock, 10s, [&] { return seen->threads.size() > mine; });
    }
  }});
  auto count = [seen] {
    std::lock_guard lock(seen->m);
    return seen->threads.size();
  };
  auto caller = [&](std::size_t answers) {
    return testing::caller_read([count, answers] { return count() >= answers; },
                                [] { return true; }, std::chrono::steady_clock::now() + 10s);
  };
  // The reader reads the first answer, then stands by for this lone caller.
  EXPECT_FALSE(t->read_on_caller(caller(1)));
  pipes.write(R"({"jsonrpc":"2.0","id":1,"result":{}})");
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!t->read_on_caller(caller(1)) && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  // The caller now reads a request whose callback waits for the notification behind it.
  pipes.write(R"({"jsonrpc":"2.0","id":2,"method":"ask"})");
  pipes.write(R"({"jsonrpc":"2.0","method":"notifications/message","params":{}})");
  EXPECT_TRUE(t->read_on_caller(caller(3)));
  {
    std::lock_guard lock(seen->m);
    ASSERT_EQ(seen->threads.size(), 3u);
    EXPECT_EQ(seen->threads[1], std::this_thread::get_id());  // the request, on the caller
    EXPECT_NE(seen->threads[2], std::this_thread::get_id());  // the next, on another reader
    EXPECT_TRUE(seen->later_seen);
  }
  t->close();
}

// ordered_delivery (a relay's need): a slow callback holds the next message back instead of
// letting a second reader deliver it alongside, so the order of arrival is the order of delivery.
TEST(StdioTransport, OrderedDeliveryNeverOverlapsCallbacks) {
  Pipes pipes;
  auto t = make_stdio_transport(
      {.read_fd = pipes.in[0], .write_fd = pipes.out[1], .ordered_delivery = true});
  EXPECT_FALSE(t->callbacks_may_block());
  auto s = std::make_shared<Shared>();
  std::weak_ptr<Transport> weak = t;
  std::vector<std::string> order;
  t->start({.on_message =
                [s, weak, &order](jsonrpc::Message msg, MessageContext) {
                  std::string method = std::get<jsonrpc::Notification>(msg).method;
                  std::unique_lock lock(s->m);
                  order.push_back("begin " + method);
                  if (method == "first") {
                    if (auto transport = weak.lock()) transport->will_block();  // no effect
                    // Bounded: the second must NOT arrive while this callback runs.
                    s->cv.wait_for(lock, 300ms, [&] { return s->second_arrived; });
                  } else {
                    s->second_arrived = true;
                    s->done = true;
                  }
                  order.push_back("end " + method);
                  s->cv.notify_all();
                },
            .on_close = s->on_close()});
  pipes.write(R"({"jsonrpc":"2.0","method":"first"})");
  pipes.write(R"({"jsonrpc":"2.0","method":"second"})");
  std::unique_lock lock(s->m);
  ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->done; }));
  EXPECT_EQ(order,
            (std::vector<std::string>{"begin first", "end first", "begin second", "end second"}));
  lock.unlock();
  t->close();
  s->wait_closed();
}

// ProcessOptions::env: set in the child over this process's environment.
TEST(ProcessTransport, TheChildGetsTheGivenEnvironment) {
  ::setenv("GLASSBOX_STDIO_TEST_KEEP", "kept", 1);
  auto t = spawn_process(
      {.argv = {"sh", "-c",
                R"(printf '{"jsonrpc":"2.0","method":"%s %s"}\n' "$GLASSBOX_STDIO_TEST_SET" )"
                R"("$GLASSBOX_STDIO_TEST_KEEP"; cat)"},
       .env = {{"GLASSBOX_STDIO_TEST_SET", "set"}}});
  Inbox inbox;
  t->start(inbox.callbacks());
  ASSERT_TRUE(inbox.wait_for(1));
  EXPECT_EQ(std::get<jsonrpc::Notification>(inbox.messages[0]).method, "set kept");
  t->close();
  EXPECT_TRUE(inbox.wait_closed());
}

}  // namespace
}  // namespace glassbox::transport
