#include "glassbox/jsonrpc/message.hpp"

#include "json/spare_text.hpp"
#include "jsonrpc/serialize_append.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>
#include <vector>

namespace glassbox::jsonrpc {
namespace {

TEST(MessageParse, RequestWithIntegerAndStringIds) {
  auto r = parse(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
  ASSERT_TRUE(r.message);
  const auto& req = std::get<Request>(*r.message);
  EXPECT_EQ(std::get<std::int64_t>(req.id), 7);
  EXPECT_EQ(req.method, "ping");
  EXPECT_TRUE(req.params.is_null());

  r = parse(R"({"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"x"}})");
  ASSERT_TRUE(r.message);
  EXPECT_EQ(std::get<std::string>(std::get<Request>(*r.message).id), "abc");
}

TEST(MessageParse, NotificationResponseAndError) {
  auto n = parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(n.message);
  EXPECT_TRUE(std::holds_alternative<Notification>(*n.message));

  auto ok = parse(R"({"jsonrpc":"2.0","id":1,"result":{"a":1}})");
  ASSERT_TRUE(ok.message);
  EXPECT_EQ(std::get<Response>(*ok.message).result.at("a").as_int64(), 1);

  auto err =
      parse(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
  ASSERT_TRUE(err.message);
  const auto& e = std::get<ErrorResponse>(*err.message);
  EXPECT_EQ(e.error.code, error_code::kMethodNotFound);
  EXPECT_EQ(e.error.message, "nope");
  EXPECT_EQ(e.error.data.at("x").as_int64(), 1);
}

struct BadInput {
  const char* text;
  int code;
  bool keeps_id;
};

class MessageParseBad : public ::testing::TestWithParam<BadInput> {};

TEST_P(MessageParseBad, AnswersWithTheRightError) {
  auto r = parse(GetParam().text);
  ASSERT_FALSE(r.message) << GetParam().text;
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error.code, GetParam().code) << GetParam().text;
  EXPECT_EQ(r.error->id.has_value(), GetParam().keeps_id) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, MessageParseBad,
    ::testing::Values(
        BadInput{"{", error_code::kParseError, false}, BadInput{"", error_code::kParseError, false},
        BadInput{"nul", error_code::kParseError, false},
        BadInput{R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", error_code::kInvalidRequest,
                 false},
        BadInput{"42", error_code::kInvalidRequest, false},
        BadInput{R"({"id":1,"method":"ping"})", error_code::kInvalidRequest, true},
        BadInput{R"({"jsonrpc":"1.0","id":1,"method":"ping"})", error_code::kInvalidRequest, true},
        BadInput{R"({"jsonrpc":"2.0","id":1,"method":5})", error_code::kInvalidRequest, true},
        BadInput{R"({"jsonrpc":"2.0","id":null,"method":"ping"})", error_code::kInvalidRequest,
                 false},
        BadInput{R"({"jsonrpc":"2.0","id":{},"method":"ping"})", error_code::kInvalidRequest,
                 false},
        BadInput{R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})",
                 error_code::kInvalidRequest, true},
        BadInput{R"({"jsonrpc":"2.0","id":1})", error_code::kInvalidRequest, true},
        BadInput{R"({"jsonrpc":"2.0","id":1,"result":1,"error":{}})", error_code::kInvalidRequest,
                 true},
        BadInput{R"({"jsonrpc":"2.0","id":1,"error":"bad"})", error_code::kInvalidRequest, true}));

TEST(MessageParse, DeepNestingIsRejectedNotRecursed) {
  std::string deep(100000, '[');
  auto r = parse(deep);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->error.code, error_code::kParseError);
}

TEST(MessageSerialize, ExactWireShapes) {
  EXPECT_EQ(serialize(Request{Id{1}, "ping", nullptr}),
            R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_EQ(serialize(Request{Id{"a"}, "x", json::object{{"k", 1}}}),
            R"({"jsonrpc":"2.0","id":"a","method":"x","params":{"k":1}})");
  EXPECT_EQ(serialize(Notification{"n", nullptr}), R"({"jsonrpc":"2.0","method":"n"})");
  EXPECT_EQ(serialize(Response{Id{2}, json::object{}}), R"({"jsonrpc":"2.0","id":2,"result":{}})");
  EXPECT_EQ(serialize(ErrorResponse{std::nullopt, {error_code::kParseError, "bad", nullptr}}),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})");
}

// A method name and a string id are copied between quotes when JSON takes them as they are, and
// escaped when not (a quote, a backslash, a control character); UTF-8 passes as it is.
TEST(MessageSerialize, MethodsAndStringIdsAreEscapedOnlyWhenTheyNeedIt) {
  EXPECT_EQ(serialize(Request{Id{"q\"1\\"}, "a\"b\n", nullptr}),
            R"({"jsonrpc":"2.0","id":"q\"1\\","method":"a\"b\n"})");
  EXPECT_EQ(serialize(Notification{"t\x01\u00e9", nullptr}),
            "{\"jsonrpc\":\"2.0\",\"method\":\"t\\u0001\u00e9\"}");
  EXPECT_EQ(serialize(Request{Id{"\u00e9"}, "", nullptr}),
            "{\"jsonrpc\":\"2.0\",\"id\":\"\u00e9\",\"method\":\"\"}");
  for (const std::string& method :
       std::vector<std::string>{"a\"b", "x\\y", std::string("z\0w", 3), "tools/call"}) {
    auto back = parse(serialize(Notification{method, nullptr}));
    ASSERT_TRUE(back.message) << method;
    EXPECT_EQ(std::get<Notification>(*back.message).method, method);
  }
}

TEST(MessageSerialize, RoundTrip) {
  std::string text =
      R"({"jsonrpc":"2.0","id":"x-1","method":"tools/call","params":{"name":"echo","arguments":{"m":"hi"}}})";
  auto r = parse(text);
  ASSERT_TRUE(r.message);
  EXPECT_EQ(serialize(*r.message), text);
}

// Paths of raw members: constants, as RawMember asks.
constexpr std::string_view kTracesPath[] = {"_meta", "otel", "traces"};
constexpr std::string_view kTracesOnly[] = {"traces"};

// A raw member replaces its null placeholder in place, as text; other members stay as they are.
TEST(MessageSerialize, RawMemberIsSplicedInPlace) {
  json::object result{{"content", json::array{"x"}},
                      {"_meta", {{"a", 1}, {"otel", {{"logs", true}, {"traces", nullptr}}}}},
                      {"after", "y"}};
  Response response{Id{3}, result, RawMember{kTracesPath, R"({"spans":[1,2]})"}};
  const std::string text = serialize(response);
  EXPECT_EQ(text, R"({"jsonrpc":"2.0","id":3,"result":{"content":["x"],"_meta":{"a":1,"otel":)"
                  R"({"logs":true,"traces":{"spans":[1,2]}}},"after":"y"}})");
  // What reaches the other end is the result with the text in place of the placeholder.
  auto back = parse(text);
  ASSERT_TRUE(back.message);
  result["_meta"].as_object()["otel"].as_object()["traces"] = json::object{{"spans", {1, 2}}};
  EXPECT_EQ(std::get<Response>(*back.message).result, json::value(result));
}

// A result without the members of the path takes them with the text, after the members the
// result had when the text was made (RawMember::position); members added after it follow it.
TEST(MessageSerialize, RawMemberWithoutItsPathIsWrittenWhereItsPlaceholderWouldBe) {
  RawMember raw{kTracesPath, R"({"spans":[]})"};
  const std::string traces = R"("_meta":{"otel":{"traces":{"spans":[]}}})";
  EXPECT_EQ(serialize(Response{Id{4}, json::object{}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{)" + traces + "}}");
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"k", 1}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"k":1,)" + traces + "}}");
  raw.position = 1;  // "k" was there when the text was made; "resultType" was added after it
  EXPECT_EQ(
      serialize(Response{Id{4}, json::object{{"k", 1}, {"resultType", "complete"}}, raw}),
      R"({"jsonrpc":"2.0","id":4,"result":{"k":1,)" + traces + R"(,"resultType":"complete"}})");
  raw.position = 0;
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"k", 1}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{)" + traces + R"(,"k":1}})");
  raw.position = 7;  // past the end of a result replaced by a smaller one: its last member
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"k", 1}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"k":1,)" + traces + "}}");
  // In an object made after the text (no placeholder in it), the missing members come first.
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"k", 1}, {"_meta", {{"a", 2}}}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"k":1,"_meta":{"otel":{"traces":{"spans":[]}},)"
            R"("a":2}}})");
  EXPECT_EQ(
      serialize(Response{Id{4}, json::object{{"_meta", {{"otel", {{"logs", true}}}}}}, raw}),
      R"({"jsonrpc":"2.0","id":4,"result":{"_meta":{"otel":{"traces":{"spans":[]},"logs":true}}}})");
  // A path too long to be made on the stack at once is written key by key, to the same text.
  const std::string long_key(130, 'k');
  const std::string_view long_path[] = {"_meta", long_key};  // outlives the message
  EXPECT_EQ(serialize(Response{Id{6}, json::object{}, RawMember{long_path, "1"}}),
            R"({"jsonrpc":"2.0","id":6,"result":{"_meta":{")" + long_key + R"(":1}}})");
}

// Nothing is spliced where something else holds its place: never a second member of the same
// name, never text outside its place.
TEST(MessageSerialize, RawMemberWhoseMemberIsTakenIsLeftOut) {
  RawMember raw{kTracesPath, R"({"spans":[]})"};
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"_meta", {{"otel", 5}}}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"_meta":{"otel":5}}})");
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"_meta", 5}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"_meta":5}})");
  EXPECT_EQ(serialize(Response{Id{4}, nullptr, raw}), R"({"jsonrpc":"2.0","id":4,"result":{}})");
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"k", 1}}, RawMember{{}, "true"}}),
            R"({"jsonrpc":"2.0","id":4,"result":{"k":1}})");  // no path, no place
  EXPECT_EQ(serialize(Response{Id{4}, json::array{1}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":[1]})");
  // A member that no longer holds the placeholder was set by someone after the text was made.
  EXPECT_EQ(serialize(Response{Id{4}, json::object{{"_meta", {{"otel", {{"traces", 7}}}}}}, raw}),
            R"({"jsonrpc":"2.0","id":4,"result":{"_meta":{"otel":{"traces":7}}}})");
  // Keys on the path are escaped as any key is, whether found or written with the text.
  static constexpr std::string_view kQuoted[] = {"a\"b", "t\n"};
  RawMember quoted{kQuoted, "true"};
  EXPECT_EQ(serialize(Response{Id{5}, json::object{{"a\"b", {{"t\n", nullptr}}}}, quoted}),
            R"({"jsonrpc":"2.0","id":5,"result":{"a\"b":{"t\n":true}}})");
  EXPECT_EQ(serialize(Response{Id{5}, json::object{}, quoted}),
            R"({"jsonrpc":"2.0","id":5,"result":{"a\"b":{"t\n":true}}})");
}

// A raw member's text gives its room back to its thread's spare texts when the message holding it
// is gone (the next passback payload is written there); a copy of the message has a text of its
// own, and moving one moves the text without giving anything back.
TEST(MessageSerialize, RawTextGivesItsRoomBackWhenTheMessageIsGone) {
  std::thread([] {
    std::string payload = json::take_spare_text(4096);
    payload.assign(R"({"spans":[)" + std::string(3000, ' ') + "]}");
    const char* room = payload.data();
    std::optional<Response> response{
        Response{Id{1}, json::object{}, RawMember{kTracesOnly, std::move(payload)}}};
    EXPECT_EQ(response->raw->json.data(), room);
    Response copy = *response;
    EXPECT_NE(copy.raw->json.data(), room);
    Response moved = std::move(*response);
    response.reset();
    EXPECT_EQ(moved.raw->json.data(), room);
    EXPECT_EQ(serialize(moved), serialize(copy));
    { Response gone = std::move(moved); }
    EXPECT_EQ(json::take_spare_text(100).data(), room);
  }).join();
}

// Without its raw text, a message's line is serialize()'s but for that text, whose place it
// names: the text put there gives serialize()'s bytes, wherever the text goes (a placeholder, a
// path made with it, a nested object); a message with no text spliced names no place.
TEST(MessageSerialize, WithoutTheRawTextTheLineIsTheSameButForTheText) {
  RawMember raw{kTracesPath, R"({"spans":[1,2]})"};
  const std::vector<Message> spliced = {
      Response{Id{1}, json::object{}, raw},
      Response{Id{"s"}, json::object{{"k", 1}, {"resultType", "complete"}},
               RawMember{kTracesPath, raw.json, 1}},
      Response{Id{2}, json::object{{"_meta", {{"otel", {{"traces", nullptr}}}}}, {"after", 1}},
               raw},
      Response{Id{3}, json::object{{"k", 1}, {"_meta", {{"a", 2}}}}, raw},
      Response{Id{4}, json::object{{"_meta", {{"otel", {{"logs", true}}}}}}, raw},
  };
  for (const Message& m : spliced) {
    std::string line = "before";  // appended to, as serialize_append is
    const std::size_t at = serialize_append_without_raw(line, m);
    ASSERT_NE(at, SIZE_MAX) << serialize(m);
    EXPECT_EQ(line.find(raw.json), std::string::npos);
    line.insert(at, raw.json);
    EXPECT_EQ(line, "before" + serialize(m));
  }
  const std::vector<Message> unspliced = {
      Response{Id{5}, json::object{{"k", 1}}},
      Response{Id{5}, json::object{{"_meta", {{"otel", 5}}}}, raw},
      Response{Id{5}, nullptr, raw},
      Response{Id{5}, json::array{1}, raw},
      Response{Id{5}, json::object{{"k", 1}}, RawMember{{}, "true"}},
      Request{Id{6}, "tools/call", json::object{{"name", "x"}}},
      ErrorResponse{Id{7}, Error{error_code::kInvalidParams, "no", nullptr}},
  };
  for (const Message& m : unspliced) {
    std::string line;
    EXPECT_EQ(serialize_append_without_raw(line, m), SIZE_MAX) << serialize(m);
    EXPECT_EQ(line, serialize(m));
  }
}

TEST(Id, ToString) {
  EXPECT_EQ(to_string(Id{42}), "42");
  EXPECT_EQ(to_string(Id{"a\"b"}), R"("a\"b")");
}

}  // namespace
}  // namespace glassbox::jsonrpc
