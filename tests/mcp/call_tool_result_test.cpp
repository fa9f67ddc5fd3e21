// CallToolResult::from_json taking its JSON apart (json::value&&) reads exactly what the copying
// form reads, for well-formed results and for members of the wrong type.
#include "glassbox/mcp/types.hpp"

#include <gtest/gtest.h>

namespace glassbox::mcp {
namespace {

void expect_same_reading(const json::value& v) {
  CallToolResult copied = CallToolResult::from_json(v);
  CallToolResult moved = CallToolResult::from_json(json::value(v));
  EXPECT_EQ(json::serialize(moved.to_json()), json::serialize(copied.to_json())) << v;
  EXPECT_EQ(moved.structured_content.has_value(), copied.structured_content.has_value()) << v;
}

TEST(CallToolResult, FromAnRvalueReadsWhatTheCopyReads) {
  for (
      const char* text : {
          R"({"content":[{"type":"text","text":"Echo: hello"}]})",
          R"({"content":[{"type":"text","text":"x"}],"structuredContent":{"a":[1,2]},"isError":true,"_meta":{"k":"v"}})",
          R"({"structuredContent":null})",
          R"({"content":{"not":"an array"},"_meta":[1],"isError":"yes"})",
          R"({})",
          R"([1,2])",
          R"("text")",
      }) {
    std::optional<json::value> v = json::parse(text);
    ASSERT_TRUE(v) << text;
    expect_same_reading(*v);
  }
  CallToolResult r = CallToolResult::from_json(*json::parse(
      R"({"content":[{"type":"text","text":"t"}],"structuredContent":{"n":1},"_meta":{"m":2}})"));
  ASSERT_EQ(r.content.size(), 1u);
  EXPECT_EQ(json::serialize(r.content[0]), R"({"type":"text","text":"t"})");
  EXPECT_EQ(json::serialize(*r.structured_content), R"({"n":1})");
  EXPECT_EQ(json::serialize(r.meta), R"({"m":2})");
}

}  // namespace
}  // namespace glassbox::mcp
