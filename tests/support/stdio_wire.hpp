// The stdio pipe harness: a glassbox server on the far end of two pipes, for tests that speak
// raw lines to it (the golden transcripts, the bad-input catalogue).
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/stdio.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace glassbox::testing {

// A glassbox server on the far end of two pipes, spoken to in raw lines, as a stdio client
// would (and as a hostile one could). `setup` registers the server's tools before it connects.
class StdioWire {
 public:
  StdioWire(mcp::ServerOptions options, const std::function<void(mcp::Server&)>& setup,
            std::size_t max_message_bytes = 64 * 1024)
      : server_(std::move(options)) {
    setup(server_);
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(from_server_), 0);
    server_.connect(transport::make_stdio_transport({.read_fd = to_server_[0],
                                                     .write_fd = from_server_[1],
                                                     .max_message_bytes = max_message_bytes}));
  }
  ~StdioWire() {
    end_input();
    ::close(from_server_[0]);
  }
  StdioWire(const StdioWire&) = delete;
  StdioWire& operator=(const StdioWire&) = delete;

  // Writes bytes as they are (no newline added); a writer thread, so that a line larger than the
  // pipe buffer cannot block the test while the server is answering.
  void write_raw(std::string bytes) {
    std::thread writer([this, bytes = std::move(bytes)] {
      std::size_t done = 0;
      while (done < bytes.size()) {
        ssize_t n = ::write(to_server_[1], bytes.data() + done, bytes.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
      }
    });
    writer.join();
  }
  void send(const std::string& line) { write_raw(line + "\n"); }
  void end_input() {
    if (to_server_[1] >= 0) ::close(to_server_[1]);
    to_server_[1] = -1;
  }

  // The next line the server writes, or nullopt after `quiet` without one.
  std::optional<std::string> next_line(std::chrono::milliseconds quiet = std::chrono::seconds(5)) {
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      pollfd p{from_server_[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return std::nullopt;
      char chunk[64 * 1024];
      ssize_t n = ::read(from_server_[0], chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // The next line, parsed as a JSON object (an empty object when there is none).
  json::object next() {
    std::optional<std::string> line = next_line();
    EXPECT_TRUE(line) << "no answer";
    if (!line) return {};
    std::optional<json::value> v = json::parse(*line);
    EXPECT_TRUE(v && v->is_object()) << *line;
    return v && v->is_object() ? v->get_object() : json::object{};
  }
  // Sends a request and returns its answer (the next line).
  json::object call(const std::string& line) {
    send(line);
    return next();
  }
  // The connection lives on: a ping with `id` sent now is the next thing answered.
  void expect_alive(int id = 9999) {
    json::object answer =
        call(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})");
    EXPECT_EQ(json::serialize(answer),
              R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":{}})");
  }

  mcp::Server& server() { return server_; }

 private:
  mcp::Server server_;
  int to_server_[2] = {-1, -1};
  int from_server_[2] = {-1, -1};
  std::string buffer_;
};

}  // namespace glassbox::testing
