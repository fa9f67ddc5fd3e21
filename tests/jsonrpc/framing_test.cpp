#include "glassbox/jsonrpc/framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace glassbox::jsonrpc {
namespace {

struct Collected {
  std::vector<std::string> lines;
  std::vector<std::size_t> oversize;
};

Collected feed_all(LineFramer& framer, const std::vector<std::string>& chunks) {
  Collected c;
  for (const auto& chunk : chunks) {
    framer.feed(
        chunk, [&](std::string_view l) { c.lines.emplace_back(l); },
        [&](std::size_t n) { c.oversize.push_back(n); });
  }
  return c;
}

TEST(LineFramer, SplitsLinesAcrossChunks) {
  LineFramer f(100);
  auto c = feed_all(f, {"ab", "c\nde", "f\n\n", "g\r\nh"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"abc", "def", "g"}));
  EXPECT_EQ(f.pending_bytes(), 1u);
  EXPECT_EQ(f.take_pending(), "h");
}

TEST(LineFramer, ManyLinesInOneChunk) {
  LineFramer f(100);
  auto c = feed_all(f, {"1\n2\n3\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(LineFramer, OversizeLineIsDiscardedAndReportedOnceThenFramingResumes) {
  LineFramer f(10);
  auto c = feed_all(f, {"0123456789ABC", std::string(1000, 'x'), "\nok\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"ok"}));
  ASSERT_EQ(c.oversize.size(), 1u);
  EXPECT_EQ(c.oversize[0], 1013u);
  EXPECT_EQ(f.pending_bytes(), 0u);  // memory stays bounded while discarding
}

TEST(LineFramer, ExactlyAtTheLimitIsAccepted) {
  LineFramer f(5);
  auto c = feed_all(f, {"12", "345\n", "123456\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"12345"}));
  EXPECT_EQ(c.oversize.size(), 1u);
}

}  // namespace
}  // namespace glassbox::jsonrpc
