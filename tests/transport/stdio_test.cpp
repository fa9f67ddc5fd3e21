#include "glassbox/transport/stdio.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
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
TEST(StdioTransport, ASlowCallbackHandsReadingToAnotherThread) {
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  auto t = make_stdio_transport({.read_fd = in[0], .write_fd = out[1]});
  EXPECT_TRUE(t->callbacks_may_block());
  std::mutex m;
  std::condition_variable cv;
  bool second_arrived = false;
  bool first_saw_second = false;
  t->start({.on_message =
                [&](jsonrpc::Message msg, MessageContext) {
                  std::unique_lock lock(m);
                  if (std::get<jsonrpc::Request>(msg).method == "slow") {
                    // Blocks until the next message is delivered, which only another thread can.
                    first_saw_second = cv.wait_for(lock, 10s, [&] { return second_arrived; });
                  } else {
                    second_arrived = true;
                  }
                  cv.notify_all();
                },
            .on_close = [] {}});
  std::string input = R"({"jsonrpc":"2.0","id":1,"method":"slow"})"
                      "\n"
                      R"({"jsonrpc":"2.0","id":2,"method":"ping"})"
                      "\n";
  ASSERT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return first_saw_second; }));
  }
  t->close();
  t.reset();
  for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
}

// will_block(): a callback about to wait for a later message hands reading over at once.
TEST(StdioTransport, WillBlockMovesReadingBeforeTheCallbackWaits) {
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  auto t = make_stdio_transport({.read_fd = in[0], .write_fd = out[1]});
  std::mutex m;
  std::condition_variable cv;
  int delivered = 0;
  bool answered = false;
  Transport* raw = t.get();
  t->start({.on_message =
                [&](jsonrpc::Message msg, MessageContext) {
                  if (std::holds_alternative<jsonrpc::Request>(msg)) {
                    raw->will_block();
                    std::unique_lock lock(m);
                    ++delivered;
                    cv.notify_all();
                    answered = cv.wait_for(lock, 10s, [&] { return delivered == 2; });
                  } else {
                    std::lock_guard lock(m);
                    ++delivered;
                  }
                  cv.notify_all();
                },
            .on_close = [] {}});
  std::string first = R"({"jsonrpc":"2.0","id":1,"method":"ask"})"
                      "\n";
  ASSERT_EQ(::write(in[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return delivered == 1; }));
  }
  std::string answer = R"({"jsonrpc":"2.0","id":7,"result":{}})"
                       "\n";
  ASSERT_EQ(::write(in[1], answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return answered; }));
  }
  t->close();
  t.reset();
  for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
}

}  // namespace
}  // namespace glassbox::transport
