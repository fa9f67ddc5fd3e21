// OTLP protobuf: encode -> decode round trip, wire details, hostile input.
#include "glassbox/trace/otlp.hpp"

#include <gtest/gtest.h>

namespace glassbox::trace {
namespace {

SpanData make_span(int i, std::size_t attribute_bytes = 10) {
  SpanData s;
  s.name = "span " + std::to_string(i);
  s.kind = static_cast<SpanKind>(i % 6);
  s.trace_id = generate_trace_id();
  s.span_id = generate_span_id();
  if (i % 2) s.parent_span_id = generate_span_id();
  s.trace_state = i % 3 ? "" : "k=v";
  s.start_time_unix_nano = 1710000000000000000ull + static_cast<std::uint64_t>(i);
  s.end_time_unix_nano = s.start_time_unix_nano + 4200000;
  s.attributes = {{"s", std::string(attribute_bytes, 'x')},
                  {"neg", std::int64_t{-5}},
                  {"zero", 0},
                  {"empty", ""},
                  {"f", false},
                  {"d", -0.5},
                  {"b", BytesValue{std::string("\0\1", 2)}},
                  {"arr", ArrayValue{{1, "x", ArrayValue{}}}},
                  {"kv", KvlistValue{{{"a", KvlistValue{}}, {"b", AttributeValue()}}}}};
  s.events = {{"e", 17, {{"k", 1}}, 2}};
  s.links = {
      {SpanContext{generate_trace_id(), generate_span_id(), 0, "x=y", true}, {{"l", true}}, 1}};
  s.status_code = static_cast<StatusCode>(i % 3);
  s.status_message = i % 3 == 2 ? "bad" : "";
  s.dropped_attributes_count = 1;
  s.dropped_events_count = 2;
  s.dropped_links_count = 300;
  return s;
}

TracesData make_traces(int n, std::size_t attribute_bytes = 10) {
  TracesData t;
  ResourceSpans rs;
  rs.resource.set("service.name", "svc").set("n", 1);
  rs.resource.dropped_attributes_count = 4;
  rs.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  ScopeSpans ss;
  ss.scope.attributes = {{"scope.attr", "v"}};
  for (int i = 0; i < n; ++i) ss.spans.push_back(make_span(i, attribute_bytes));
  rs.scope_spans.push_back(ss);
  ss.scope.name = "second";
  ss.spans.resize(1);
  rs.scope_spans.push_back(ss);
  t.resource_spans.push_back(rs);
  return t;
}

void fix_link_remote(TracesData& t) {
  for (auto& rs : t.resource_spans)
    for (auto& ss : rs.scope_spans)
      for (auto& s : ss.spans)
        for (auto& l : s.links) l.context.remote = true;
}

TEST(OtlpProtobufTest, RoundTrip) {
  for (std::size_t bytes : {std::size_t{10}, std::size_t{200}, std::size_t{20000}}) {
    TracesData traces = make_traces(20, bytes);
    fix_link_remote(traces);
    std::string wire = encode_otlp_protobuf(traces);
    std::string error;
    auto decoded = decode_otlp_protobuf(wire, {}, &error);
    ASSERT_TRUE(decoded) << error;
    EXPECT_EQ(*decoded, traces);
  }
}

TEST(OtlpProtobufTest, SingleResourceOverloadMatches) {
  TracesData traces = make_traces(3);
  traces.resource_spans[0].scope_spans.resize(1);
  traces.resource_spans[0].schema_url.clear();
  const auto& ss = traces.resource_spans[0].scope_spans[0];
  EXPECT_EQ(encode_otlp_protobuf(ss.spans, traces.resource_spans[0].resource, ss.scope),
            encode_otlp_protobuf(traces));
}

TEST(OtlpProtobufTest, KnownWireBytes) {
  // One span with only ids, name and kind, in a request with an empty resource and scope.
  SpanData s;
  s.trace_id = *TraceId::from_hex("0102030405060708090a0b0c0d0e0f10");
  s.span_id = *SpanId::from_hex("1112131415161718");
  s.name = "n";
  s.kind = SpanKind::server;
  std::string wire = encode_otlp_protobuf(std::span<const SpanData>(&s, 1), Resource{},
                                          InstrumentationScope{"", "", {}});
  const char expected[] =
      "\x0a\x29"  // resource_spans, 41 bytes
      "\x0a\x00"  // resource {}
      "\x12\x25"  // scope_spans, 37 bytes
      "\x0a\x00"  // scope {}
      "\x12\x21"  // spans, 33 bytes
      "\x0a\x10\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
      "\x12\x08\x11\x12\x13\x14\x15\x16\x17\x18"
      "\x2a\x01n"
      "\x30\x02";
  EXPECT_EQ(wire, std::string(expected, sizeof expected - 1));
}

// covers C8: the protobuf decoder on hostile input
TEST(OtlpProtobufTest, RejectsHostileInput) {
  std::string error;
  EXPECT_FALSE(decode_otlp_protobuf(std::string("\x0a\xff\xff\xff\xff\x0f", 6), {}, &error));
  EXPECT_NE(error.find("length"), std::string::npos);
  EXPECT_FALSE(decode_otlp_protobuf(std::string("\x0b", 1), {}, &error));  // group wire type
  EXPECT_FALSE(decode_otlp_protobuf(
      std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12), {}, &error));
  // A span whose trace id has 15 bytes.
  std::string bad_id = "\x0a\x17\x12\x15\x12\x13\x0a\x0f" + std::string(15, '\x01') + "\x12\x00";
  EXPECT_FALSE(decode_otlp_protobuf(bad_id, {}, &error));
  // Deep AnyValue nesting: arrays inside arrays.
  std::string value = "\x0a\x01x";  // string_value "x"
  for (int i = 0; i < 50; ++i) {
    std::string array =
        "\x0a" + std::string(1, static_cast<char>(value.size())) + value;  // ArrayValue.values
    if (array.size() >= 126) break;
    value = "\x2a" + std::string(1, static_cast<char>(array.size())) + array;
  }
  EXPECT_TRUE(decode_otlp_protobuf("", {}, &error));  // empty request: no spans
  EXPECT_FALSE(decode_otlp_protobuf(std::string(5 * 1024 * 1024, '\0'), {}, &error));
  EXPECT_NE(error.find("larger"), std::string::npos);
}

TEST(OtlpProtobufTest, DepthAndCountLimits) {
  TracesData traces = make_traces(1);
  AttributeValue v = "leaf";
  for (int i = 0; i < 9; ++i) v = ArrayValue{{v}};
  traces.resource_spans[0].scope_spans[0].spans[0].attributes.push_back({"deep", v});
  std::string error;
  EXPECT_FALSE(decode_otlp_protobuf(encode_otlp_protobuf(traces), {}, &error));
  EXPECT_NE(error.find("deeply"), std::string::npos);
  EXPECT_FALSE(
      decode_otlp_protobuf(encode_otlp_protobuf(make_traces(30)), {.max_spans = 10}, &error));
  EXPECT_NE(error.find("too many spans"), std::string::npos);
}

// covers C8: random corruption never crashes the decoder
TEST(OtlpProtobufTest, MutationsNeverCrash) {
  std::string base = encode_otlp_protobuf(make_traces(3));
  std::uint64_t seed = 7;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 20000; ++i) {
    std::string wire = base;
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = next() % wire.size();
      switch (next() % 3) {
        case 0:
          wire[at] = static_cast<char>(next() >> 56);
          break;
        case 1:
          wire.erase(at, 1 + next() % 16);
          break;
        default:
          wire.insert(at, 1, static_cast<char>(next() >> 56));
      }
    }
    std::string error;
    if (!decode_otlp_protobuf(wire, {}, &error)) {
      EXPECT_FALSE(error.empty());
    }
  }
}

}  // namespace
}  // namespace glassbox::trace
