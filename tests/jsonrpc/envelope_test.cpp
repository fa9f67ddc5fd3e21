// EnvelopeReader reads as jsonrpc::parse reads: the run of string bytes read eight at a time,
// and the id of an answer it refuses.
#include "glassbox/jsonrpc/envelope.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace glassbox::jsonrpc {
namespace {

TEST(EnvelopeReader, AQuoteOrBackslashAtEveryOffsetOfAStringReadsAsTheParserReadsIt) {
  // Strings from empty to past two words, with the escape at each offset, as a key (the path
  // tracking reads keys) and as a value; fed whole and split at each byte.
  for (std::string escape : {R"(\")", R"(\\)", R"(\u0022)"}) {
    for (std::size_t length = 0; length <= 20; ++length) {
      for (std::size_t at = 0; at <= length; ++at) {
        std::string s = std::string(at, 'a') + escape + std::string(length - at, 'b');
        std::string text = R"({"jsonrpc":"2.0","id":3,"method":"m","params":{")" + s + R"(":")" +
                           s + R"(","_meta":{"otel":{"k":")" + s + R"("}}}})";
        ParseResult direct = parse(text);
        ASSERT_TRUE(direct.message) << text;
        for (std::size_t split = 0; split <= text.size(); split += 7) {
          EnvelopeReader reader;
          reader.feed(std::string_view(text).substr(0, split));
          reader.feed(std::string_view(text).substr(split));
          Received r = reader.finish();
          ASSERT_TRUE(r.message) << text;
          EXPECT_FALSE(r.reply);
          EXPECT_EQ(serialize(*r.message), serialize(*direct.message)) << text << " @" << split;
        }
      }
    }
  }
}

// The id of an answer too large to keep, as the error that fails its call carries it.
std::optional<Id> recovered_id(const std::string& id) {
  EnvelopeLimits limits{.max_message_bytes = 64};
  Received r = EnvelopeReader::read(
      R"({"jsonrpc":"2.0","result":{"t":")" + std::string(100, 'z') + R"("},"id":)" + id + "}",
      limits);
  EXPECT_TRUE(r.reply);
  if (!r.message) return std::nullopt;
  auto* error = std::get_if<ErrorResponse>(&*r.message);
  EXPECT_TRUE(error);
  return error ? error->id : std::nullopt;
}

TEST(EnvelopeReader, ARefusedAnswersIdIsReadAsJsonReadsIt) {
  EXPECT_EQ(recovered_id("0"), Id{std::int64_t{0}});
  EXPECT_EQ(recovered_id("77"), Id{std::int64_t{77}});
  EXPECT_EQ(recovered_id("-5"), Id{std::int64_t{-5}});
  EXPECT_EQ(recovered_id("123456789012345678"), Id{std::int64_t{123456789012345678}});
  // An int64 up to its maximum, nothing beyond.
  EXPECT_EQ(recovered_id("9223372036854775807"), Id{INT64_MAX});
  EXPECT_EQ(recovered_id("-9223372036854775808"), Id{INT64_MIN});
  EXPECT_EQ(recovered_id("9223372036854775808"), std::nullopt);
  EXPECT_EQ(recovered_id(R"("7")"), Id{std::string("7")});
  // Not JSON, or not an id.
  EXPECT_EQ(recovered_id("01"), std::nullopt);
  EXPECT_EQ(recovered_id("1.5"), std::nullopt);
  EXPECT_EQ(recovered_id("1e2"), std::nullopt);
  EXPECT_EQ(recovered_id("true"), std::nullopt);
  EXPECT_EQ(recovered_id("-"), std::nullopt);
}

}  // namespace
}  // namespace glassbox::jsonrpc
