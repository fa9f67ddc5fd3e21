// transport::header_name_is and head_facts: field names in any case, and nothing that only looks
// alike.
#include "glassbox/transport/http_guard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace glassbox::transport {
namespace {

TEST(HeaderNameIs, AnyCaseOfTheNameAndNothingElse) {
  // Shorter than a word, a word, and past one (the word-at-a-time part and the rest).
  for (std::string_view lower : {"host", "mcp-sess", "mcp-protocol-version"}) {
    std::string upper(lower), mixed(lower);
    for (std::size_t i = 0; i < upper.size(); ++i) {
      if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 32);
      if (i % 2 == 0) mixed[i] = upper[i];
    }
    EXPECT_TRUE(header_name_is(lower, lower));
    EXPECT_TRUE(header_name_is(upper, lower)) << upper;
    EXPECT_TRUE(header_name_is(mixed, lower)) << mixed;
    EXPECT_FALSE(header_name_is(std::string(lower) + "x", lower));
    EXPECT_FALSE(header_name_is(lower.substr(1), lower));
    // Each place changed to another token character: another letter, '_' for '-', a digit.
    for (std::size_t i = 0; i < lower.size(); ++i) {
      std::string other(upper);
      other[i] = lower[i] == '-' ? '_' : lower[i] == 'z' ? 'y' : static_cast<char>(lower[i] + 1);
      EXPECT_FALSE(header_name_is(other, lower)) << other;
      other[i] = '7';
      EXPECT_FALSE(header_name_is(other, lower)) << other;
    }
  }
}

TEST(IsValidAuthority, AHostNameHoldsRegNameCharactersOnly) {
  // RFC 3986: unreserved, pct-encoded and sub-delims, each alone and between two others.
  auto reg_name = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos;
  };
  for (int i = 1; i < 256; ++i) {
    const char c = static_cast<char>(i);
    if (c == '[' || c == ':') continue;  // an IP literal's start, the port's separator
    const std::string name = std::string("a") + c + "b";
    EXPECT_EQ(is_valid_authority(name), reg_name(c)) << i;
    EXPECT_EQ(is_valid_authority(name + ":8080"), reg_name(c)) << i;
  }
  EXPECT_TRUE(is_valid_authority("127.0.0.1:12345"));
  EXPECT_FALSE(is_valid_authority("localhost:80@evil.com"));
}

struct Field {  // what head_facts reads of a Beast field
  std::string name_text, value_text;
  std::string_view name_string() const { return name_text; }
  std::string_view value() const { return value_text; }
};

TEST(HeadFacts, EveryLineOfTheScreenedFieldsInAnyCase) {
  std::vector<Field> fields = {
      {"HOST", "a"},           {"Origin", "b"},        {"transfer-Encoding", "chunked"},
      {"Content-Length", "3"}, {"host", "c"},          {"Hostx", "d"},
      {"X-Origin", "e"},       {"content-length", "4"}};
  RequestHeadFacts facts = head_facts(fields);
  ASSERT_EQ(facts.host.size(), 2u);
  EXPECT_EQ(facts.host[0], "a");
  EXPECT_EQ(facts.host[1], "c");
  ASSERT_EQ(facts.origin.size(), 1u);
  EXPECT_EQ(facts.origin[0], "b");
  ASSERT_EQ(facts.transfer_encoding.size(), 1u);
  EXPECT_EQ(facts.content_length, 2u);
}

}  // namespace
}  // namespace glassbox::transport
