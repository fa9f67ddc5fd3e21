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

// Telemetry is recognised by its path's exact keys, however the bytes arrive: each of the three
// paths, split at every byte, has its telemetry over the bound dropped; a key that differs by a
// byte (one more, one less, one changed, an escape), or the right key at another depth or in an
// array, is an ordinary member that the message keeps.
TEST(EnvelopeReader, OnlyThePathsExactKeysMarkTelemetry) {
  const EnvelopeLimits limits{.max_telemetry_bytes = 8};
  const std::string big = R"({"traces":{"x":"0123456789"}})";
  auto message = [&](std::string_view head, std::string_view tail) {
    return std::string(head) + big + std::string(tail);
  };
  for (const std::string& text :
       {message(R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"otel":)", "}}}"),
        message(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1,"_meta":{"otel":)", "}}}"),
        message(
            R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","data":{"_meta":{"otel":)",
            "}}}}")}) {
    for (std::size_t split = 0; split <= text.size(); ++split) {
      EnvelopeReader reader(limits);
      reader.feed(std::string_view(text).substr(0, split));
      reader.feed(std::string_view(text).substr(split));
      Received r = reader.finish();
      ASSERT_TRUE(r.message) << text << " @" << split;
      EXPECT_NE(r.dropped.find("telemetry of 29 bytes"), std::string::npos)
          << text << " @" << split << ": " << r.dropped;
      EXPECT_EQ(serialize(*r.message).find("0123456789"), std::string::npos) << text;
    }
  }
  for (const std::string& text : {
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"otelx":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"ote":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"otal":)", "}}}"),
           message("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"_meta\":{\"o\\u0074el\":", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_metax":{"otel":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_mexa":{"otel":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":{"_met":{"otel":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"result":1,"results":{"_meta":{"otel":)", "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"method":"m","paramsparams":{"_meta":{"otel":)",
                   "}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"otel":)", "}}"),
           message(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":[{"otel":)", "}]}}"),
           message(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"x":{"_meta":{"otel":)",
                   "}}}}"),
           message(
               R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","dat":{"_meta":{"otel":)",
               "}}}}"),
           message(R"({"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","_meta":{"otel":)",
                   "}}}"),
       }) {
    ParseResult direct = parse(text);
    ASSERT_TRUE(direct.message) << text;
    for (std::size_t split = 0; split <= text.size(); split += 5) {
      EnvelopeReader reader(limits);
      reader.feed(std::string_view(text).substr(0, split));
      reader.feed(std::string_view(text).substr(split));
      Received r = reader.finish();
      ASSERT_TRUE(r.message) << text << " @" << split;
      EXPECT_EQ(r.dropped, "") << text << " @" << split;
      EXPECT_EQ(serialize(*r.message), serialize(*direct.message)) << text << " @" << split;
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
