// Golden JSON-RPC transcripts: tests/golden/*.txt hold what a client sends ('> ' lines) and what
// the server must answer ('< ' lines), byte for byte, over the real stdio framing (pipes).
// Regenerate after an intended change with GLASSBOX_UPDATE_GOLDEN=1 and review the diff.
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/stdio.hpp"
#include "mcp/test_server.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace glassbox::mcp {
namespace {

namespace fs = std::filesystem;

struct Step {
  std::string send;                   // one raw line, possibly malformed on purpose
  std::vector<std::string> expected;  // the lines the server answers with, in order
};

struct Transcript {
  std::vector<std::string> header;  // comment lines, kept when regenerating
  std::vector<Step> steps;
};

Transcript read_transcript(const fs::path& path) {
  Transcript t;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("> ", 0) == 0) {
      t.steps.push_back({line.substr(2), {}});
    } else if (line.rfind("< ", 0) == 0 && !t.steps.empty()) {
      t.steps.back().expected.push_back(line.substr(2));
    } else if (t.steps.empty()) {
      t.header.push_back(line);
    }
  }
  return t;
}

class Wire {
 public:
  Wire() {
    testing::add_test_fixtures(server_);
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(from_server_), 0);
    server_.connect(transport::make_stdio_transport(
        {.read_fd = to_server_[0], .write_fd = from_server_[1], .max_message_bytes = 1024}));
  }
  ~Wire() {
    ::close(to_server_[1]);
    ::close(from_server_[0]);
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    ASSERT_EQ(::write(to_server_[1], l.data(), l.size()), static_cast<ssize_t>(l.size()));
  }

  // The next line, or nullopt after `quiet` without one.
  std::optional<std::string> next_line(std::chrono::milliseconds quiet) {
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      pollfd p{from_server_[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return std::nullopt;
      char chunk[4096];
      ssize_t n = ::read(from_server_[0], chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int to_server_[2];
  int from_server_[2];
  mcp::Server server_{{.name = "golden", .version = "1.0.0"}};
  std::string buffer_;
};

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ServerAnswersExactly) {
  fs::path path = fs::path(GLASSBOX_SOURCE_DIR) / "tests/golden" / (GetParam() + ".txt");
  Transcript t = read_transcript(path);
  ASSERT_FALSE(t.steps.empty()) << path;
  bool update = std::getenv("GLASSBOX_UPDATE_GOLDEN") != nullptr;
  Wire wire;
  int fences = 0;
  for (Step& step : t.steps) {
    wire.send(step.send);
    if (update) {  // regenerating (reviewed by hand): whatever comes within a generous pause
      step.expected.clear();
      while (auto line = wire.next_line(std::chrono::milliseconds(300)))
        step.expected.push_back(*line);
      continue;
    }
    for (const std::string& expected : step.expected) {
      std::optional<std::string> got = wire.next_line(std::chrono::seconds(10));
      ASSERT_TRUE(got) << "no answer to: " << step.send;
      EXPECT_EQ(*got, expected) << "after sending: " << step.send;
    }
    // "No further line": a ping sent now is answered after anything else the step wrote, so
    // its answer must be the very next line (no quiet period to wait out, nothing to race).
    std::string fence = "golden-fence-" + std::to_string(fences++);
    wire.send(R"({"jsonrpc":"2.0","id":")" + fence + R"(","method":"ping"})");
    std::optional<std::string> after = wire.next_line(std::chrono::seconds(10));
    ASSERT_TRUE(after) << "no answer to the ping after: " << step.send;
    EXPECT_EQ(*after, R"({"jsonrpc":"2.0","id":")" + fence + R"(","result":{}})")
        << "unexpected extra line after: " << step.send;
  }
  if (update) {
    std::ofstream out(path);
    for (const auto& h : t.header) out << h << "\n";
    for (const auto& s : t.steps) {
      out << "> " << s.send << "\n";
      for (const auto& e : s.expected) out << "< " << e << "\n";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Transcripts, Golden,
                         ::testing::Values("lifecycle", "tools", "resources_prompts", "bad_input"));

}  // namespace
}  // namespace glassbox::mcp
