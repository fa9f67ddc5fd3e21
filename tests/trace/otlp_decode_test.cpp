// C3, C4, C8: the OTLP JSON decoder on hostile input: rejected with a reason, never a crash.
#include "glassbox/trace/otlp.hpp"

#include <gtest/gtest.h>

namespace glassbox::trace {
namespace {

std::string wrap_span(std::string span) {
  return R"({"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"x"},"spans":[)" +
         span + "]}]}]}";
}

std::string good_span(std::string extra = "") {
  return R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"n","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":2)" +
         extra + "}";
}

std::string reason(std::string_view text, const OtlpDecodeLimits& limits = {}) {
  std::string error;
  auto out = decode_otlp_json(text, limits, &error);
  EXPECT_FALSE(out) << text.substr(0, 200);
  EXPECT_FALSE(error.empty());
  return error;
}

// covers C8
TEST(OtlpDecodeTest, AcceptsValidAndIgnoresUnknownMembers) {
  std::string text =
      wrap_span(good_span(R"(,"unknownField":{"x":1},"status":{"code":"STATUS_CODE_ERROR"})"));
  text.insert(1, R"("truncated":false,"policy":{"detailed":false},)");
  std::string error;
  auto out = decode_otlp_json(std::string_view(text), {}, &error);
  ASSERT_TRUE(out) << error;
  ASSERT_EQ(out->span_count(), 1u);
  const SpanData& s = out->resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(s.end_time_unix_nano, 2u);
  EXPECT_EQ(s.kind, SpanKind::server);
  EXPECT_EQ(s.status_code, StatusCode::error);
  EXPECT_EQ(out->resource_spans[0].scope_spans[0].scope.name, "x");
}

// covers C8
TEST(OtlpDecodeTest, RejectsWrongTypesAndInvalidIds) {
  EXPECT_NE(reason("[]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(reason(R"({"resourceSpans":{}})").find("resourceSpans"), std::string::npos);
  EXPECT_NE(reason(R"({"resourceSpans":[1]})").find("not an object"), std::string::npos);
  EXPECT_NE(reason(wrap_span("7")).find("span"), std::string::npos);
  const std::pair<std::string, std::string> cases[] = {
      {R"({"traceId":"0af7651916cd43dd8448eb211c80319","spanId":"00f067aa0ba902b7"})", "traceId"},
      {R"({"traceId":"0af7651916cd43dd8448eb211c80319g","spanId":"00f067aa0ba902b7"})", "traceId"},
      {R"({"traceId":"00000000000000000000000000000000","spanId":"00f067aa0ba902b7"})", "traceId"},
      {R"({"traceId":"CvdlGRbNQ92ESOshHIAxnA==","spanId":"00f067aa0ba902b7"})", "traceId"},
      {R"({"traceId":"0af7651916cd43dd8448eb211c80319c"})", "spanId"},
      {R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":12})", "spanId"},
      {good_span(R"(,"parentSpanId":"xyz")"), "parentSpanId"},
      {good_span(R"(,"name":5)"), "name"},
      {good_span(R"(,"kind":9)"), "kind"},
      {good_span(R"(,"kind":"server")"), "kind"},
      {good_span(R"(,"startTimeUnixNano":"-1")"), "startTimeUnixNano"},
      {good_span(R"(,"startTimeUnixNano":"12x")"), "startTimeUnixNano"},
      {good_span(R"(,"startTimeUnixNano":1.5)"), "startTimeUnixNano"},
      {good_span(R"(,"startTimeUnixNano":"99999999999999999999")"), "startTimeUnixNano"},
      {good_span(R"(,"attributes":{})"), "attributes"},
      {good_span(R"(,"attributes":[{"key":1}])"), "key"},
      {good_span(R"(,"attributes":[{"key":"k","value":"v"}])"), "AnyValue"},
      {good_span(R"(,"attributes":[{"key":"k","value":{"intValue":"1.5"}}])"), "intValue"},
      {good_span(R"(,"attributes":[{"key":"k","value":{"boolValue":"true"}}])"), "boolValue"},
      {good_span(R"(,"attributes":[{"key":"k","value":{"bytesValue":"!!"}}])"), "bytesValue"},
      {good_span(R"(,"attributes":[{"key":"k","value":{"arrayValue":[]}}])"), "arrayValue"},
      {good_span(R"(,"status":{"code":7})"), "code"},
      {good_span(R"(,"status":[])"), "status"},
      {good_span(R"(,"events":[{"timeUnixNano":"x"}])"), "timeUnixNano"},
      {good_span(R"(,"links":[{"traceId":"0af7651916cd43dd8448eb211c80319c"}])"), "spanId"},
      {good_span(R"(,"droppedAttributesCount":"4294967296")"), "droppedAttributesCount"},
  };
  for (const auto& [span, what] : cases) {
    std::string r = reason(wrap_span(span));
    EXPECT_NE(r.find(what), std::string::npos) << span << " -> " << r;
  }
}

// covers C8
TEST(OtlpDecodeTest, RejectsDeepNesting) {
  std::string value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < 9; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  std::string r =
      reason(wrap_span(good_span(R"(,"attributes":[{"key":"k","value":)" + value + "}]")));
  EXPECT_FALSE(r.empty());
  // 8 levels are fine
  value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < 8; ++i)
    value = R"({"kvlistValue":{"values":[{"key":"k","value":)" + value + "}]}}";
  std::string error;
  EXPECT_TRUE(decode_otlp_json(std::string_view(wrap_span(good_span(
                                   R"(,"attributes":[{"key":"k","value":)" + value + "}]"))),
                               {}, &error))
      << error;
  // Absurd JSON depth is stopped by the parser, not by the stack.
  std::string deep(100000, '[');
  EXPECT_NE(reason(deep).find("invalid JSON"), std::string::npos);
}

// covers C3, C8
TEST(OtlpDecodeTest, EnforcesSizeAndCountBounds) {
  std::string spans;
  for (int i = 0; i < 11; ++i) spans += (i ? "," : "") + good_span();
  EXPECT_NE(reason(wrap_span(spans), {.max_spans = 10}).find("too many spans"), std::string::npos);
  std::string huge =
      wrap_span(good_span(R"(,"name":")" + std::string(5 * 1024 * 1024, 'x') + "\""));
  EXPECT_NE(reason(huge).find("larger than"), std::string::npos);
  std::string attrs;
  for (int i = 0; i < 20; ++i) attrs += std::string(i ? "," : "") + R"({"key":"k","value":{}})";
  EXPECT_NE(
      reason(wrap_span(good_span(R"(,"attributes":[)" + attrs + "]")), {.max_list_length = 10})
          .find("too many"),
      std::string::npos);
}

// covers C8: random mutations of a valid payload never crash
TEST(OtlpDecodeTest, MutationsNeverCrash) {
  std::string base = wrap_span(good_span(
      R"(,"attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"kvlistValue":{"values":[]}}]}}}],"events":[{"name":"e","timeUnixNano":"5"}],"status":{"code":1})"));
  std::uint64_t seed = 42;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull; };
  const char alphabet[] = "{}[]\":,0123456789abcdefxyzE.-+ntrue";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = base;
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = next() % text.size();
      switch (next() % 3) {
        case 0:
          text[at] = alphabet[next() % (sizeof alphabet - 1)];
          break;
        case 1:
          text.erase(at, 1 + next() % 8);
          break;
        default:
          text.insert(at, 1, alphabet[next() % (sizeof alphabet - 1)]);
      }
    }
    std::string error;
    if (decode_otlp_json(std::string_view(text), {}, &error)) {
      ++accepted;
    } else {
      EXPECT_FALSE(error.empty());
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace glassbox::trace
