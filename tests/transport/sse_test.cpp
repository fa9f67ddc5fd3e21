// The SSE parser reads the network: every split of the input must give the same events, and
// no input may make it grow without bound.
#include "transport/sse.hpp"

#include <gtest/gtest.h>

#include <random>

namespace glassbox::transport::sse {
namespace {

std::vector<Event> parse_all(std::string_view input, std::size_t chunk = SIZE_MAX,
                             Parser* out = nullptr) {
  Parser local;
  Parser& parser = out ? *out : local;
  std::vector<Event> events;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    EXPECT_TRUE(parser.feed(input.substr(i, std::min(chunk, input.size() - i)),
                            [&](Event&& e) { events.push_back(std::move(e)); }));
  }
  return events;
}

TEST(SseParser, ParsesFieldsAndDispatchesOnBlankLine) {
  Parser parser;
  auto events = parse_all("event: update\nid: 7\ndata: {\"a\":1}\n\ndata:x\n\n", SIZE_MAX, &parser);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "update");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(events[1].id, "7");  // the last event id persists
  EXPECT_EQ(events[1].data, "x");
}

TEST(SseParser, JoinsDataLinesAndStripsOneSpace) {
  auto events = parse_all("data:  a\ndata: b\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " a\nb\n");
}

TEST(SseParser, PrimingEventCarriesIdAndRetry) {
  Parser parser;
  auto events = parse_all("id: 3_0\nretry: 1500\ndata: \n\n", SIZE_MAX, &parser);
  // Dispatched with empty data (WHATWG: the buffer holds "\n" until the blank line).
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[0].id, "3_0");
  EXPECT_TRUE(parse_all("id: 4\n\n").empty());  // no data field at all: nothing dispatched
  EXPECT_EQ(parser.last_event_id(), "3_0");
  ASSERT_TRUE(parser.retry());
  EXPECT_EQ(parser.retry()->count(), 1500);
}

TEST(SseParser, IgnoresCommentsUnknownFieldsAndBadRetry) {
  Parser parser;
  auto events = parse_all(": keepalive\nfoo: bar\nretry: 12a\ndata: x\n\n", SIZE_MAX, &parser);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(parser.retry());
}

TEST(SseParser, IdWithNulIsIgnored) {
  Parser parser;
  constexpr char kInput[] = "id: a\0b\ndata: x\n\n";  // a NUL inside the id
  parse_all(std::string(kInput, sizeof kInput - 1), SIZE_MAX, &parser);
  EXPECT_EQ(parser.last_event_id(), "");
}

TEST(SseParser, AllLineEndingsAndEverySplitGiveTheSameEvents) {
  std::string input = "\xEF\xBB\xBFid: 1\r\ndata: one\r\n\r\nid: 2\rdata: two\r\rdata: three\n\n";
  auto whole = parse_all(input);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0].data, "one");
  EXPECT_EQ(whole[1].data, "two");
  EXPECT_EQ(whole[1].id, "2");
  EXPECT_EQ(whole[2].data, "three");
  for (std::size_t chunk = 1; chunk < input.size(); ++chunk) {
    auto split = parse_all(input, chunk);
    ASSERT_EQ(split.size(), whole.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(split[i].data, whole[i].data) << "chunk " << chunk;
      EXPECT_EQ(split[i].id, whole[i].id) << "chunk " << chunk;
    }
  }
}

TEST(SseParser, CrLfSplitAcrossChunksIsOneLineEnd) {
  Parser parser;
  std::vector<Event> events;
  auto sink = [&](Event&& e) { events.push_back(std::move(e)); };
  ASSERT_TRUE(parser.feed("data: a\r", sink));
  ASSERT_TRUE(parser.feed("\ndata: b\r", sink));
  ASSERT_TRUE(parser.feed("\n\r\n", sink));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb");
}

TEST(SseParser, OversizedLineOrEventFailsAndStaysFailed) {
  Parser parser(16);
  auto ignore = [](Event&&) {};
  EXPECT_FALSE(parser.feed(std::string(17, 'x'), ignore));
  EXPECT_FALSE(parser.feed("data: x\n\n", ignore));
  Parser many(16);
  EXPECT_FALSE(many.feed("data: 0123456789\ndata: 0123456789\n\n", ignore));
}

TEST(SseParser, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    Parser parser(256);
    std::string input(rng() % 512, '\0');
    for (char& c : input) c = "da:t \r\nire\x00yx"[rng() % 14];
    std::size_t total = 0;
    parser.feed(input, [&](Event&& e) { total += e.data.size(); });
    EXPECT_LE(total, input.size());
  }
}

TEST(SseFormat, EventRoundTripsThroughParser) {
  std::string text =
      format_event("line1\nline2\r\nline3", "5_2", std::chrono::milliseconds(250), "message");
  Parser parser;
  auto events = parse_all(text, SIZE_MAX, &parser);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "line1\nline2\nline3");
  EXPECT_EQ(events[0].id, "5_2");
  EXPECT_EQ(parser.retry()->count(), 250);
  EXPECT_EQ(format_priming_event("1_0", std::chrono::milliseconds(1000)),
            "id: 1_0\nretry: 1000\ndata: \n\n");
}

TEST(SseFormat, AppendedEventsAreTheFormattedBytesAfterWhatWasThere) {
  // serve_sse writes the priming event after the response head, in the head's buffer.
  std::string out = "HTTP/1.1 200 OK\r\n\r\n";
  append_priming_event(out, "3_0", std::chrono::milliseconds(1500));
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\n\r\nid: 3_0\nretry: 1500\ndata: \n\n");
  std::string more = "x";
  append_event(more, "a\nb", "7_1", std::chrono::milliseconds(0), "message");
  EXPECT_EQ(more, "x" + format_event("a\nb", "7_1", std::chrono::milliseconds(0), "message"));
  EXPECT_EQ(more, "xevent: message\nid: 7_1\nretry: 0\ndata: a\ndata: b\n\n");
}

TEST(SseFormat, EveryLineEndingSplitsDataAndALongLineStaysWhole) {
  // A CR before or after an LF, a lone CR, CRLF, and a trailing line end (an empty last line).
  EXPECT_EQ(format_event("a\nb\rc\r\nd\n"), "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
  EXPECT_EQ(format_event("\r\r\n"), "data: \ndata: \ndata: \n\n");
  std::string json(5000, 'x');  // a passback answer is one line of a few KB
  EXPECT_EQ(format_event(json, "1_1"), "id: 1_1\ndata: " + json + "\n\n");
  std::string tail = json + "\r" + json;
  EXPECT_EQ(format_event(tail), "data: " + json + "\ndata: " + json + "\n\n");
}

TEST(SseFormat, AnEventMadeOfOneLinesPiecesIsTheSameBytes) {
  // HttpSession::send makes an answer's event from its serialized pieces: the line before a
  // raw member's text, the text, the line after it.
  std::string json = R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"otel":{"traces":[]}}}})";
  const std::string_view whole = json;
  const std::size_t text_at = whole.find('[');
  const std::string_view head = whole.substr(0, text_at), text = whole.substr(text_at, 2),
                         tail = whole.substr(text_at + 2);
  EXPECT_EQ(format_line_event("1_1", {head, text, tail}), format_event(json, "1_1"));
  EXPECT_EQ(format_line_event("1_1", {json}), format_event(json, "1_1"));
  std::string longest_id = "18446744073709551615_18446744073709551615";
  EXPECT_EQ(format_line_event(longest_id, {head, text, tail}), format_event(json, longest_id));
  EXPECT_EQ(format_line_event("7_3", {}), format_event("", "7_3"));
  EXPECT_EQ(format_line_event("", {json}), "data: " + json + "\n\n");
  std::string passback(5000, 'x');  // a passback answer's text, a few kB
  std::string event = format_line_event("2_1", {head, passback, tail});
  EXPECT_EQ(event, format_event(std::string(head) + passback + std::string(tail), "2_1"));
  EXPECT_EQ(event.capacity(), event.size());  // made in one allocation of its size
}

}  // namespace
}  // namespace glassbox::transport::sse
