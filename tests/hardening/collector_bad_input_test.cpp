// Bad-input catalogue (docs/bad-input.md), collector rows B61-B72: hostile OTLP/HTTP exports to
// the embedded collector (127.0.0.1 port 0, in-memory store). Standard: each is refused with its
// HTTP status and a reason (JSON, or a google.rpc.Status for protobuf requests), nothing of it is
// stored, and the collector lives on: a valid export right after is stored.
#include "collector.hpp"

#include "glassbox/trace/otlp.hpp"
#include "support/compress.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

namespace glassbox::hardening {
namespace {

namespace http = boost::beast::http;

using testing::Reply;

std::string gzip(std::string_view data) {
  return testing::compress(data, 15 + 16, Z_BEST_SPEED);
}

trace::TracesData one_trace(std::size_t spans = 1) {
  trace::TracesData data;
  trace::ResourceSpans rs;
  rs.resource.set("service.name", "hardening");
  trace::ScopeSpans ss;
  ss.scope.name = "test";
  trace::TraceId trace_id = trace::generate_trace_id();
  for (std::size_t i = 0; i < spans; ++i) {
    trace::SpanData s;
    s.name = "span";
    s.trace_id = trace_id;
    s.span_id = trace::generate_span_id();
    s.start_time_unix_nano = 1'710'000'000'000'000'000ULL;
    s.end_time_unix_nano = s.start_time_unix_nano + 1000;
    ss.spans.push_back(std::move(s));
  }
  rs.scope_spans.push_back(std::move(ss));
  data.resource_spans.push_back(std::move(rs));
  return data;
}

class Collector : public ::testing::Test {
 protected:
  void SetUp() override {
    collector::CollectorOptions options;
    options.port = 0;
    options.max_body_bytes = 1024 * 1024;
    options.max_inflated_bytes = 4 * 1024 * 1024;
    options.decode_limits = {.max_bytes = 4 * 1024 * 1024, .max_spans = 100};
    collector_ = std::make_unique<collector::Collector>(options);
    collector_->start();
  }
  void TearDown() override { collector_->stop(); }

  Reply post(std::string body, std::string content_type, std::string encoding = {}) {
    return testing::request(collector_->port(), http::verb::post, "/v1/traces", std::move(body),
                            std::move(content_type), std::move(encoding));
  }

  // A JSON refusal: {"code":3,"message":"...reason..."}.
  static void expect_json_refusal(const Reply& r, int status, std::string_view reason) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    std::optional<json::value> v = json::parse(r.body);
    ASSERT_TRUE(v && v->is_object()) << r.body;
    EXPECT_NE(std::string(v->at("message").as_string()).find(reason), std::string::npos) << r.body;
  }

  // Nothing of the refused input was stored, and a valid export is taken right after.
  void expect_nothing_stored_and_alive() {
    EXPECT_EQ(collector_->store().span_count(), 0u);
    Reply ok = post(json::serialize(trace::encode_otlp_json(one_trace(3))), "application/json");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(collector_->store().span_count(), 3u);
  }

  std::unique_ptr<collector::Collector> collector_;
};

std::string valid_json() {
  return json::serialize(trace::encode_otlp_json(one_trace()));
}

TEST_F(Collector, B61_AContentTypeOtherThanOtlpIs415) {
  for (const char* type : {"text/plain", "application/grpc", ""}) {
    expect_json_refusal(post(valid_json(), type), 415, "Content-Type must be application/json");
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B62_AnUnsupportedContentEncodingIs415) {
  for (const char* encoding : {"br", "zstd", "gzip, gzip"}) {
    expect_json_refusal(post(valid_json(), "application/json", encoding), 415,
                        "unsupported Content-Encoding");
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B63_ABodyThatIsNotGzipIs400) {
  expect_json_refusal(post("not gzip at all", "application/json", "gzip"), 400, "bad gzip body");
  expect_json_refusal(post("", "application/json", "deflate"), 400, "bad gzip body");
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B64_ATruncatedGzipBodyIs400) {
  std::string zipped = gzip(valid_json());
  for (std::size_t cut : {std::size_t{10}, zipped.size() / 2, zipped.size() - 4}) {
    expect_json_refusal(post(zipped.substr(0, cut), "application/json", "gzip"), 400,
                        "bad gzip body");
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B65_AGzipBombIsRefusedPastTheInflateBound) {
  std::string bomb = gzip(std::string(64 * 1024 * 1024, '0'));  // 64 MiB in ~64 KiB
  ASSERT_LT(bomb.size(), 1024u * 1024u);                        // within the body limit
  expect_json_refusal(post(bomb, "application/json", "gzip"), 400,
                      "gzip body inflates past 4194304 bytes");
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B66_ABodyOverTheLimitIs413) {
  Reply r = post(std::string(2 * 1024 * 1024, ' '), "application/json");
  EXPECT_EQ(r.status, 413);
  std::optional<json::value> v = json::parse(r.body);
  ASSERT_TRUE(v) << r.body;
  EXPECT_EQ(v->at("code"), 8);  // RESOURCE_EXHAUSTED
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B67_MalformedProtobufIs400WithAProtobufStatus) {
  std::string valid = trace::encode_otlp_protobuf(one_trace());
  for (std::string body : {std::string("\xff\xff\xff\xff garbage"),
                           std::string("\x0a\xff\xff\xff\xff\x0f", 6),  // length past the end
                           valid.substr(0, valid.size() - 3),           // truncated
                           std::string("\x0b", 1)}) {                   // group wire type
    Reply r = post(body, "application/x-protobuf");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.content_type, "application/x-protobuf");
    // google.rpc.Status: field 1 (code) = 3 INVALID_ARGUMENT, then field 2 (message).
    ASSERT_GE(r.body.size(), 4u);
    EXPECT_EQ(r.body.substr(0, 3), std::string("\x08\x03\x12", 3));
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B68_MalformedJsonIs400) {
  for (const char* body : {"{not json", "", "[]", R"({"resourceSpans":"x"})"}) {
    expect_json_refusal(post(body, "application/json"), 400, "invalid OTLP payload");
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B69_InvalidIdsAre400AndNothingIsStored) {
  std::string good_span = R"("spanId":"00f067aa0ba902b7","name":"s")";
  for (std::string span :
       {R"({"traceId":"zz",)" + good_span + "}",
        R"({"traceId":"00000000000000000000000000000000",)" + good_span + "}",
        std::string(R"({"traceId":"0af7651916cd43dd8448eb211c80319c",)") + R"("spanId":"123"})"}) {
    std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + span + "]}]}]}";
    expect_json_refusal(post(body, "application/json"), 400, "invalid OTLP payload");
  }
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B70_MoreSpansThanTheDecodeBoundAre400) {
  expect_json_refusal(
      post(json::serialize(trace::encode_otlp_json(one_trace(101))), "application/json"), 400,
      "invalid OTLP payload");
  Reply pb = post(trace::encode_otlp_protobuf(one_trace(101)), "application/x-protobuf");
  EXPECT_EQ(pb.status, 400);
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B71_AttributeValuesNestedTooDeeplyAre400) {
  trace::TracesData data = one_trace();
  trace::AttributeValue v = "bottom";
  for (int i = 0; i < 12; ++i) v = trace::ArrayValue{{v}};
  data.resource_spans[0].scope_spans[0].spans[0].attributes.push_back({"deep", v});
  EXPECT_EQ(post(trace::encode_otlp_protobuf(data), "application/x-protobuf").status, 400);
  expect_json_refusal(post(json::serialize(trace::encode_otlp_json(data)), "application/json"), 400,
                      "invalid OTLP payload");
  expect_nothing_stored_and_alive();
}

TEST_F(Collector, B72_AResourceWithoutServiceNameIsStoredNotRefused) {
  // OTLP does not require service.name; such an export used to fail in the store (503).
  std::string body =
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)"
      R"("0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"a"}]}]},)"
      R"({"resource":{"attributes":[{"key":"service.name","value":{"intValue":"7"}}]},)"
      R"("scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c",)"
      R"("spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba902b7","name":"b"}]}]}]})";
  Reply r = post(body, "application/json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(collector_->store().span_count(), 2u);
  EXPECT_EQ(collector_->store().trace_count(), 1u);
}

}  // namespace
}  // namespace glassbox::hardening
