// S7: the OTLP JSON shape (hex ids, integer enums, decimal-string 64-bit integers, AnyValue).
#include "glassbox/trace/otlp.hpp"
#include "trace/otlp_json_writer.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace glassbox::trace {
namespace {

SpanData sample_span() {
  SpanData s;
  s.name = "tools/call list_emails";
  s.kind = SpanKind::server;
  s.trace_id = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  s.span_id = *SpanId::from_hex("00f067aa0ba902b7");
  s.parent_span_id = *SpanId::from_hex("b7ad6b7169203331");
  s.start_time_unix_nano = 1710000000000000000ull;
  s.end_time_unix_nano = 1710000000004200000ull;
  s.attributes = {
      {"mcp.method.name", "tools/call"},
      {"count", std::int64_t{9007199254740993}},  // above 2^53: must stay exact
      {"ratio", 0.25},
      {"ok", true},
      {"raw", BytesValue{std::string("\x00\x01\xfe\xff", 4)}},
      {"list", ArrayValue{{"a", 1, false}}},
      {"nested", KvlistValue{{{"inner", KvlistValue{{{"deep", ArrayValue{{2.5}}}}}}}}},
  };
  s.events.push_back({"cache miss", 1710000000001000000ull, {{"key", "k1"}}, 0});
  s.links.push_back({SpanContext{*TraceId::from_hex("11111111111111111111111111111111"),
                                 *SpanId::from_hex("2222222222222222"), 1, "a=b", true},
                     {{"kind", "follows"}},
                     1});
  s.status_code = StatusCode::error;
  s.status_message = "denied";
  s.dropped_attributes_count = 3;
  return s;
}

Resource sample_resource() {
  return Resource{}.set("service.name", "mail-server");
}

// covers S7, S8
TEST(OtlpJsonTest, GoldenShape) {
  SpanData s = sample_span();
  json::object payload =
      encode_otlp_json(std::span<const SpanData>(&s, 1), sample_resource(), InstrumentationScope{});
  const char* expected =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"mail-server"}}]},"scopeSpans":[{"scope":{"name":"glassbox","version":"0.1.0"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","parentSpanId":"b7ad6b7169203331","name":"tools/call list_emails","kind":2,"startTimeUnixNano":"1710000000000000000","endTimeUnixNano":"1710000000004200000","attributes":[{"key":"mcp.method.name","value":{"stringValue":"tools/call"}},{"key":"count","value":{"intValue":"9007199254740993"}},{"key":"ratio","value":{"doubleValue":2.5E-1}},{"key":"ok","value":{"boolValue":true}},{"key":"raw","value":{"bytesValue":"AAH+/w=="}},{"key":"list","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"boolValue":false}]}}},{"key":"nested","value":{"kvlistValue":{"values":[{"key":"inner","value":{"kvlistValue":{"values":[{"key":"deep","value":{"arrayValue":{"values":[{"doubleValue":2.5E0}]}}}]}}}]}}}],"droppedAttributesCount":3,"events":[{"timeUnixNano":"1710000000001000000","name":"cache miss","attributes":[{"key":"key","value":{"stringValue":"k1"}}]}],"links":[{"traceId":"11111111111111111111111111111111","spanId":"2222222222222222","traceState":"a=b","attributes":[{"key":"kind","value":{"stringValue":"follows"}}],"droppedAttributesCount":1}],"status":{"message":"denied","code":2}}]}]}]})";
  EXPECT_EQ(json::serialize(payload), expected);
}

// covers S7: zero and empty fields are omitted; status.code is kept
TEST(OtlpJsonTest, OmitsEmptyFields) {
  SpanData s;
  s.name = "root";
  s.trace_id = generate_trace_id();
  s.span_id = generate_span_id();
  json::object o = span_to_otlp_json(s);
  EXPECT_FALSE(o.contains("parentSpanId"));
  EXPECT_FALSE(o.contains("attributes"));
  EXPECT_FALSE(o.contains("events"));
  EXPECT_FALSE(o.contains("links"));
  EXPECT_FALSE(o.contains("droppedAttributesCount"));
  EXPECT_FALSE(o.contains("traceState"));
  EXPECT_EQ(json::serialize(o.at("status")), R"({"code":0})");
  EXPECT_EQ(o.at("kind").as_int64(), 1);
}

TEST(OtlpJsonTest, NonFiniteDoublesAreStrings) {
  EXPECT_EQ(json::serialize(any_value_to_otlp_json(std::nan(""))), R"({"doubleValue":"NaN"})");
  EXPECT_EQ(json::serialize(any_value_to_otlp_json(-INFINITY)), R"({"doubleValue":"-Infinity"})");
}

// covers S7: what we encode, we decode back identically
TEST(OtlpJsonTest, RoundTrip) {
  TracesData traces;
  traces.resource_spans.push_back(
      {sample_resource(), {{InstrumentationScope{}, {sample_span()}, ""}}, ""});
  traces.resource_spans[0].scope_spans[0].spans[0].links[0].context.flags = 0;  // not in JSON
  std::string text = json::serialize(encode_otlp_json(traces));
  std::string error;
  auto decoded = decode_otlp_json(std::string_view(text), {}, &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(*decoded, traces);
}

// covers S7: the direct writer and the tree encoder produce the same JSON values
TEST(OtlpJsonTest, StringWriterMatchesTreeEncoder) {
  SpanData s = sample_span();
  s.trace_state = "k=v";
  s.name = "quote \" backslash \\ control \x01 newline \n tab \t utf8 \xe2\x82\xac";
  s.attributes.push_back({"nan", std::nan("")});
  s.attributes.push_back({"inf", INFINITY});
  s.attributes.push_back({"empty", AttributeValue()});
  s.attributes.push_back({"min", INT64_MIN});
  s.dropped_events_count = 1;
  s.dropped_links_count = 2;
  s.events.push_back({"bare", 0, {}, 4});
  TracesData traces;
  Resource resource = sample_resource();
  resource.dropped_attributes_count = 1;
  traces.resource_spans.push_back({resource,
                                   {{InstrumentationScope{}, {s, sample_span()}, "u1"},
                                    {InstrumentationScope{"x", "", {{"a", 1}}}, {}, ""}},
                                   "u2"});
  traces.resource_spans.push_back({Resource{}, {}, ""});
  std::string direct = encode_otlp_json_string(traces);
  auto parsed = json::parse(direct);
  ASSERT_TRUE(parsed) << direct;
  EXPECT_EQ(*parsed, json::value(encode_otlp_json(traces)));
  std::span<const SpanData> one(&s, 1);
  EXPECT_EQ(*json::parse(encode_otlp_json_string(one, resource, {})),
            json::value(encode_otlp_json(one, resource, {})));
}

// covers S7: the writer checks eight bytes at a time for what needs escaping and copies a
// string of up to 16 bytes with fixed-size moves, one of up to 32 with two 16-byte words; each
// ASCII byte at each place of a word of each length around those sizes comes back as it went in.
TEST(OtlpJsonTest, EveryAsciiByteAtEveryOffsetIsEscapedOrKept) {
  SpanData s = sample_span();
  s.attributes.clear();
  s.events.clear();
  s.links.clear();
  for (int byte = 0; byte < 128; ++byte) {
    for (std::size_t length :
         {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 12u, 15u, 16u, 17u, 23u, 31u, 32u, 33u}) {
      for (std::size_t at = 0; at < length; ++at) {
        s.name.assign(length, 'a');
        s.name[at] = static_cast<char>(byte);
        std::string text = encode_otlp_json_string(std::span<const SpanData>(&s, 1), {}, {});
        auto parsed = json::parse(text);
        ASSERT_TRUE(parsed) << "byte " << byte << " at " << at << ": " << text;
        const json::value& name = parsed->at_pointer("/resourceSpans/0/scopeSpans/0/spans/0/name");
        ASSERT_EQ(name.as_string(), s.name) << "byte " << byte << " at " << at;
      }
    }
  }
}

// The writer's own integer digits (timestamps and intValue: 8-digit groups, not to_chars) give
// to_chars' text at every length and at the edges of each group.
TEST(OtlpJsonTest, IntegersAreWrittenAsToCharsWritesThem) {
  std::vector<std::uint64_t> unsigned_values = {
      0, 1, 9, 10, 99999999, 100000000, 100000001, 1796065255467089288ull, UINT64_MAX};
  for (std::uint64_t p = 1; p <= 10000000000000000000ull; p *= 10) {
    unsigned_values.insert(unsigned_values.end(), {p - 1, p, p + 1, p * 7 + 3});
    if (p == 10000000000000000000ull) break;
  }
  for (std::uint64_t v : unsigned_values) {
    char want[24], got[24];
    std::string_view expected(want, std::to_chars(want, want + 24, v).ptr - want);
    EXPECT_EQ(std::string_view(got, otlp_json::JsonWriter::decimal(got, v) - got), expected);
    const auto as_signed = static_cast<std::int64_t>(v);
    for (std::int64_t s : {as_signed, as_signed == INT64_MIN ? as_signed : -as_signed}) {
      expected = std::string_view(want, std::to_chars(want, want + 24, s).ptr - want);
      EXPECT_EQ(std::string_view(got, otlp_json::JsonWriter::decimal(got, s) - got), expected);
    }
  }
  char got[24];
  EXPECT_EQ(std::string_view(got, otlp_json::JsonWriter::decimal(got, INT64_MIN) - got),
            "-9223372036854775808");
}

// A span's timestamps reuse the leading digits of the one before when they share them: every
// value, in any order (shared, changed, shorter, longer, below 10^8), still gives to_chars'
// text.
TEST(OtlpJsonTest, TimestampsSharingLeadingDigitsAreWrittenWhole) {
  const std::vector<std::uint64_t> values = {1796065255467089288ull,
                                             1796065255467089289ull,
                                             1796065255400000000ull,
                                             1796065255399999999ull,
                                             1796065256000000000ull,
                                             99999999,
                                             100000000,
                                             0,
                                             5,
                                             1796065255467089288ull,
                                             123456789012ull,
                                             123456789013ull,
                                             UINT64_MAX,
                                             UINT64_MAX - 1,
                                             10000000000000000000ull,
                                             1796065255467089288ull};
  otlp_json::JsonWriter w;
  std::string expected;
  for (std::uint64_t v : values) {
    SpanData s;
    s.start_time_unix_nano = v;
    s.end_time_unix_nano = v + 1;
    const std::size_t mark = w.size();
    w.span(s);
    const std::string_view text = w.view().substr(mark);
    char digits[24];
    const std::string start(digits, std::to_chars(digits, digits + 24, v).ptr);
    const std::string end(digits, std::to_chars(digits, digits + 24, v + 1).ptr);
    EXPECT_NE(
        text.find(R"("startTimeUnixNano":")" + start + R"(","endTimeUnixNano":")" + end + "\""),
        std::string_view::npos)
        << text;
  }
}

TEST(Base64Test, RoundTripAndVariants) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\0\xff", 2)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");   // unpadded
  EXPECT_EQ(base64_decode("-_8"), "\xfb\xff");  // URL-safe
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zm9vY=="));
}

}  // namespace
}  // namespace glassbox::trace
