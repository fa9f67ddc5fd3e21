// The embedded collector: SQLite store (round trip, retention), the OTLP/HTTP receiver (JSON,
// protobuf, gzip, bad payloads -> 400) and the viewer's endpoints. Binds 127.0.0.1 port 0.
#include "collector.hpp"

#include "glassbox/trace/otlp.hpp"
#include "support/compress.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace glassbox::collector {
namespace {

namespace http = boost::beast::http;

using testing::Reply;
using testing::request;

std::string gzip(std::string_view data) {
  return testing::compress(data);
}

trace::SpanData make_span(const trace::TraceId& trace_id, const trace::SpanId& parent,
                          std::string name, std::uint64_t start_ms, std::uint64_t duration_ms) {
  trace::SpanData s;
  s.name = std::move(name);
  s.kind = trace::SpanKind::internal;
  s.trace_id = trace_id;
  s.span_id = trace::generate_span_id();
  s.parent_span_id = parent;
  s.flags = 1;
  s.start_time_unix_nano = 1'710'000'000'000'000'000ULL + start_ms * 1'000'000;
  s.end_time_unix_nano = s.start_time_unix_nano + duration_ms * 1'000'000;
  return s;
}

// A client span from "agent" and a server tree from "acme-helpdesk" under it, as a stitched
// passback export looks.
trace::TracesData stitched_trace(trace::TraceId trace_id = trace::generate_trace_id()) {
  trace::SpanData client = make_span(trace_id, {}, "tools/call search_tickets", 0, 120);
  client.kind = trace::SpanKind::client;
  client.attributes = {{"mcp.method.name", "tools/call"}, {"jsonrpc.request.id", "1"}};
  trace::SpanData server = make_span(trace_id, client.span_id, "tools/call search_tickets", 5, 100);
  server.kind = trace::SpanKind::server;
  server.attributes = {
      {"gen_ai.tool.name", "search_tickets"},
      {"nested", trace::KvlistValue{{{"a", 1}, {"b", trace::ArrayValue{{true, 2.5}}}}}},
      {"blob", trace::BytesValue{std::string("\x00\x01\xff", 3)}}};
  server.events.push_back({"cache.miss", server.start_time_unix_nano + 1000, {{"key", "k"}}, 0});
  trace::SpanData auth = make_span(trace_id, server.span_id, "auth.validate", 6, 10);
  auth.attributes = {{"http.request.header.authorization", "[REDACTED]"}};
  trace::SpanData crm = make_span(trace_id, server.span_id, "crm.lookup_customer", 20, 40);
  crm.kind = trace::SpanKind::client;
  crm.status_code = trace::StatusCode::error;
  crm.status_message = "upstream returned 503";
  // Flags 0: OTLP does not carry a link's flags.
  crm.links.push_back({{trace_id, client.span_id, 0, {}, true}, {{"why", "join"}}, 0});

  trace::TracesData data;
  trace::Resource agent;
  agent.set("service.name", "agent");
  trace::Resource acme;
  acme.set("service.name", "acme-helpdesk");
  acme.set("service.version", "3.4.1");
  data.resource_spans.push_back({agent, {{{"glassbox", "0.1.0", {}}, {client}, {}}}, {}});
  data.resource_spans.push_back({acme, {{{"glassbox", "0.1.0", {}}, {server, auth, crm}, {}}}, {}});
  return data;
}

std::map<std::string, trace::SpanData> spans_by_name(
    const trace::TracesData& data, std::map<std::string, std::string>* services = nullptr) {
  std::map<std::string, trace::SpanData> out;
  for (const auto& rs : data.resource_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) {
        std::string key = s.name + (s.kind == trace::SpanKind::client ? "/client" : "");
        out[key] = s;
        if (services) (*services)[key] = std::string(rs.resource.service_name());
      }
  return out;
}

TEST(TraceStore, RoundTripKeepsSpansAndTheirResources) {
  TraceStore store;
  trace::TracesData data = stitched_trace();
  EXPECT_EQ(store.insert(data), 4u);
  std::string id = data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex();
  auto back = store.trace_data(id);
  ASSERT_TRUE(back);
  std::map<std::string, std::string> services;
  auto got = spans_by_name(*back, &services);
  auto want = spans_by_name(data);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, span] : want) {
    EXPECT_EQ(json::serialize(trace::span_to_otlp_json(got.at(name))),
              json::serialize(trace::span_to_otlp_json(span)));
    EXPECT_EQ(got.at(name), span) << name;
  }
  EXPECT_EQ(services.at("tools/call search_tickets/client"), "agent");
  EXPECT_EQ(services.at("auth.validate"), "acme-helpdesk");

  auto summary = store.recent();
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].root_name, "tools/call search_tickets");
  EXPECT_EQ(summary[0].root_service, "agent");
  EXPECT_EQ(summary[0].services, (std::vector<std::string>{"agent", "acme-helpdesk"}));
  EXPECT_EQ(summary[0].span_count, 4u);
  EXPECT_EQ(summary[0].error_count, 1u);
  EXPECT_EQ(summary[0].end_time_unix_nano - summary[0].start_time_unix_nano, 120'000'000u);
}

// Regression (found by fuzz_collector_ingest): a resource without a string service.name (OTLP
// does not require one) bound a null text as SQL NULL into a NOT NULL column; the export failed
// and the receiver answered 503.
TEST(TraceStore, AResourceWithoutServiceNameIsStored) {
  TraceStore store;
  trace::TracesData data = stitched_trace();
  data.resource_spans[0].resource = trace::Resource{};
  data.resource_spans[1].resource.attributes = {{"service.name", std::int64_t{7}}};
  EXPECT_EQ(store.insert(data), 4u);
  std::string id = data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex();
  std::optional<json::object> t = store.trace_json(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->at("spans").as_array().size(), 4u);
  ASSERT_EQ(store.recent().size(), 1u);
  EXPECT_EQ(store.recent()[0].span_count, 4u);
}

TEST(TraceStore, SpansOfOneTraceMayArriveInSeveralExports) {
  TraceStore store;
  trace::TracesData data = stitched_trace();
  trace::TracesData first, second;
  first.resource_spans.push_back(data.resource_spans[1]);  // the server's spans first
  second.resource_spans.push_back(data.resource_spans[0]);
  store.insert(first);
  store.insert(second);
  store.insert(second);  // a retry: replaced, not doubled
  auto summary = store.recent();
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].span_count, 4u);
  EXPECT_EQ(summary[0].root_service, "agent");  // the client span became the root
}

TEST(TraceStore, RetentionDeletesTheOldestTraces) {
  auto path = std::filesystem::temp_directory_path() /
              ("glassbox-store-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  std::vector<std::string> ids;
  {
    TraceStore store({.path = path.string(), .max_traces = 3});
    for (int i = 0; i < 5; ++i) {
      trace::TracesData data = stitched_trace();
      ids.push_back(data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex());
      store.insert(data);
    }
    EXPECT_EQ(store.trace_count(), 3u);
    EXPECT_EQ(store.span_count(), 12u);
    EXPECT_FALSE(store.trace_json(ids[0]));
    EXPECT_FALSE(store.trace_json(ids[1]));
    EXPECT_TRUE(store.trace_json(ids[4]));
  }
  TraceStore reopened({.path = path.string(), .max_traces = 3});  // a file survives, WAL or not
  EXPECT_EQ(reopened.trace_count(), 3u);
  EXPECT_EQ(reopened.recent().front().trace_id, ids[4]);
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

class CollectorHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    collector =
        std::make_unique<Collector>(CollectorOptions{.port = 0, .max_body_bytes = 1024 * 1024});
    collector->start();
    port = collector->port();
  }
  std::unique_ptr<Collector> collector;
  std::uint16_t port = 0;
};

TEST_F(CollectorHttp, ReceivesOtlpJson) {
  trace::TracesData data = stitched_trace();
  Reply r = request(port, http::verb::post, "/v1/traces",
                    json::serialize(trace::encode_otlp_json(data)), "application/json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(collector->store().span_count(), 4u);
}

TEST_F(CollectorHttp, ReceivesOtlpProtobuf) {
  trace::TracesData data = stitched_trace();
  Reply r = request(port, http::verb::post, "/v1/traces", trace::encode_otlp_protobuf(data),
                    "application/x-protobuf");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  std::string id = data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex();
  auto back = collector->store().trace_data(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->span_count(), 4u);
}

TEST_F(CollectorHttp, ReceivesGzip) {
  Reply json_reply = request(port, http::verb::post, "/v1/traces",
                             gzip(json::serialize(trace::encode_otlp_json(stitched_trace()))),
                             "application/json; charset=utf-8", "gzip");
  EXPECT_EQ(json_reply.status, 200) << json_reply.body;
  Reply proto_reply = request(port, http::verb::post, "/v1/traces",
                              gzip(trace::encode_otlp_protobuf(stitched_trace())),
                              "application/x-protobuf", "gzip");
  EXPECT_EQ(proto_reply.status, 200) << proto_reply.body;
  EXPECT_EQ(collector->store().trace_count(), 2u);
}

TEST_F(CollectorHttp, BadPayloadsAre400WithAReason) {
  struct Case {
    std::string body, type, encoding;
    int status;
    std::string reason;
  };
  std::string valid = json::serialize(trace::encode_otlp_json(stitched_trace()));
  std::vector<Case> cases = {
      {"{not json", "application/json", "", 400, "invalid JSON"},
      {R"({"resourceSpans":"x"})", "application/json", "", 400, "not an array"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"00f067aa0ba902b7"}]}]}]})",
       "application/json", "", 400, "traceId"},
      {"\xff\xff\xff\xff garbage", "application/x-protobuf", "", 400, ""},
      {"not gzip at all", "application/json", "gzip", 400, "gzip"},
      {gzip(valid).substr(0, 20), "application/json", "gzip", 400, "gzip"},
      {valid, "text/plain", "", 415, "Content-Type"},
      {valid, "application/json", "br", 415, "Content-Encoding"},
  };
  for (const auto& c : cases) {
    Reply r = request(port, http::verb::post, "/v1/traces", c.body, c.type, c.encoding);
    EXPECT_EQ(r.status, c.status) << c.type << " " << c.encoding << " " << r.body;
    if (c.type == "application/json") {
      auto body = json::parse(r.body);
      ASSERT_TRUE(body) << r.body;
      EXPECT_NE(std::string(body->at("message").as_string()).find(c.reason), std::string::npos)
          << r.body;
    }
  }
  EXPECT_EQ(collector->store().span_count(), 0u);
  // Still serving after all of that.
  EXPECT_EQ(request(port, http::verb::post, "/v1/traces", valid, "application/json").status, 200);
}

TEST_F(CollectorHttp, BodyLimitAndGzipBombAreRefused) {
  Reply big = request(port, http::verb::post, "/v1/traces", std::string(2 * 1024 * 1024, ' '),
                      "application/json");
  EXPECT_EQ(big.status, 413);
  // 1 MiB of zeros compresses to ~1 KiB; 100 MiB would inflate past the inflate bound.
  std::string bomb = gzip(std::string(100 * 1024 * 1024, '0'));
  ASSERT_LT(bomb.size(), 1024u * 1024u);
  Reply r = request(port, http::verb::post, "/v1/traces", bomb, "application/json", "gzip");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("inflates past"), std::string::npos) << r.body;
  EXPECT_EQ(request(port, http::verb::get, "/v1/traces").status, 405);
}

TEST_F(CollectorHttp, ViewerEndpoints) {
  trace::TracesData data = stitched_trace();
  std::string id = data.resource_spans[0].scope_spans[0].spans[0].trace_id.to_hex();
  ASSERT_EQ(request(port, http::verb::post, "/v1/traces", trace::encode_otlp_protobuf(data),
                    "application/x-protobuf")
                .status,
            200);

  Reply list = request(port, http::verb::get, "/api/traces");
  EXPECT_EQ(list.status, 200);
  auto l = json::parse(list.body);
  ASSERT_TRUE(l);
  const json::object& first = l->at("traces").as_array().at(0).as_object();
  EXPECT_EQ(first.at("traceId").as_string(), id);
  EXPECT_EQ(first.at("rootName").as_string(), "tools/call search_tickets");
  EXPECT_EQ(json::serialize(first.at("services")), R"(["agent","acme-helpdesk"])");
  EXPECT_EQ(first.at("spanCount").as_int64(), 4);
  EXPECT_DOUBLE_EQ(first.at("durationMs").as_double(), 120.0);

  Reply one = request(port, http::verb::get, "/api/traces/" + id);
  EXPECT_EQ(one.status, 200);
  auto t = json::parse(one.body);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->at("spans").as_array().size(), 4u);
  EXPECT_EQ(t->at("resources").as_array().size(), 2u);
  for (const auto& s : t->at("spans").as_array()) {
    if (s.at("name").as_string() == "crm.lookup_customer") {
      EXPECT_EQ(s.at("status").at("code").as_int64(), 2);
      EXPECT_DOUBLE_EQ(s.at("startOffsetMs").as_double(), 20.0);
      EXPECT_DOUBLE_EQ(s.at("durationMs").as_double(), 40.0);
      std::size_t r = s.at("resource").to_number<std::size_t>();
      EXPECT_EQ(t->at("resources").at(r).at("serviceName").as_string(), "acme-helpdesk");
    }
  }
  EXPECT_EQ(request(port, http::verb::get, "/api/traces/" + std::string(32, 'a')).status, 404);
  EXPECT_EQ(request(port, http::verb::get, "/api/traces/nothex").status, 404);

  Reply page = request(port, http::verb::get, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script>"), std::string::npos);
  EXPECT_EQ(request(port, http::verb::get, "/trace/" + id).body, page.body);
  EXPECT_EQ(request(port, http::verb::get, "/nothing").status, 404);
}

TEST(CollectorCommand, ParsesListenAddresses) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:4318"),
            std::make_pair(std::string("127.0.0.1"), std::uint16_t{4318}));
  EXPECT_EQ(parse_listen_address("[::1]:0"), std::make_pair(std::string("::1"), std::uint16_t{0}));
  EXPECT_FALSE(parse_listen_address("4318"));
  EXPECT_FALSE(parse_listen_address("host:99999"));
  EXPECT_FALSE(parse_listen_address("host:"));
}

TEST(CollectorCommand, ABusyPortIsAClearError) {
  Collector first({.port = 0});
  first.start();
  Collector second({.port = first.port()});
  try {
    second.start();
    FAIL() << "expected the port to be taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace glassbox::collector
