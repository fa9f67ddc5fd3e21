// Bad-input catalogue (docs/bad-input.md), stdio rows B01-B16: malformed or hostile lines to a
// glassbox server over the real stdio transport. Standard: each gets its JSON-RPC error (or, for
// what needs no answer, nothing) and the connection lives on: a following ping is answered.
#include "hardening/bad_input_util.hpp"

namespace glassbox::hardening {
namespace {

TEST(Stdio, B01_TruncatedJsonIsAParseError) {
  StdioWire wire;
  json::object answer = wire.call(R"({"jsonrpc":"2.0","id":1,"method":"ping")");
  EXPECT_EQ(error_code(answer), -32700);
  EXPECT_TRUE(answer.at("id").is_null());
  wire.expect_alive();
}

TEST(Stdio, B02_BinaryGarbageWithNulBytesIsAParseError) {
  StdioWire wire;
  static constexpr char kGarbage[] = "\x00\x01\xfe\xff{\x00}garbage";
  wire.send(std::string(kGarbage, sizeof kGarbage - 1));
  EXPECT_EQ(error_code(wire.next()), -32700);
  wire.expect_alive();
}

TEST(Stdio, B03_InvalidUtf8InAStringIsAParseError) {
  StdioWire wire;
  json::object answer = wire.call(
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"s\":\"\xc3\x28\"}}");
  EXPECT_EQ(error_code(answer), -32700);
  EXPECT_TRUE(answer.at("id").is_null());
  wire.expect_alive();
}

TEST(Stdio, B04_BatchIsInvalidRequest) {
  StdioWire wire;
  json::object answer = wire.call(R"([{"jsonrpc":"2.0","id":4,"method":"ping"}])");
  EXPECT_EQ(error_code(answer), -32600);
  EXPECT_EQ(error_message(answer), "batches are not supported");
  EXPECT_TRUE(answer.at("id").is_null());
  wire.expect_alive();
}

TEST(Stdio, B05_JsonScalarIsInvalidRequest) {
  StdioWire wire;
  for (const char* scalar : {R"("hello")", "42", "null", "true"}) {
    json::object answer = wire.call(scalar);
    EXPECT_EQ(error_code(answer), -32600) << scalar;
    EXPECT_EQ(error_message(answer), "a message must be a JSON object") << scalar;
  }
  wire.expect_alive();
}

TEST(Stdio, B06_WrongJsonrpcVersionKeepsTheId) {
  StdioWire wire;
  json::object answer = wire.call(R"({"jsonrpc":"1.0","id":6,"method":"ping"})");
  EXPECT_EQ(error_code(answer), -32600);
  EXPECT_EQ(answer.at("id"), 6);
  json::object missing = wire.call(R"({"id":"six","method":"ping"})");
  EXPECT_EQ(error_code(missing), -32600);
  EXPECT_EQ(missing.at("id"), "six");
  wire.expect_alive();
}

TEST(Stdio, B07_NeitherMethodNorResultIsInvalidRequest) {
  StdioWire wire;
  json::object answer = wire.call(R"({"jsonrpc":"2.0","id":7})");
  EXPECT_EQ(error_code(answer), -32600);
  EXPECT_EQ(answer.at("id"), 7);
  json::object both = wire.call(R"({"jsonrpc":"2.0","id":8,"result":{},"error":{"code":1}})");
  EXPECT_EQ(error_code(both), -32600);
  wire.expect_alive();
}

TEST(Stdio, B08_IdOrMethodOfTheWrongTypeIsInvalidRequest) {
  StdioWire wire;
  for (const char* id : {R"({"x":1})", "1.5", "[1]", "true", "18446744073709551615"}) {
    json::object answer =
        wire.call(std::string(R"({"jsonrpc":"2.0","id":)") + id + R"(,"method":"ping"})");
    EXPECT_EQ(error_code(answer), -32600) << id;
    EXPECT_EQ(error_message(answer), "id must be a string or an integer") << id;
    EXPECT_TRUE(answer.at("id").is_null()) << id;
  }
  json::object method = wire.call(R"({"jsonrpc":"2.0","id":8,"method":7})");
  EXPECT_EQ(error_code(method), -32600);
  EXPECT_EQ(method.at("id"), 8);
  wire.expect_alive();
}

TEST(Stdio, B09_ParamsThatAreNotAnObjectAreInvalidRequest) {
  StdioWire wire;
  for (const char* params : {"[1,2]", R"("x")", "3"}) {
    json::object answer =
        wire.call(std::string(R"({"jsonrpc":"2.0","id":9,"method":"tools/call",)") +
                  R"("params":)" + params + "}");
    EXPECT_EQ(error_code(answer), -32600) << params;
    EXPECT_EQ(error_message(answer), "params must be an object") << params;
    EXPECT_EQ(answer.at("id"), 9) << params;
  }
  wire.expect_alive();
}

TEST(Stdio, B10_UnknownMethodIsMethodNotFound) {
  StdioWire wire;
  json::object answer = wire.call(R"({"jsonrpc":"2.0","id":10,"method":"no/such/method"})");
  EXPECT_EQ(error_code(answer), -32601);
  EXPECT_EQ(answer.at("id"), 10);
  wire.expect_alive();
}

TEST(Stdio, B11_LineOverTheMessageLimitIsDiscardedAndAnswered) {
  StdioWire wire(64 * 1024);
  std::string huge = R"({"jsonrpc":"2.0","id":11,"method":"ping","params":{"pad":")" +
                     std::string(100 * 1024, 'x') + R"("}})";
  json::object answer = wire.call(huge);
  EXPECT_EQ(error_code(answer), -32600);
  EXPECT_NE(error_message(answer).find("exceeds the limit of 65536 bytes"), std::string::npos)
      << error_message(answer);
  EXPECT_TRUE(answer.at("id").is_null());  // the id was never read: the bytes were discarded
  wire.expect_alive();
}

TEST(Stdio, B12_HundredThousandLevelsOfNestingAreRefusedWithoutRecursion) {
  StdioWire wire(4 * 1024 * 1024);
  json::object answer = wire.call(std::string(100'000, '[') + std::string(100'000, ']'));
  EXPECT_EQ(error_code(answer), -32700);
  json::object in_params = wire.call(R"({"jsonrpc":"2.0","id":12,"method":"ping","params":{"a":)" +
                                     std::string(100, '[') + std::string(100, ']') + "}}");
  EXPECT_EQ(error_code(in_params), -32700);
  wire.expect_alive();
}

TEST(Stdio, B13_BlankLinesAreIgnoredAndCrLfIsALineEnd) {
  StdioWire wire;
  wire.write_raw("\n \t \n\r\n\n");
  wire.write_raw("{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"ping\"}\r\n");
  EXPECT_EQ(json::serialize(wire.next()), R"({"jsonrpc":"2.0","id":13,"result":{}})");
  wire.expect_alive();
}

TEST(Stdio, B14_UnsolicitedAnswersAndUnknownCancellationsGetNoAnswer) {
  StdioWire wire;
  wire.send(R"({"jsonrpc":"2.0","id":77,"result":{}})");
  wire.send(R"({"jsonrpc":"2.0","id":78,"error":{"code":-1,"message":"x"}})");
  wire.send(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"y"}})");
  wire.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}})");
  wire.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{}}})");
  wire.send(R"({"jsonrpc":"2.0","method":"notifications/no_such_thing","params":{"a":1}})");
  wire.expect_alive(14);  // the first line after them answers the ping: nothing else was said
}

TEST(Stdio, B15_DuplicateIdInFlightIsRefusedAndTheFirstStillAnswered) {
  StdioWire wire;
  wire.send(
      R"({"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1000}}})");
  json::object duplicate = wire.call(R"({"jsonrpc":"2.0","id":15,"method":"ping"})");
  EXPECT_EQ(error_code(duplicate), -32600);
  EXPECT_EQ(error_message(duplicate), "a request with this id is already in flight");
  EXPECT_EQ(duplicate.at("id"), 15);
  json::object first = wire.next();
  EXPECT_EQ(first.at("id"), 15);
  EXPECT_EQ(json::serialize(first.at("result").at("content")),
            R"([{"type":"text","text":"done"}])");
  wire.expect_alive();
}

TEST(Stdio, B16_LastLineWithoutNewlineIsAnsweredAtEndOfInput) {
  StdioWire wire;
  wire.write_raw(R"({"jsonrpc":"2.0","id":16,"method":"ping"})");
  wire.end_input();
  std::optional<std::string> line = wire.next_line();
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, R"({"jsonrpc":"2.0","id":16,"result":{}})");
}

}  // namespace
}  // namespace glassbox::hardening
