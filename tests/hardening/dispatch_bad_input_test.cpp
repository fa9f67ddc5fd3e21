// Bad-input catalogue (docs/bad-input.md), dispatch rows B17-B26 (well-formed JSON-RPC that the
// MCP layer must refuse, and tools that fail) and server-side passback rows B27-B33 (hostile
// `_meta`, traceparent, huge names, span floods). Over the real stdio transport; each row ends
// with the connection alive.
#include "hardening/bad_input_util.hpp"

namespace glassbox::hardening {
namespace {

std::string tools_call(int id, const std::string& params) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"tools/call","params":)" +
         params + "}";
}

// ---- dispatch -------------------------------------------------------------------------------

TEST(Dispatch, B17_ToolNameThatIsNotAStringIsInvalidParams) {
  StdioWire wire;
  for (const char* name : {"42", "null", R"({"n":"echo"})"}) {
    json::object answer = wire.call(tools_call(17, std::string(R"({"name":)") + name + "}"));
    EXPECT_EQ(error_code(answer), -32602) << name;
    EXPECT_EQ(error_message(answer), "params.name must be a string") << name;
  }
  json::object no_params = wire.call(R"({"jsonrpc":"2.0","id":17,"method":"tools/call"})");
  EXPECT_EQ(error_code(no_params), -32602);
  wire.expect_alive();
}

TEST(Dispatch, B18_UnknownToolIsInvalidParams) {
  StdioWire wire;
  json::object answer = wire.call(tools_call(18, R"({"name":"no_such_tool"})"));
  EXPECT_EQ(error_code(answer), -32602);
  EXPECT_EQ(error_message(answer), "unknown tool: no_such_tool");
  wire.expect_alive();
}

TEST(Dispatch, B19_ArgumentsThatAreNotAnObjectAreInvalidParams) {
  StdioWire wire;
  for (const char* args : {R"("message=hi")", "[1]", "7"}) {
    json::object answer =
        wire.call(tools_call(19, std::string(R"({"name":"echo","arguments":)") + args + "}"));
    EXPECT_EQ(error_code(answer), -32602) << args;
    EXPECT_EQ(error_message(answer), "params.arguments must be an object") << args;
  }
  wire.expect_alive();
}

TEST(Dispatch, B20_ArgumentsFailingTheSchemaAreAToolError) {
  StdioWire wire;
  for (const char* args : {R"({"message":5})", "{}", "null"}) {
    json::object answer =
        wire.call(tools_call(20, std::string(R"({"name":"echo","arguments":)") + args + "}"));
    ASSERT_TRUE(answer.contains("result")) << json::serialize(answer);
    const json::object& result = answer.at("result").as_object();
    EXPECT_EQ(result.at("isError"), true) << args;
    std::string text(result.at("content").at(0).at("text").as_string());
    EXPECT_TRUE(text.starts_with("invalid arguments: ")) << text;
  }
  wire.expect_alive();
}

TEST(Dispatch, B21_AToolThrowingAnExceptionIsAToolError) {
  StdioWire wire;
  json::object answer = wire.call(tools_call(21, R"({"name":"throws"})"));
  EXPECT_EQ(json::serialize(answer),
            R"({"jsonrpc":"2.0","id":21,"result":{"content":[{"type":"text","text":"boom"}],)"
            R"("isError":true}})");
  wire.expect_alive();
}

TEST(Dispatch, B22_AToolThrowingANonStandardExceptionIsAToolError) {
  StdioWire wire;
  json::object answer = wire.call(tools_call(22, R"({"name":"throws_int"})"));
  const json::object& result = answer.at("result").as_object();
  EXPECT_EQ(result.at("isError"), true);
  EXPECT_EQ(result.at("content").at(0).at("text"), "the tool failed with an unknown exception");
  wire.expect_alive();
}

TEST(Dispatch, B23_AMethodHandlerThrowingIsInternalError) {
  StdioWire wire;
  json::object answer = wire.call(R"({"jsonrpc":"2.0","id":23,"method":"test/throws"})");
  EXPECT_EQ(error_code(answer), -32603);
  EXPECT_EQ(error_message(answer), "handler exploded");
  EXPECT_EQ(answer.at("id"), 23);
  wire.expect_alive();
}

TEST(Dispatch, B24_ACursorThatIsNotOneOfOursIsInvalidParams) {
  StdioWire wire;
  for (const char* cursor : {R"("abc")", R"("99999999")", R"("-1")", R"("1 ")"}) {
    json::object answer =
        wire.call(std::string(R"({"jsonrpc":"2.0","id":24,"method":"tools/list","params":)") +
                  R"({"cursor":)" + cursor + "}}");
    EXPECT_EQ(error_code(answer), -32602) << cursor;
    EXPECT_EQ(error_message(answer), "invalid cursor") << cursor;
  }
  wire.expect_alive();
}

TEST(Dispatch, B25_AnUnknownResourceIsResourceNotFoundWithItsUri) {
  StdioWire wire;
  json::object answer = wire.call(
      R"({"jsonrpc":"2.0","id":25,"method":"resources/read","params":{"uri":"file:///etc/passwd"}})");
  EXPECT_EQ(error_code(answer), -32002);
  EXPECT_EQ(answer.at("error").at("data").at("uri"), "file:///etc/passwd");
  wire.expect_alive();
}

TEST(Dispatch, B26_ThreeMegabyteArgumentsAreServedWhole) {
  StdioWire wire(4 * 1024 * 1024);
  std::string message(3 * 1024 * 1024, 'm');
  json::object answer =
      wire.call(tools_call(26, R"({"name":"echo","arguments":{"message":")" + message + R"("}})"));
  ASSERT_TRUE(answer.contains("result")) << error_message(answer);
  EXPECT_EQ(answer.at("result").at("content").at(0).at("text").as_string().size(),
            message.size() + 6);  // "Echo: " + message
  wire.expect_alive();
}

// ---- passback, server side ------------------------------------------------------------------

constexpr const char* kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string call_with_meta(int id, const std::string& tool, const std::string& meta) {
  return tools_call(id, R"({"name":")" + tool + R"(","_meta":)" + meta + "}");
}

TEST(Passback, B27_ARequestFlagOtherThanTheBooleanTrueIsNoRequest) {  // covers S2
  StdioWire wire;
  for (const char* flag : {R"("true")", "1", R"({"yes":true})", "null"}) {
    json::object answer = wire.call(
        call_with_meta(27, "echo", std::string(R"({"otel":{"traces":{"request":)") + flag + "}}}"));
    ASSERT_TRUE(answer.contains("result")) << flag;
    EXPECT_EQ(passback_of(answer), nullptr) << flag;
    EXPECT_FALSE(answer.at("result").as_object().contains("_meta")) << flag;
  }
  wire.expect_alive();
}

TEST(Passback, B28_MetaAndOtelOfTheWrongTypeAreIgnored) {  // covers S2
  StdioWire wire;
  for (const char* meta : {R"("str")", "[1]", R"({"otel":[1]})", R"({"otel":{"traces":"x"}})",
                           R"({"otel":{"traces":[true]}})"}) {
    json::object answer = wire.call(tools_call(
        28, std::string(R"({"name":"echo","arguments":{"message":"hi"},"_meta":)") + meta + "}"));
    ASSERT_TRUE(answer.contains("result")) << meta;
    EXPECT_EQ(answer.at("result").at("content").at(0).at("text"), "Echo: hi") << meta;
    EXPECT_EQ(passback_of(answer), nullptr) << meta;
  }
  wire.expect_alive();
}

TEST(Passback, B29_AnInvalidTraceparentStartsANewTrace) {  // covers S3
  StdioWire wire;
  for (const char* tp : {"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
                         "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                         "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", ""}) {
    json::object answer = wire.call(call_with_meta(
        29, "nested",
        std::string(R"({"traceparent":")") + tp + R"(","otel":{"traces":{"request":true}}})"));
    ASSERT_TRUE(answer.contains("result")) << tp;
    EXPECT_EQ(answer.at("result").at("content").at(0).at("text"), "nested");
    const json::object* traces = passback_of(answer);
    ASSERT_NE(traces, nullptr) << tp;
    std::vector<json::object> spans = spans_of(*traces);
    ASSERT_FALSE(spans.empty()) << tp;
    EXPECT_NE(spans[0].at("traceId"), "0af7651916cd43dd8448eb211c80319c") << tp;
    EXPECT_FALSE(spans[0].contains("parentSpanId")) << tp;  // a new trace: the root has none
  }
  wire.expect_alive();
}

TEST(Passback, B30_ATraceparentThatIsNotAStringIsIgnored) {  // covers S3
  StdioWire wire;
  for (const char* tp : {"12345", R"({"version":"00"})", "[\"00\"]"}) {
    json::object answer = wire.call(call_with_meta(
        30, "nested",
        std::string(R"({"traceparent":)") + tp + R"(,"otel":{"traces":{"request":true}}})"));
    const json::object* traces = passback_of(answer);
    ASSERT_NE(traces, nullptr) << tp;
    std::vector<json::object> spans = spans_of(*traces);
    ASSERT_FALSE(spans.empty());
    EXPECT_FALSE(spans[0].contains("parentSpanId")) << tp;
  }
  wire.expect_alive();
}

TEST(Passback, B31_AHostileTracestateIsDroppedAndTheTraceparentKept) {  // covers S3
  StdioWire wire;
  std::vector<std::string> hostile = {"a=" + std::string(600, 'b'),  // over 512 characters
                                      "UPPER=x",                     // a key grammar violation
                                      "k=v\x01",                     // a control character
                                      [] {                           // 33 members
                                        std::string s;
                                        for (int i = 0; i < 33; ++i)
                                          s += (i ? ",k" : "k") + std::to_string(i) + "=v";
                                        return s;
                                      }()};
  for (const std::string& ts : hostile) {
    json::object meta{{"traceparent", kTraceparent},
                      {"tracestate", ts},
                      {"otel", {{"traces", {{"request", true}}}}}};
    json::object answer = wire.call(
        tools_call(31, json::serialize(json::object{{"name", "nested"}, {"_meta", meta}})));
    const json::object* traces = passback_of(answer);
    ASSERT_NE(traces, nullptr);
    std::vector<json::object> spans = spans_of(*traces);
    ASSERT_FALSE(spans.empty());
    EXPECT_EQ(spans[0].at("traceId"), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(spans[0].at("parentSpanId"), "b7ad6b7169203331");
    EXPECT_FALSE(spans[0].contains("traceState")) << json::serialize(spans[0]);
  }
  wire.expect_alive();
}

TEST(Passback, B32_AMegabyteToolNameLeavesABoundedPassback) {  // covers S10, S12
  StdioWire wire(4 * 1024 * 1024);
  std::string name(1024 * 1024, 'n');
  json::object answer = wire.call(call_with_meta(32, name,
                                                 std::string(R"({"traceparent":")") + kTraceparent +
                                                     R"(","otel":{"traces":{"request":true}}})"));
  EXPECT_EQ(error_code(answer), -32602);  // unknown tool
  const json::object* traces = passback_of(answer);
  ASSERT_NE(traces, nullptr);
  EXPECT_LT(json::serialize(*traces).size(), 16u * 1024);
  std::vector<json::object> spans = spans_of(*traces);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_LE(spans[0].at("name").as_string().size(), 1024u);
  EXPECT_GE(traces->at("policy").at("truncatedAttributeCount").as_int64(), 1);
  wire.expect_alive();
}

TEST(Passback, B33_AHundredThousandSpansLeaveABoundedCountedPassback) {  // covers S12
  StdioWire wire;
  json::object answer = wire.call(
      call_with_meta(33, "flood", R"({"otel":{"traces":{"request":true,"detailed":true}}})"));
  ASSERT_TRUE(answer.contains("result"));
  EXPECT_EQ(answer.at("result").at("content").at(0).at("text"), "flooded");
  const json::object* traces = passback_of(answer);
  ASSERT_NE(traces, nullptr);
  EXPECT_LE(spans_of(*traces).size(), 256u);
  EXPECT_LE(json::serialize(*traces).size(), 300u * 1024);
  EXPECT_EQ(traces->at("truncated"), true);
  EXPECT_GE(traces->at("droppedSpanCount").as_int64(), 95'000);
  wire.expect_alive();
}

}  // namespace
}  // namespace glassbox::hardening
