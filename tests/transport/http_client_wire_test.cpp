// The Streamable HTTP client on the wire: one keep-alive connection for sequential calls (an SSE
// answer's stream is read to its end, so the connection goes back to the pool), a connection the
// server closed between calls reopened, the exact request a POST sends, and a lone caller that
// does its own I/O (Transport::read_on_caller) without losing what only the I/O thread sends.
#include "glassbox/transport/http_client.hpp"

#include "support/caller_wait.hpp"
#include "support/inbox.hpp"
#include "support/loopback_listener.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::transport {
namespace {

using glassbox::testing::Inbox;

// A scripted HTTP/1.1 peer on 127.0.0.1: keep-alive connections, a thread each, and answers
// each POST with an SSE stream as glassbox's server does (a priming event, the answer and the
// stream's end), echoing the request's id. Records every request
// with the number of the connection it came on; closes a connection after a chosen request.
class KeepAlivePeer {
 public:
  struct Seen {
    int connection;
    std::string head;  // request line and header fields, as sent
    std::string body;
  };

  KeepAlivePeer() : listener_(glassbox::testing::listen_on_loopback(8)) {
    thread_ = std::thread([this] { run(); });
  }
  ~KeepAlivePeer() {
    stop_ = true;
    thread_.join();
    for (std::thread& t : connections_) t.join();
    ::close(listener_.fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port) + "/mcp"; }
  int port() const { return listener_.port; }

  // The connection is closed (without Connection: close) once request `n` (1-based) is answered.
  void close_after(int n) {
    std::lock_guard lock(mutex_);
    close_after_ = n;
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Waits until `n` connections were closed by this side.
  bool wait_closed(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_ >= n; });
  }
  // Waits until `n` requests arrived.
  bool wait_seen(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return seen_.size() >= n; });
  }

 private:
  static bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  static void write_all(int fd, const std::string& bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
      auto n = ::write(fd, bytes.data() + at, bytes.size() - at);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }
  static std::string chunk(const std::string& data) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", data.size());
    return std::string(size) + "\r\n" + data + "\r\n";
  }

  void run() {
    int connection = 0;
    while (!stop_) {
      if (!readable(listener_.fd, 50)) continue;
      int fd = ::accept(listener_.fd, nullptr, nullptr);
      if (fd < 0) continue;
      connections_.emplace_back([this, fd, number = connection++] {
        serve(fd, number);
        ::close(fd);
        std::lock_guard lock(mutex_);
        ++closed_;
        cv_.notify_all();
      });
    }
  }

  // Serves requests on one connection until the peer closes it, or close_after_ says so.
  void serve(int fd, int connection) {
    std::string data;
    for (;;) {
      std::size_t end;
      while ((end = data.find("\r\n\r\n")) == std::string::npos) {
        if (stop_ || !readable(fd, 50)) {
          if (stop_) return;
          continue;
        }
        char buffer[8192];
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) return;
        data.append(buffer, static_cast<std::size_t>(n));
      }
      Seen s{connection, data.substr(0, end + 2), {}};
      std::size_t length = 0;
      if (auto at = s.head.find("Content-Length: "); at != std::string::npos)
        length = std::stoul(s.head.substr(at + 16));
      while (data.size() < end + 4 + length) {
        char buffer[8192];
        if (!readable(fd, 5000)) return;
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) return;
        data.append(buffer, static_cast<std::size_t>(n));
      }
      s.body = data.substr(end + 4, length);
      data.erase(0, end + 4 + length);
      std::string id = "null";
      if (auto v = json::parse(s.body); v && v->is_object() && v->as_object().contains("id"))
        id = json::serialize(v->as_object().at("id"));
      int number;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(s);
        number = static_cast<int>(seen_.size());
        cv_.notify_all();
      }
      write_all(fd,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Transfer-Encoding: chunked\r\n\r\n" +
                    chunk("id: 1\nretry: 1000\ndata: \n\n") +
                    chunk("id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id +
                          ",\"result\":{\"n\":" + std::to_string(number) + "}}\n\n") +
                    "0\r\n\r\n");
      std::lock_guard lock(mutex_);
      if (number == close_after_) return;
    }
  }

  glassbox::testing::LoopbackListener listener_;
  std::thread thread_;
  std::vector<std::thread> connections_;  // the accepting thread's alone
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
  int close_after_ = 0;
  int closed_ = 0;
};

class HttpClientWireTest : public ::testing::Test {
 protected:
  std::shared_ptr<Transport> connect() {
    auto t = connect_http({.url = peer_.url(), .open_get_stream = false});
    t->start(inbox_.callbacks());
    return t;
  }
  jsonrpc::Request call(std::int64_t id) {
    return {id, "tools/call", json::object{{"name", "echo"}}};
  }

  KeepAlivePeer peer_;
  Inbox inbox_;
};

TEST_F(HttpClientWireTest, SequentialCallsShareOneConnection) {
  auto t = connect();
  for (std::int64_t id = 1; id <= 5; ++id) {
    ASSERT_TRUE(t->send(call(id)));
    ASSERT_TRUE(inbox_.answer(id)) << id;
  }
  auto seen = peer_.seen();
  ASSERT_EQ(seen.size(), 5u);
  for (const auto& s : seen) EXPECT_EQ(s.connection, 0) << s.head;
}

TEST_F(HttpClientWireTest, AConnectionTheServerClosedBetweenCallsIsReopened) {
  peer_.close_after(1);
  auto t = connect();
  ASSERT_TRUE(t->send(call(1)));
  ASSERT_TRUE(inbox_.answer(1));
  ASSERT_TRUE(peer_.wait_closed(1));  // the pooled connection is dead now
  ASSERT_TRUE(t->send(call(2)));
  auto answer = inbox_.answer(2);
  ASSERT_TRUE(answer);
  ASSERT_TRUE(std::holds_alternative<jsonrpc::Response>(*answer));  // not an error
  EXPECT_EQ(std::get<jsonrpc::Response>(*answer).result, (json::value{{"n", 2}}));
  auto seen = peer_.seen();
  ASSERT_EQ(seen.size(), 2u);  // the call went once, on a new connection
  EXPECT_EQ(seen[1].connection, 1);
}

TEST_F(HttpClientWireTest, APostCarriesExactlyTheseFields) {
  auto t = connect_http({.url = peer_.url(),
                         .headers = {{"X-Team", "blue"}},
                         .bearer_token = "tok",
                         .open_get_stream = false});
  t->start(inbox_.callbacks());
  jsonrpc::Request request = call(7);
  ASSERT_TRUE(t->send(request, {.headers = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "echo"}}}));
  ASSERT_TRUE(inbox_.answer(7));
  auto seen = peer_.seen();
  ASSERT_EQ(seen.size(), 1u);
  const std::string body = jsonrpc::serialize(request);
  EXPECT_EQ(seen[0].head,
            "POST /mcp HTTP/1.1\r\n"
            "Host: 127.0.0.1:" +
                std::to_string(peer_.port()) +
                "\r\n"
                "User-Agent: glassbox\r\n"
                "X-Team: blue\r\n"
                "Authorization: Bearer tok\r\n"
                "Mcp-Method: tools/call\r\n"
                "Mcp-Name: echo\r\n"
                "Content-Type: application/json\r\n"
                "Accept: application/json, text/event-stream\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n");
  EXPECT_EQ(seen[0].body, body);
}

// A caller that waits alone reads its answer on its own thread when the I/O thread stands by
// (it does after answering a lone caller); every answer arrives either way.
TEST_F(HttpClientWireTest, ALoneCallerReadsItsOwnAnswers) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::pair<std::int64_t, std::thread::id>> delivered;
  auto t = connect_http({.url = peer_.url(), .open_get_stream = false});
  t->start({[&](jsonrpc::Message m, MessageContext) {
              std::lock_guard lock(mutex);
              if (auto* r = std::get_if<jsonrpc::Response>(&m))
                delivered.emplace_back(std::get<std::int64_t>(r->id), std::this_thread::get_id());
              arrived.notify_all();
            },
            {}});
  auto answered = [&](std::int64_t id) {
    std::lock_guard lock(mutex);
    for (const auto& d : delivered)
      if (d.first == id) return true;
    return false;
  };
  // The I/O thread lends its turn for about a millisecond after an answer; a caller slower than
  // that to come back (a loaded machine, a sanitizer) finds it reading. So go on past 200 calls
  // until one caller has led, up to a bound that only a client that never lends would reach.
  int led = 0;
  std::int64_t calls = 0;
  for (std::int64_t id = 1; id <= 200 || (led == 0 && id <= 5000); ++id, ++calls) {
    ASSERT_TRUE(t->send(call(id)));
    bool caller_read = t->read_on_caller(
        testing::caller_read([&answered, id] { return answered(id); }, [] { return true; },
                             std::chrono::steady_clock::now() + std::chrono::seconds(5)));
    if (caller_read) {
      ++led;
      ASSERT_TRUE(answered(id)) << id;  // read until its answer came
      std::lock_guard lock(mutex);
      EXPECT_EQ(delivered.back().second, std::this_thread::get_id()) << id;
    }
    std::unique_lock lock(mutex);
    ASSERT_TRUE(arrived.wait_for(lock, std::chrono::seconds(5), [&] {
      return !delivered.empty() && delivered.back().first == id;
    })) << id;
  }
  EXPECT_GT(led, 0);  // at least one call (in practice nearly all) did its own I/O
  for (const auto& s : peer_.seen()) EXPECT_EQ(s.connection, 0);
  // What nobody waits for still goes out while the I/O thread stands by.
  ASSERT_TRUE(t->send(jsonrpc::Notification{"notifications/initialized", nullptr}));
  ASSERT_TRUE(peer_.wait_seen(static_cast<std::size_t>(calls) + 1));
  t->close();
}

}  // namespace
}  // namespace glassbox::transport
