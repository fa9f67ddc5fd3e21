// Bad-input catalogue (docs/bad-input.md), collector rows B61-B79: hostile OTLP/HTTP exports to
// the embedded collector (127.0.0.1 port 0, in-memory store). Standard: each is refused with its
// HTTP status and a reason (JSON, or a google.rpc.Status for protobuf requests), nothing of it is
// stored, and the collector lives on: a valid export right after is stored.
#include "collector.hpp"

#include "glassbox/trace/otlp.hpp"
#include "support/compress.hpp"
#include "support/http_request.hpp"
#include "transport/http_test_util.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

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
  void SetUp() override { start_collector(); }
  // The bad-input rows run with small bounds; `defaults` keeps the shipped ones.
  void start_collector(bool defaults = false, std::size_t max_store_bytes = 0) {
    collector::CollectorOptions options;
    if (defaults) {
      options.port = 0;
      if (max_store_bytes) options.store.max_bytes = max_store_bytes;
      collector_ = std::make_unique<collector::Collector>(options);
      collector_->start();
      return;
    }
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

// ---- second round (issue 11, items 1, 7, 10, 11): the shipped bounds ---------------------------

class CollectorDefaults : public Collector {
 protected:
  void SetUp() override { start_collector(true); }

  // One trace: `spans` spans, each with `attributes` string attributes of `value_bytes`.
  static trace::TracesData trace_with(std::size_t spans, std::size_t attributes,
                                      std::size_t value_bytes) {
    trace::TracesData data = one_trace(spans);
    for (auto& span : data.resource_spans[0].scope_spans[0].spans) {
      for (std::size_t i = 0; i < attributes; ++i) {
        span.attributes.push_back({"a" + std::to_string(i), std::string(value_bytes, 'v')});
      }
    }
    return data;
  }
  static std::string trace_id_of(const trace::TracesData& data) {
    return data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex();
  }
  // GET on a fresh connection, with the Host (and maybe Origin) given.
  transport::testing::RawResponse get(const std::string& target, const std::string& host,
                                      const std::string& origin = {}) {
    transport::testing::RawClient c(collector_->port());
    transport::testing::Headers h;
    if (!origin.empty()) h.emplace_back("Origin", origin);
    c.send("GET", target, h, {}, host);
    return c.read();
  }
  // The /api/traces document, parsed strictly (Boost.JSON refuses invalid UTF-8).
  json::object api_traces() {
    transport::testing::RawResponse r = get("/api/traces", "127.0.0.1");
    EXPECT_EQ(r.status, 200);
    std::string error;
    std::optional<json::value> v = json::parse(r.body, {}, &error);
    EXPECT_TRUE(v && v->is_object()) << error;
    return v && v->is_object() ? v->get_object() : json::object{};
  }
  double seconds_to_post(const trace::TracesData& data) {
    std::string body = trace::encode_otlp_protobuf(data);
    auto start = std::chrono::steady_clock::now();
    Reply r = post(body, "application/x-protobuf");
    EXPECT_EQ(r.status, 200) << r.body;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

TEST_F(CollectorDefaults, B73_AnEightMebibyteAttributeIsCutAndDoesNotSlowLaterExports) {
  double fresh = seconds_to_post(trace_with(2000, 2, 16));
  // 8 MiB in an attribute key (sorting right after the keys below: "a0" < "a1" < "aaa..."),
  // in an attribute value and in a resource attribute, in a gzip body of 24 KiB.
  trace::TracesData big = one_trace();
  big.resource_spans[0].resource.set("big", std::string(8 * 1024 * 1024, 'x'));
  big.resource_spans[0].scope_spans[0].spans[0].attributes.push_back(
      {std::string(8 * 1024 * 1024, 'a'), std::string(8 * 1024 * 1024, 'y')});
  std::string zipped = gzip(trace::encode_otlp_protobuf(big));
  EXPECT_LT(zipped.size(), 128u * 1024u);
  Reply r = post(zipped, "application/x-protobuf", "gzip");
  ASSERT_EQ(r.status, 200) << r.body;
  // Stored cut to the S12 length (64 KiB), and counted.
  std::optional<json::object> stored = collector_->store().trace_json(trace_id_of(big));
  ASSERT_TRUE(stored);
  const json::value& attribute = stored->at("spans").at(0).at("attributes").at(0);
  EXPECT_EQ(attribute.at("key").as_string().size(), 64u * 1024u);
  EXPECT_EQ(attribute.at("value").at("stringValue").as_string().size(), 64u * 1024u);
  EXPECT_EQ(collector_->store().ingest_counts().limits.cut_values, 3u);
  EXPECT_EQ(api_traces().at("ingest").at("cutValues"), 3);
  // The next 2,000-span export: as on a fresh collector (0.04 s), not 9.5 s (here; 13-20 s in
  // the report) as when the 8 MiB key sat whole in an index. A generous bound, not a benchmark.
  double after = seconds_to_post(trace_with(2000, 2, 16));
  std::printf("2,000-span export: %.3f s fresh, %.3f s after the 8 MiB attribute\n", fresh, after);
  EXPECT_LT(after, 5.0);
  EXPECT_EQ(collector_->store().span_count(), 4001u);
}

TEST_F(CollectorDefaults, B74_AttributesEventsAndLinksOverTheirCountsAreDroppedAndCounted) {
  trace::TracesData data = trace_with(1, 200, 4);
  trace::SpanData& span = data.resource_spans[0].scope_spans[0].spans[0];
  for (int i = 0; i < 1000; ++i) {
    span.events.push_back({"e", span.start_time_unix_nano, {}, 0});
    span.links.push_back({trace::SpanContext{span.trace_id, trace::generate_span_id()}, {}, 0});
  }
  span.events[0].attributes.push_back({"k", std::string(100'000, 'e')});
  span.dropped_events_count = 5;  // what the sender dropped already stays counted
  ASSERT_EQ(post(trace::encode_otlp_protobuf(data), "application/x-protobuf", "").status, 200);
  std::optional<json::object> stored = collector_->store().trace_json(trace_id_of(data));
  ASSERT_TRUE(stored);
  const json::value& s = stored->at("spans").at(0);
  EXPECT_EQ(s.at("attributes").as_array().size(), 128u);
  EXPECT_EQ(s.at("events").as_array().size(), 128u);
  EXPECT_EQ(s.at("links").as_array().size(), 128u);
  EXPECT_EQ(s.at("droppedAttributesCount"), 72);
  EXPECT_EQ(s.at("droppedEventsCount"), 877);
  EXPECT_EQ(s.at("droppedLinksCount"), 872);
  // Event attribute values are cut like the span's.
  EXPECT_EQ(
      s.at("events").at(0).at("attributes").at(0).at("value").at("stringValue").as_string().size(),
      64u * 1024u);
  json::object ingest = api_traces().at("ingest").as_object();
  EXPECT_EQ(ingest.at("droppedAttributes"), 72);
  EXPECT_EQ(ingest.at("droppedEvents"), 872);
  EXPECT_EQ(ingest.at("droppedLinks"), 872);
  EXPECT_EQ(ingest.at("cutValues"), 1);
}

TEST_F(CollectorDefaults, B75_TheStoreIsBoundedInBytesOldestEvicted) {
  collector_->stop();
  char dir_template[] = "/tmp/glassbox-b75-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir_template));
  std::string dir = dir_template;
  constexpr std::size_t kBound = 2 * 1024 * 1024;
  collector::CollectorOptions options;
  options.port = 0;
  options.store.path = dir + "/traces.db";
  options.store.max_bytes = kBound;
  collector_ = std::make_unique<collector::Collector>(options);
  collector_->start();
  // 40 traces of ~512 KiB each (8 attributes of 64 KiB): 20 MiB written, 2 MiB kept.
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    trace::TracesData data = trace_with(1, 8, 64 * 1024);
    ids.push_back(trace_id_of(data));
    ASSERT_EQ(
        post(gzip(trace::encode_otlp_protobuf(data)), "application/x-protobuf", "gzip").status,
        200);
    ASSERT_LE(collector_->store().stored_bytes(), kBound) << i;
  }
  EXPECT_GE(collector_->store().trace_count(), 2u);
  EXPECT_LE(collector_->store().trace_count(), 4u);
  EXPECT_TRUE(collector_->store().trace_json(ids.back()));    // the newest is kept
  EXPECT_FALSE(collector_->store().trace_json(ids.front()));  // the oldest went
  EXPECT_GE(collector_->store().ingest_counts().evicted_traces, 36u);
  // The file gives the pages back (auto_vacuum); the WAL is truncated at checkpoints.
  auto size = [](const std::string& path) {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? std::uintmax_t{0} : n;
  };
  std::uintmax_t db = size(options.store.path), wal = size(options.store.path + "-wal");
  std::printf("store bound %zu bytes: %zu stored, file %ju bytes, WAL %ju bytes\n", kBound,
              collector_->store().stored_bytes(), db, wal);
  EXPECT_LE(db, 4 * kBound);
  collector_->stop();
  std::filesystem::remove_all(dir);
}

TEST_F(CollectorDefaults, B76_StopDuringABigExportReturnsAtOnceAndKeepsNoneOfIt) {
  // 100,000 spans (the decode bound): seconds of inserts. stop() (what SIGTERM runs) interrupts
  // the insert, which rolls back; it used to wait for the whole export.
  std::string body = trace::encode_otlp_protobuf(trace_with(100'000, 1, 8));
  ASSERT_LT(body.size(), 16u * 1024u * 1024u);
  std::thread client([&] {
    transport::testing::RawClient c(collector_->port());
    c.write_raw(
        "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "application/x-protobuf\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    c.read();  // the answer (503: the store is stopping), or the connection closed
  });
  // Wait until the export is being stored (the event itself, not a guess at its duration).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!collector_->store().inserting() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling the flag
  }
  ASSERT_TRUE(collector_->store().inserting()) << "the export was never stored";
  auto start = std::chrono::steady_clock::now();
  collector_->stop();
  double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("stop() during a 100,000-span export: %.3f s\n", stop_seconds);
  EXPECT_LT(stop_seconds, 2.0);
  client.join();
  EXPECT_EQ(collector_->store().span_count(), 0u) << "an interrupted export is rolled back whole";
}

TEST_F(CollectorDefaults, B77_AForeignHostOrOriginIs403AsOnTheMcpServer) {  // DNS rebinding
  ASSERT_EQ(post(valid_json(), "application/json").status, 200);
  std::string port = std::to_string(collector_->port());
  for (const char* host : {"attacker.example", "attacker.example:4318", "127.0.0.1.nip.io"}) {
    transport::testing::RawResponse r = get("/api/traces", host);
    EXPECT_EQ(r.status, 403) << host;
    EXPECT_NE(r.body.find("Host not allowed"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("traceId"), std::string::npos) << "traces served to " << host;
  }
  for (const char* origin : {"http://attacker.example", "null", "http://localhost.evil.com"}) {
    transport::testing::RawResponse r = get("/api/traces", "127.0.0.1", origin);
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_NE(r.body.find("Origin not allowed"), std::string::npos) << r.body;
  }
  // The loopback names, with or without a port, and a loopback Origin still pass.
  for (std::string host : {std::string("127.0.0.1"), "localhost:" + port, "[::1]:" + port}) {
    EXPECT_EQ(get("/api/traces", host).status, 200) << host;
  }
  EXPECT_EQ(get("/api/traces", "localhost", "http://localhost:" + port).status, 200);
}

TEST_F(CollectorDefaults, B78_FramingRfc9112RefusesIs400) {
  std::string body = valid_json();
  auto raw = [&](const std::string& head_lines) {
    transport::testing::RawClient c(collector_->port());
    c.write_raw("POST /v1/traces HTTP/1.1\r\n" + head_lines +
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
    transport::testing::RawResponse r = c.read();
    return std::make_pair(r, c.closed_by_peer());
  };
  for (const char* lines :
       {"Host: 127.0.0.1\r\nHost: attacker.example\r\n", "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n",
        "Host: localhost:80@evil.com\r\n",
        "Host: 127.0.0.1\r\nOrigin: http://localhost\r\nOrigin: http://evil.example\r\n",
        "Host: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n",
        "Host: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n"}) {
    auto [r, closed] = raw(lines);
    EXPECT_EQ(r.status, 400) << lines;
    EXPECT_TRUE(closed) << lines;
  }
  EXPECT_EQ(collector_->store().span_count(), 0u);
  expect_nothing_stored_and_alive();
}

TEST_F(CollectorDefaults, B79_InvalidUtf8FromProtobufIsReplacedSoTheApiStaysValidJson) {
  const std::string bad = "\xC3\x28\xFF";  // a truncated sequence, then a byte never valid
  const std::string repaired = "\xEF\xBF\xBD(\xEF\xBF\xBD";
  trace::TracesData data = one_trace();
  data.resource_spans[0].resource.set("service.name", "svc" + bad);
  trace::SpanData& span = data.resource_spans[0].scope_spans[0].spans[0];
  span.name = bad;
  span.attributes.push_back({"key" + bad, "value" + bad});
  span.events.push_back({"event" + bad, span.start_time_unix_nano, {}, 0});
  ASSERT_EQ(post(trace::encode_otlp_protobuf(data), "application/x-protobuf").status, 200);
  json::object list = api_traces();  // a strict parse: fails on one invalid byte
  const json::value& summary = list.at("traces").at(0);
  EXPECT_EQ(summary.at("rootName").as_string(), repaired);
  EXPECT_EQ(summary.at("rootService").as_string(), "svc" + repaired);
  transport::testing::RawResponse one = get("/api/traces/" + trace_id_of(data), "127.0.0.1");
  std::string error;
  std::optional<json::value> v = json::parse(one.body, {}, &error);
  ASSERT_TRUE(v) << error;
  const json::value& s = v->at("spans").at(0);
  EXPECT_EQ(s.at("attributes").at(0).at("key").as_string(), "key" + repaired);
  EXPECT_EQ(s.at("attributes").at(0).at("value").at("stringValue").as_string(), "value" + repaired);
  EXPECT_EQ(s.at("events").at(0).at("name").as_string(), "event" + repaired);
  // service.name, the span name, the key, the value, the event name.
  EXPECT_EQ(list.at("ingest").at("repairedStrings"), 5);
}

}  // namespace
}  // namespace glassbox::hardening
