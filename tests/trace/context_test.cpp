// W3C trace context: traceparent, tracestate, ids, baggage.
#include "glassbox/trace/context.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::trace {
namespace {

constexpr std::string_view kValid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// covers S3
TEST(TraceparentTest, ParsesValidVersion00) {
  auto ctx = parse_traceparent(kValid);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->trace_id.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ctx->span_id.to_hex(), "b7ad6b7169203331");
  EXPECT_EQ(ctx->flags, 1);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_TRUE(ctx->remote);
  EXPECT_TRUE(ctx->tracestate.empty());
  EXPECT_EQ(format_traceparent(*ctx), kValid);
}

struct InvalidCase {
  const char* why;
  std::string value;
};

// covers S3
TEST(TraceparentTest, RejectsInvalidTable) {
  const std::vector<InvalidCase> cases = {
      {"empty", ""},
      {"uppercase trace id", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"},
      {"uppercase span id", "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01"},
      {"uppercase flags", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0A"},
      {"zero trace id", "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
      {"zero span id", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"},
      {"short", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01"},
      {"long for 00", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-"},
      {"trailing data for 00", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"},
      {"version ff", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"bad version hex", "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"bad flags", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g"},
      {"one flag digit", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"},
      {"wrong separator", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"non hex in trace id", "00-0af7651916cd43dd8448eb211c8031zz-b7ad6b7169203331-01"},
      {"spaces", " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"future version bad tail", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"},
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_traceparent(c.value)) << c.why;
}

// covers S3 (W3C: a higher version is parsed as 00 when its first fields fit)
TEST(TraceparentTest, FutureVersionIsParsedLeniently) {
  auto ctx = parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03-extra");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->flags, 1);  // only the bits version 00 knows
  EXPECT_TRUE(parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"));
}

TEST(TraceparentTest, UnsampledFlagsKept) {
  auto ctx = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  ASSERT_TRUE(ctx);
  EXPECT_FALSE(ctx->sampled());
}

// covers S3
TEST(TracestateTest, ValidIsKeptAndNormalized) {
  auto ctx = parse_traceparent(kValid, " vendor=value , rojo=00f067aa0ba902b7,,tenant@sys=x ");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->tracestate, "vendor=value,rojo=00f067aa0ba902b7,tenant@sys=x");
}

// covers S3: an invalid tracestate is dropped, the traceparent is kept
TEST(TracestateTest, InvalidIsDroppedNotTheTraceparent) {
  for (std::string bad :
       {"Vendor=value", "novalue", "=x", "k=", "k=a,k=b", "k=a=b", "1abc=x", "k=\x01"}) {
    auto ctx = parse_traceparent(kValid, bad);
    ASSERT_TRUE(ctx) << bad;
    EXPECT_TRUE(ctx->tracestate.empty()) << bad;
  }
}

TEST(TracestateTest, AtMost32Members) {
  std::string s;
  for (int i = 0; i < 32; ++i) s += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  EXPECT_TRUE(validate_tracestate(s));
  EXPECT_FALSE(validate_tracestate(s + ",k32=v"));
  EXPECT_FALSE(validate_tracestate(std::string(600, 'a')));
  EXPECT_TRUE(validate_tracestate(""));
}

TEST(IdTest, HexRoundTripAndValidity) {
  auto id = SpanId::from_hex("00f067aa0ba902b7");
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->is_valid());
  EXPECT_EQ(id->to_hex(), "00f067aa0ba902b7");
  EXPECT_FALSE(SpanId::from_hex("00F067AA0BA902B7"));
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b"));
  EXPECT_FALSE(TraceId().is_valid());
  EXPECT_FALSE(SpanId::from_hex("0000000000000000")->is_valid());
  EXPECT_EQ(SpanId::from_bytes(id->as_bytes()), id);
  EXPECT_FALSE(SpanId::from_bytes("short"));
}

// Every byte at every place of an id reads as the W3C grammar says (lowercase hex only), and a
// valid id's bytes are its digits' values: ids are read sixteen digits at a time.
TEST(IdTest, EveryByteAtEveryPlaceOfAnIdIsReadOrRefused) {
  const std::string trace_hex = "0123456789abcdeffedcba9876543210";
  const TraceId reference = *TraceId::from_hex(trace_hex);
  for (std::size_t at = 0; at < trace_hex.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      std::string hex = trace_hex;
      hex[at] = c;
      const bool valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      std::optional<TraceId> id = TraceId::from_hex(hex);
      ASSERT_EQ(id.has_value(), valid) << at << " " << b;
      const std::string span_hex = hex.substr(at < 16 ? 0 : 16, 16);
      std::optional<SpanId> span = SpanId::from_hex(span_hex);
      ASSERT_EQ(span.has_value(), valid) << at << " " << b;
      if (!valid) continue;
      EXPECT_EQ(span->to_hex(), span_hex);
      const unsigned digit =
          c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
      std::array<std::uint8_t, 16> expected = reference.bytes();
      expected[at / 2] =
          static_cast<std::uint8_t>(at % 2 == 0 ? (digit << 4) | (expected[at / 2] & 0x0f)
                                                : (expected[at / 2] & 0xf0) | digit);
      EXPECT_EQ(id->bytes(), expected) << at << " " << b;
      EXPECT_EQ(id->to_hex(), hex);
    }
  }
  EXPECT_EQ(reference.bytes()[0], 0x01);
  EXPECT_EQ(reference.bytes()[15], 0x10);
}

TEST(IdTest, GeneratedIdsAreNonZeroAndUnique) {
  std::set<SpanId> spans;
  std::set<TraceId> traces;
  for (int i = 0; i < 100000; ++i) {
    SpanId s = generate_span_id();
    TraceId t = generate_trace_id();
    ASSERT_TRUE(s.is_valid());
    ASSERT_TRUE(t.is_valid());
    spans.insert(s);
    traces.insert(t);
  }
  EXPECT_EQ(spans.size(), 100000u);
  EXPECT_EQ(traces.size(), 100000u);
}

TEST(IdTest, ThreadsGetDistinctSequences) {
  std::vector<SpanId> a(1000), b(1000);
  std::thread ta([&] {
    for (auto& id : a) id = generate_span_id();
  });
  std::thread tb([&] {
    for (auto& id : b) id = generate_span_id();
  });
  ta.join();
  tb.join();
  std::set<SpanId> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 2000u);
}

TEST(BaggageTest, SizeOnly) {
  EXPECT_TRUE(is_valid_baggage("k=v"));
  EXPECT_TRUE(is_valid_baggage(std::string(8192, 'a')));
  EXPECT_FALSE(is_valid_baggage(std::string(8193, 'a')));
}

}  // namespace
}  // namespace glassbox::trace
