// stdio's writes while a batch of messages read together is delivered: lines sent by the batch's
// callbacks (a server's answers, a client's completions starting its next calls) leave four to a
// write while the batch runs; a request sent from another thread meanwhile is not held for it.
#include "glassbox/transport/stdio.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace glassbox::transport {
namespace {

using namespace std::chrono_literals;

// The peer's side of two pipes: writes what the transport reads, reads what it writes.
struct Peer {
  int in[2] = {-1, -1};   // peer -> transport
  int out[2] = {-1, -1};  // transport -> peer
  std::string pending;    // bytes read past the last whole line

  Peer() {
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
  }
  ~Peer() {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
  }
  // Several lines in one write, so that the transport reads them as one batch.
  void write_together(const std::vector<std::string>& lines) const {
    std::string bytes;
    for (const std::string& line : lines) bytes += line + "\n";
    EXPECT_EQ(::write(in[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // The next `n` bytes the transport wrote (fewer when they did not come within the bound): a
  // line of known size read whole even when its bytes are out of order (a failure).
  std::string read_bytes(std::size_t n) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (pending.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          give_up - std::chrono::steady_clock::now());
      pollfd readable{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[4096];
      ssize_t got = ::read(out[0], buffer, sizeof buffer);
      if (got <= 0) break;
      pending.append(buffer, static_cast<std::size_t>(got));
    }
    std::string bytes = pending.substr(0, n);
    pending.erase(0, bytes.size());
    return bytes;
  }
  // The next line the transport wrote; empty when none came within the bound (a failure).
  std::string read_line() {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      if (std::size_t nl = pending.find('\n'); nl != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          give_up - std::chrono::steady_clock::now());
      pollfd readable{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) return {};
      char buffer[4096];
      ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n <= 0) return {};
      pending.append(buffer, static_cast<std::size_t>(n));
    }
  }
};

std::string request_line(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"next"})";
}
std::string answer_line(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":{}})";
}

// What the callbacks share with the test body (they may outlive it until on_close).
struct State {
  std::mutex m;
  std::condition_variable cv;
  int delivered = 0;
  bool released = false;  // the blocked callback may return
  bool closed = false;
};

// The batch: eight lines read together. Each callback sends one line: an answer to the request
// it was given (`answers`), or the next request a completion starts.
void expect_four_to_a_write_while_a_batch_runs(bool answers) {
  Peer peer;
  // No watchdog hand-off within the test's life: only the four-to-a-write rule can let the
  // first lines out while the batch's sixth callback waits (it would flush the batch).
  auto t = make_stdio_transport(
      {.read_fd = peer.in[0], .write_fd = peer.out[1], .handoff_after = std::chrono::hours(1)});
  auto s = std::make_shared<State>();
  std::weak_ptr<Transport> weak = t;
  auto sent_for = [answers](std::int64_t id) {
    return answers ? answer_line(static_cast<int>(id)) : request_line(static_cast<int>(id) + 100);
  };
  t->start({.on_message =
                [s, weak, answers](jsonrpc::Message message, MessageContext) {
                  auto id = answers
                                ? std::get<std::int64_t>(std::get<jsonrpc::Request>(message).id)
                                : std::get<std::int64_t>(std::get<jsonrpc::Response>(message).id);
                  if (auto transport = weak.lock()) {
                    if (answers) {
                      transport->send(jsonrpc::Response{id, json::object{}});
                    } else {
                      transport->send(jsonrpc::Request{id + 100, "next", nullptr});
                    }
                  }
                  std::unique_lock lock(s->m);
                  ++s->delivered;
                  s->cv.notify_all();
                  // The sixth callback holds the batch until the peer has read four lines: they
                  // must have left before the batch's end.
                  if (id == 6) s->cv.wait_for(lock, 10s, [&] { return s->released; });
                },
            .on_close =
                [s] {
                  std::lock_guard lock(s->m);
                  s->closed = true;
                  s->cv.notify_all();
                }});
  std::vector<std::string> batch;
  for (int id = 1; id <= 8; ++id) batch.push_back(answers ? request_line(id) : answer_line(id));
  peer.write_together(batch);
  for (int id = 1; id <= 4; ++id) EXPECT_EQ(peer.read_line(), sent_for(id));
  {
    std::lock_guard lock(s->m);
    EXPECT_LE(s->delivered, 6);  // still inside the batch
    s->released = true;
    s->cv.notify_all();
  }
  // The rest of the batch's lines, in order, once it ends: none lost, none twice.
  for (int id = 5; id <= 8; ++id) EXPECT_EQ(peer.read_line(), sent_for(id));
  {
    std::unique_lock lock(s->m);
    EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 8; }));
  }
  t->close();
  std::unique_lock lock(s->m);
  EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->closed; }));
}

TEST(StdioBatch, RequestsStartedInABatchLeaveFourToAWriteWhileItRuns) {
  expect_four_to_a_write_while_a_batch_runs(false);
}

// A server's answers to requests read together: the client starts on the first four while the
// rest are worked on, instead of idling until the batch's end.
TEST(StdioBatch, AnswersInABatchLeaveFourToAWriteWhileItRuns) {
  expect_four_to_a_write_while_a_batch_runs(true);
}

TEST(StdioBatch, ARequestFromAnotherThreadIsNotHeldForABatch) {
  Peer peer;
  auto t = make_stdio_transport(
      {.read_fd = peer.in[0], .write_fd = peer.out[1], .handoff_after = std::chrono::hours(1)});
  auto s = std::make_shared<State>();
  t->start({.on_message =
                [s](jsonrpc::Message, MessageContext) {
                  std::unique_lock lock(s->m);
                  ++s->delivered;
                  s->cv.notify_all();
                  // The batch's first callback waits until the peer has the lone request.
                  if (s->delivered == 1) s->cv.wait_for(lock, 10s, [&] { return s->released; });
                },
            .on_close =
                [s] {
                  std::lock_guard lock(s->m);
                  s->closed = true;
                  s->cv.notify_all();
                }});
  peer.write_together({answer_line(1), answer_line(2)});
  {
    std::unique_lock lock(s->m);
    ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 1; }));
  }
  // A call started on this thread while the reader is inside the batch goes out at once.
  EXPECT_TRUE(t->send(jsonrpc::Request{42, "next", nullptr}));
  EXPECT_EQ(peer.read_line(), request_line(42));
  {
    std::lock_guard lock(s->m);
    s->released = true;
    s->cv.notify_all();
  }
  {
    std::unique_lock lock(s->m);
    EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 2; }));
  }
  t->close();
  std::unique_lock lock(s->m);
  EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->closed; }));
}

// A passback answer's text goes out without being copied into the line first (it is copied where
// the line goes: the batch, or the pipe by writev): the lines are serialize()'s all the same, in
// a batch and outside one, with the text where a placeholder was and where none was.
TEST(StdioBatch, AnswersWithARawTextGoOutAsSerializeWritesThem) {
  static constexpr std::string_view kPath[] = {"_meta", "otel", "traces"};
  auto answer = [](std::int64_t id) {
    // Text longer than a pipe write that is atomic, and different for each answer.
    std::string text = R"({"id":)" + std::to_string(id) + R"(,"pad":")" +
                       std::string(5000 + static_cast<std::size_t>(id), 'x') + R"("})";
    json::object result{{"content", json::array{"c"}}};
    if (id % 2 == 0) result["_meta"] = json::object{{"otel", {{"traces", nullptr}}}};
    return jsonrpc::Response{id, std::move(result), jsonrpc::RawMember{kPath, std::move(text), 1}};
  };
  Peer peer;
  auto t = make_stdio_transport(
      {.read_fd = peer.in[0], .write_fd = peer.out[1], .handoff_after = std::chrono::hours(1)});
  auto s = std::make_shared<State>();
  std::weak_ptr<Transport> weak = t;
  t->start({.on_message =
                [s, weak, answer](jsonrpc::Message message, MessageContext) {
                  auto id = std::get<std::int64_t>(std::get<jsonrpc::Request>(message).id);
                  if (auto transport = weak.lock()) transport->send(answer(id));
                  std::lock_guard lock(s->m);
                  ++s->delivered;
                  s->cv.notify_all();
                },
            .on_close =
                [s] {
                  std::lock_guard lock(s->m);
                  s->closed = true;
                  s->cv.notify_all();
                }});
  std::vector<std::string> batch;
  for (int id = 1; id <= 6; ++id) batch.push_back(request_line(id));
  peer.write_together(batch);
  for (int id = 1; id <= 6; ++id) EXPECT_EQ(peer.read_line(), jsonrpc::serialize(answer(id)));
  {
    std::unique_lock lock(s->m);
    EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->delivered == 6; }));
  }
  // Outside a batch: written at once, in pieces. The pipe's reader runs beside the writer, as
  // a text past the pipe's room blocks the write until it is read (whole, by its size: a line
  // cut short would leave the writer blocked).
  for (std::int64_t id : {140001, 160000}) {  // one without _meta, one with
    const std::string expected = jsonrpc::serialize(answer(id)) + "\n";
    std::thread sender([&t, &answer, id] { EXPECT_TRUE(t->send(answer(id))); });
    EXPECT_EQ(peer.read_bytes(expected.size()), expected);
    sender.join();
  }
  t->close();
  std::unique_lock lock(s->m);
  EXPECT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->closed; }));
}

}  // namespace
}  // namespace glassbox::transport
