// json::find_non_finite: the path it reports, at ordinary depth and past the frames it keeps
// inline (the deep case spills to the heap and must report the same path).
#include "glassbox/json/non_finite.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace glassbox::json {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(NonFinite, FiniteValuesHaveNoPath) {
  EXPECT_FALSE(find_non_finite(value(1.5)).has_value());
  EXPECT_FALSE(find_non_finite(value(object{{"a", array{1, 2.5, "x", object{}}}})).has_value());
  EXPECT_EQ(find_non_finite(value(kInf)), std::string());
}

TEST(NonFinite, PathNamesMembersAndIndexes) {
  value v = object{{"ok", 1}, {"content", array{object{{"n", 2}}, object{{"sum", kInf}}}}};
  EXPECT_EQ(find_non_finite(v), "content[1].sum");
  value nan = array{0, array{std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_EQ(find_non_finite(nan), "[1][0]");
}

// Deeper than the inline frames: the path still names every level, in order.
TEST(NonFinite, DeepPathPastTheInlineFrames) {
  for (int depth : {15, 16, 17, 40, 200}) {
    value v = -kInf;
    std::string expected;
    for (int i = depth - 1; i >= 0; --i) {
      if (i % 2 == 0) {
        v = object{{"first", 0}, {"k" + std::to_string(i), std::move(v)}};
      } else {
        v = array{"pad", std::move(v)};
      }
    }
    for (int i = 0; i < depth; ++i) {
      if (i % 2 == 0) {
        if (!expected.empty()) expected += '.';
        expected += "k" + std::to_string(i);
      } else {
        expected += "[1]";
      }
    }
    EXPECT_EQ(find_non_finite(v), expected) << "depth " << depth;
  }
}

}  // namespace
}  // namespace glassbox::json
