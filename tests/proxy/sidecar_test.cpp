// The sidecar's routing of exported spans to the calls waiting for them (P3): spans posted over
// real OTLP/HTTP (protobuf and JSON) to the loopback receiver, as an instrumented child posts them.
#include "proxy.hpp"

#include "glassbox/trace/context.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

namespace glassbox::cli {
namespace {

using namespace std::chrono_literals;

trace::SpanData span(const trace::TraceId& trace_id, const trace::SpanId& parent, std::string name,
                     trace::SpanKind kind = trace::SpanKind::internal) {
  trace::SpanData s;
  s.name = std::move(name);
  s.kind = kind;
  s.trace_id = trace_id;
  s.span_id = trace::generate_span_id();
  s.parent_span_id = parent;
  s.start_time_unix_nano = 1'700'000'000'000'000'000;
  s.end_time_unix_nano = s.start_time_unix_nano + 1000;
  return s;
}

trace::SpanContext caller() {
  return {.trace_id = trace::generate_trace_id(), .span_id = trace::generate_span_id(), .flags = 1};
}

// Posts `spans` to the sidecar's receiver under one resource, as the child's exporter does.
void post(const Sidecar& sidecar, const std::vector<trace::SpanData>& spans,
          transport::OtlpProtocol protocol = transport::OtlpProtocol::http_protobuf) {
  std::string endpoint;
  for (const auto& [name, value] : sidecar.child_environment())
    if (name == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") endpoint = value;
  transport::OtlpHttpExporter exporter(
      {.endpoint = endpoint, .protocol = protocol, .max_attempts = 1});
  trace::Resource resource;
  resource.set("service.name", "child");
  ASSERT_EQ(exporter.export_spans(spans, resource, {.name = "child-sdk"}),
            trace::ExportResult::success)
      << exporter.last_error();
}

// The spans of a passback value, by name.
std::set<std::string> names(const json::object& traces) {
  std::set<std::string> out;
  for (const auto& rs : traces.at("resourceSpans").as_array())
    for (const auto& ss : rs.at("scopeSpans").as_array())
      for (const auto& s : ss.at("spans").as_array())
        out.insert(std::string(s.at("name").as_string()));
  return out;
}

class SidecarTest : public ::testing::Test {
 protected:
  void start(std::chrono::milliseconds wait) {
    sidecar_ = std::make_unique<Sidecar>(SidecarOptions{.wait = wait});
    sidecar_->start();
  }
  std::unique_ptr<Sidecar> sidecar_;
};

// covers P3, S6, S11
TEST_F(SidecarTest, AnswersFromTheRootUnderTheCallerTopLevelOrDetailedAndRedacted) {
  start(5s);
  for (bool detailed : {false, true}) {
    trace::SpanContext from = caller();
    auto call = sidecar_->begin(from);
    trace::SpanData root =
        span(from.trace_id, from.span_id, "tools/call x", trace::SpanKind::server);
    trace::SpanData child = span(from.trace_id, root.span_id, "db.query");
    child.attributes.push_back({"http.request.header.authorization", "Bearer abc.def.ghi"});
    trace::SpanData grandchild = span(from.trace_id, child.span_id, "db.row");
    post(*sidecar_, {grandchild, child, root},
         detailed ? transport::OtlpProtocol::http_json : transport::OtlpProtocol::http_protobuf);
    json::object traces = sidecar_->finish(call, detailed);
    std::set<std::string> expected{"tools/call x", "db.query"};
    if (detailed) expected.insert("db.row");
    EXPECT_EQ(names(traces), expected);
    EXPECT_EQ(
        traces.at("resourceSpans").as_array().at(0).at("resource"),
        json::parse(R"({"attributes":[{"key":"service.name","value":{"stringValue":"child"}}]})")
            .value());
    EXPECT_EQ(json::serialize(traces).find("abc.def.ghi"), std::string::npos);
    EXPECT_EQ(traces.at("policy").at("redactedAttributeCount"), 1);
    EXPECT_EQ(traces.at("droppedSpanCount"), detailed ? 0 : 1);
  }
}

// covers S9: spans of one call never reach another's passback
TEST_F(SidecarTest, EachCallGetsOnlyItsOwnTrace) {
  start(5s);
  std::vector<trace::SpanContext> callers;
  std::vector<std::shared_ptr<Sidecar::Call>> calls;
  std::vector<trace::SpanData> all;
  for (int i = 0; i < 20; ++i) {
    callers.push_back(caller());
    calls.push_back(sidecar_->begin(callers.back()));
    trace::SpanData root = span(callers.back().trace_id, callers.back().span_id,
                                "root " + std::to_string(i), trace::SpanKind::server);
    all.push_back(span(root.trace_id, root.span_id, "child " + std::to_string(i)));
    all.push_back(root);
  }
  post(*sidecar_, all);  // one batch, every call's spans mixed
  for (int i = 0; i < 20; ++i) {
    json::object traces = sidecar_->finish(calls[i], false);
    EXPECT_EQ(names(traces),
              (std::set<std::string>{"root " + std::to_string(i), "child " + std::to_string(i)}));
  }
}

// covers P3: the wait is bounded, the reason says why, and late spans are counted
TEST_F(SidecarTest, NeverHoldsACallPastTheBoundAndCountsLateSpans) {
  start(200ms);
  trace::SpanContext from = caller();
  auto call = sidecar_->begin(from);
  auto started = std::chrono::steady_clock::now();
  json::object traces = sidecar_->finish(call, false);
  // Returns after the bound, not after some longer wait (a generous margin, no timing claim).
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(traces.at("resourceSpans").as_array().empty());
  std::string reason(traces.at("policy").at("reason").as_string());
  EXPECT_NE(reason.find("no spans within 200 ms"), std::string::npos) << reason;
  EXPECT_NE(reason.find("none at all"), std::string::npos) << reason;

  // The root comes after the answer: counted as late, not lost silently.
  post(*sidecar_, {span(from.trace_id, from.span_id, "late root", trace::SpanKind::server)});
  EXPECT_EQ(sidecar_->stats().late_spans, 1u);
  // A trace no call ever waited for is not "late".
  post(*sidecar_, {span(trace::generate_trace_id(), trace::generate_span_id(), "stray")});
  EXPECT_EQ(sidecar_->stats().late_spans, 1u);
  EXPECT_EQ(sidecar_->stats().unmatched_spans, 1u);
}

// covers P3: spans of the trace arrived, the root did not
TEST_F(SidecarTest, WithoutItsRootACallGetsNoSpansAndAReason) {
  start(200ms);
  trace::SpanContext from = caller();
  auto call = sidecar_->begin(from);
  // Under some other span of the trace: not the call's root.
  post(*sidecar_, {span(from.trace_id, trace::generate_span_id(), "elsewhere")});
  json::object traces = sidecar_->finish(call, true);
  EXPECT_TRUE(traces.at("resourceSpans").as_array().empty());
  std::string reason(traces.at("policy").at("reason").as_string());
  EXPECT_NE(reason.find("root span for this call did not arrive within 200 ms"), std::string::npos)
      << reason;
  EXPECT_EQ(traces.at("droppedSpanCount"), 1);
}

// The child is pointed at the receiver, with a short batch delay.
TEST_F(SidecarTest, ChildEnvironmentNamesTheReceiver) {
  start(1s);
  std::map<std::string, std::string> env;
  for (const auto& [name, value] : sidecar_->child_environment()) env[name] = value;
  EXPECT_TRUE(env.at("OTEL_EXPORTER_OTLP_ENDPOINT").starts_with("http://127.0.0.1:"));
  EXPECT_EQ(env.at("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            env.at("OTEL_EXPORTER_OTLP_ENDPOINT") + "/v1/traces");
  EXPECT_EQ(env.at("OTEL_BSP_SCHEDULE_DELAY"), "20");
}

}  // namespace
}  // namespace glassbox::cli
