// Golden JSON-RPC transcripts: tests/golden/*.txt hold what a client sends ('> ' lines) and what
// the server must answer ('< ' lines), byte for byte, over the real stdio framing (pipes).
// Regenerate after an intended change with GLASSBOX_UPDATE_GOLDEN=1 and review the diff.
#include "glassbox/mcp/server.hpp"
#include "mcp/test_server.hpp"
#include "support/stdio_wire.hpp"
#include "support/transcript.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

namespace glassbox::mcp {
namespace {

namespace fs = std::filesystem;

using glassbox::testing::read_transcript;
using glassbox::testing::Transcript;
using glassbox::testing::TranscriptStep;

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ServerAnswersExactly) {
  // ctest sets GLASSBOX_SOURCE_DIR (tests/CMakeLists.txt).
  const char* source_dir = std::getenv("GLASSBOX_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest, or set GLASSBOX_SOURCE_DIR to the checkout";
  fs::path path = fs::path(source_dir) / "tests/golden" / (GetParam() + ".txt");
  Transcript t = read_transcript(path);
  ASSERT_FALSE(t.steps.empty()) << path;
  bool update = std::getenv("GLASSBOX_UPDATE_GOLDEN") != nullptr;
  glassbox::testing::StdioWire wire({.name = "golden", .version = "1.0.0"},
                                    glassbox::testing::add_test_fixtures, 1024);
  int fences = 0;
  for (TranscriptStep& step : t.steps) {
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
  if (update) glassbox::testing::write_transcript(path, t);
}

INSTANTIATE_TEST_SUITE_P(Transcripts, Golden,
                         ::testing::Values("lifecycle", "tools", "resources_prompts", "bad_input"));

}  // namespace
}  // namespace glassbox::mcp
