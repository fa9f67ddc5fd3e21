// Server execution telemetry, client side: every rule C1..C8 of the passback spec, by id, against
// a real glassbox passback server and against hostile servers that forge _meta.otel.traces.
#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/transport/memory.hpp"
#include "support/otlp_forgery.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace glassbox::mcp {
namespace {

using glassbox::testing::envelope;
using glassbox::testing::new_span_id;
using glassbox::testing::span_json;

// Keeps every exported batch with the resource it was exported under (C5).
class BatchRecorder final : public trace::SpanExporter {
 public:
  struct Exported {
    trace::Resource resource;
    std::vector<trace::SpanData> spans;
  };
  trace::ExportResult export_spans(std::span<const trace::SpanData> spans,
                                   const trace::Resource& resource,
                                   const trace::InstrumentationScope&) noexcept override {
    std::lock_guard lock(mutex_);
    batches_.push_back({resource, {spans.begin(), spans.end()}});
    return trace::ExportResult::success;
  }
  std::vector<Exported> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Exported> batches_;
};

// What a forging server sends back, given the request's traceparent context.
using Forge = std::function<json::value(const trace::SpanContext& caller)>;

void add_tools(Server& server) {
  server.add_tool({.name = "work"}, [](const json::object&, RequestContext& ctx) {
    {
      trace::Span auth = ctx.span("auth.validate");
      trace::Span jwks = ctx.span("auth.jwks.lookup");  // a grandchild: detailed only
    }
    { trace::Span db = ctx.span("db.query"); }
    return CallToolResult::text("done");
  });
  server.add_tool({.name = "fails"}, [](const json::object&, RequestContext& ctx) {
    trace::Span upstream = ctx.span("upstream.call");
    return CallToolResult::error("upstream returned 500");
  });
  server.add_tool({.name = "denied"},
                  [](const json::object&, RequestContext& ctx) -> CallToolResult {
                    { trace::Span auth = ctx.span("auth.validate"); }
                    trace::Span policy = ctx.span("policy.evaluate");
                    throw ProtocolError({-32003, "denied by policy", json::object{{"ticket", 7}}});
                  });
  server.add_resource({.uri = "doc://readme", .name = "readme"},
                      [](const std::string& uri, RequestContext& ctx) {
                        trace::Span access = ctx.span("access.check");
                        return std::vector<ResourceContents>{{uri, "text/plain", "hi", {}}};
                      });
}

struct Setup {
  bool passback_server = true;  // enable_passback on the server
  Forge forge;                  // a hostile server: replaces _meta.otel.traces on every call
  ClientTelemetryOptions telemetry;
  bool propagate = true;
};

struct Fixture {
  explicit Fixture(Setup setup = {}) {
    exporter = std::make_shared<BatchRecorder>();
    if (setup.forge) {
      server.use(
          [forge = setup.forge, this](RequestContext& ctx, const MethodHandler& next) -> Outcome {
            Outcome outcome = next(ctx);
            if (ctx.method() != "tools/call" && ctx.method() != "resources/read") return outcome;
            const json::string* tp = json::find_string(ctx.meta(), "traceparent");
            auto caller = tp ? trace::parse_traceparent(*tp) : std::nullopt;
            remember_meta(ctx.meta());
            json::object& meta = outcome_meta(outcome);
            meta["otel"] = json::object{{"traces", forge(caller.value_or(trace::SpanContext{}))}};
            return outcome;
          });
    } else {
      server.use([this](RequestContext& ctx, const MethodHandler& next) {
        if (ctx.method() == "tools/call" || ctx.method() == "resources/read")
          remember_meta(ctx.meta());
        return next(ctx);
      });
    }
    // After the forger: the first middleware is the outermost, so the forger has the last word.
    if (setup.passback_server) {
      trace::TracerProviderOptions po;
      po.resource.set("service.name", "acme-server");
      po.resource.set("service.version", "2.0.0");
      enable_passback(server, {.provider = std::make_shared<trace::TracerProvider>(std::move(po))});
    }
    add_tools(server);
    if (!setup.telemetry.provider) {
      trace::TracerProviderOptions po;
      po.resource.set("service.name", "agent");
      setup.telemetry.provider = std::make_shared<trace::TracerProvider>(std::move(po));
    }
    if (!setup.telemetry.exporter) setup.telemetry.exporter = exporter;
    auto user_callback = setup.telemetry.on_trace;
    setup.telemetry.on_trace = [this, user_callback](const StitchedTrace& t) {
      std::lock_guard lock(mutex);
      traces.push_back(t);
      if (user_callback) user_callback(t);
    };
    client = std::make_unique<Client>(ClientOptions{.max_message_bytes = 128 * 1024 * 1024,
                                                    .propagate_trace_context = setup.propagate});
    telemetry = enable_client_telemetry(*client, std::move(setup.telemetry));
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client->connect(c);
  }

  StitchedTrace last() {
    std::lock_guard lock(mutex);
    return traces.back();
  }

  std::shared_ptr<BatchRecorder> exporter;
  Server server{{.name = "acme-server", .version = "2.0.0"}};
  std::unique_ptr<Client> client;
  std::shared_ptr<ClientTelemetry> telemetry;
  std::mutex mutex;
  std::vector<StitchedTrace> traces;
  json::object seen_meta;  // the request _meta the server saw last
  std::mutex meta_mutex;   // the server's workers write seen_meta concurrently

  void remember_meta(const json::object& meta) {
    std::lock_guard lock(meta_mutex);
    seen_meta = meta;
  }
};

std::set<std::string> server_span_names(const StitchedTrace& t) {
  std::set<std::string> names;
  for (const auto& rs : t.server_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) names.insert(s.name);
  return names;
}

std::string attribute_string(const trace::SpanData& span, std::string_view key) {
  const trace::AttributeValue* v = trace::find_attribute(span.attributes, key);
  return v && v->if_string() ? *v->if_string() : std::string();
}

// A hostile server's payload must never reach the caller as anything but a report: the result
// is intact, nothing was accepted, the reason is given.
void expect_discarded_but_result_intact(Fixture& f, std::string_view reason_part) {
  CallToolResult r = f.client->call_tool("work");
  ASSERT_EQ(r.content.size(), 1u);
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "done");
  EXPECT_FALSE(r.is_error);
  StitchedTrace t = f.last();
  EXPECT_TRUE(t.report.present);
  EXPECT_TRUE(t.report.discarded) << t.report.reason;
  EXPECT_EQ(t.report.accepted_span_count, 0u);
  EXPECT_TRUE(t.server_spans.empty());
  EXPECT_NE(t.report.reason.find(reason_part), std::string::npos) << t.report.reason;
  EXPECT_EQ(f.telemetry->stats().payloads_discarded, 1u);
  // The discard is visible on the CLIENT span as an event.
  ASSERT_FALSE(t.client_span.events.empty());
  EXPECT_EQ(t.client_span.events.back().name, "mcp.passback.discarded");
}

TEST(ClientTelemetry, ClientSpanAndTraceparentOnEveryTracedCall) {  // covers C1
  Fixture f({.telemetry = {.passback = PassbackMode::never}});
  f.client->call_tool("work");
  StitchedTrace t = f.last();
  EXPECT_EQ(t.client_span.kind, trace::SpanKind::client);
  EXPECT_EQ(t.client_span.name, "tools/call work");
  EXPECT_FALSE(t.client_span.parent_span_id.is_valid());  // a new trace
  auto sent = trace::parse_traceparent(std::string(f.seen_meta.at("traceparent").as_string()));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->trace_id, t.client_span.trace_id);
  EXPECT_EQ(sent->span_id, t.client_span.span_id);
  EXPECT_FALSE(f.seen_meta.contains("otel"));  // passback not requested, traceparent still sent
  EXPECT_FALSE(t.report.requested);

  f.client->read_resource("doc://readme");
  EXPECT_EQ(f.last().client_span.name, "resources/read doc://readme");
  EXPECT_EQ(attribute_string(f.last().client_span, "mcp.resource.uri"), "doc://readme");
}

TEST(ClientTelemetry, ChildOfTheCallersBoundContextWithoutADoubleSpan) {  // covers C1
  Fixture f;  // the Client's default propagation is on too
  auto recorder = std::make_shared<trace::Recorder>();
  trace::Span caller = trace::start_root_span(recorder, "agent.step", trace::SpanKind::internal);
  {
    trace::ContextScope scope(caller);
    f.client->call_tool("work");
  }
  caller.end();
  StitchedTrace t = f.last();
  EXPECT_EQ(t.client_span.trace_id, caller.context().trace_id);
  EXPECT_EQ(t.client_span.parent_span_id, caller.context().span_id);
  std::size_t client_spans = 0;
  for (const auto& s : recorder->snapshot()) client_spans += s.kind == trace::SpanKind::client;
  EXPECT_EQ(client_spans, 1u);  // ours, not a second one from the propagation middleware
  EXPECT_EQ(t.report.accepted_span_count, 3u);
  EXPECT_EQ(t.server_root_span_id.has_value(), true);
}

TEST(ClientTelemetry, AnExplicitTraceparentBecomesTheParent) {  // covers C1
  Fixture f;
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  f.client->call_tool("work", {}, {.meta = {{"traceparent", tp}}});
  StitchedTrace t = f.last();
  EXPECT_EQ(t.client_span.trace_id.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(t.client_span.parent_span_id.to_hex(), "b7ad6b7169203331");
  EXPECT_NE(std::string(f.seen_meta.at("traceparent").as_string()), tp);  // replaced by ours
}

TEST(ClientTelemetry, AutomaticRequestsWhenAdvertised) {  // covers C2
  Fixture advertised;
  advertised.client->call_tool("work");
  EXPECT_TRUE(advertised.last().report.requested);
  EXPECT_EQ(json::serialize(advertised.seen_meta.at("otel")),
            R"({"traces":{"request":true,"detailed":false}})");
  EXPECT_EQ(advertised.last().report.accepted_span_count, 3u);

  Fixture silent({.passback_server = false});
  CallToolResult r = silent.client->call_tool("work");  // no _meta.otel back: normal
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "done");
  EXPECT_FALSE(silent.last().report.requested);
  EXPECT_FALSE(silent.last().report.present);
  EXPECT_FALSE(silent.seen_meta.contains("otel"));
  EXPECT_TRUE(silent.seen_meta.contains("traceparent"));
}

TEST(ClientTelemetry, AlwaysAndNeverOverrideTheAdvertisement) {  // covers C2
  Fixture always({.passback_server = false,
                  .telemetry = {.passback = PassbackMode::always, .detailed = true}});
  always.client->call_tool("work");
  EXPECT_EQ(json::serialize(always.seen_meta.at("otel")),
            R"({"traces":{"request":true,"detailed":true}})");
  EXPECT_FALSE(always.last().report.present);  // the server ignores it: still a normal call

  Fixture never({.telemetry = {.passback = PassbackMode::never}});
  CallToolResult r = never.client->call_tool("work");
  EXPECT_FALSE(r.meta.contains("otel"));
  EXPECT_FALSE(never.seen_meta.contains("otel"));
}

TEST(ClientTelemetry, DetailedReturnsTheWholeTree) {  // covers C2
  Fixture f({.telemetry = {.detailed = true}});
  f.client->call_tool("work");
  EXPECT_EQ(server_span_names(f.last()), (std::set<std::string>{"tools/call work", "auth.validate",
                                                                "auth.jwks.lookup", "db.query"}));
}

TEST(ClientTelemetry, FiftyThousandSpansAreDiscardedAndReported) {  // covers C3
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    json::array spans;
    spans.reserve(50'000);
    std::string root = new_span_id();
    spans.push_back(span_json(caller.trace_id.to_hex(), root, caller.span_id.to_hex()));
    for (int i = 1; i < 50'000; ++i)
      spans.push_back(span_json(caller.trace_id.to_hex(), new_span_id(), root));
    return envelope(std::move(spans));
  }});
  expect_discarded_but_result_intact(f, "more than 1000 spans");
  EXPECT_GT(f.last().report.received_span_count, 1000u);
}

TEST(ClientTelemetry, AFiftyMegabytePayloadIsDiscardedAndReported) {  // covers C3
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    json::object root = span_json(caller.trace_id.to_hex(), new_span_id(), caller.span_id.to_hex());
    root["attributes"] = json::array{json::object{
        {"key", "blob"}, {"value", {{"stringValue", std::string(50 * 1024 * 1024, 'x')}}}}};
    return envelope(json::array{root});
  }});
  expect_discarded_but_result_intact(f, "larger than 1048576 bytes");
}

TEST(ClientTelemetry, CountAndByteBoundsAreConfigurable) {  // covers C3
  Fixture f({.telemetry = {.detailed = true, .max_spans = 2}});
  f.client->call_tool("work");
  EXPECT_TRUE(f.last().report.discarded);
  EXPECT_EQ(f.last().report.received_span_count, 4u);
  Fixture g({.telemetry = {.max_bytes = 100}});
  g.client->call_tool("work");
  EXPECT_TRUE(g.last().report.discarded);
  EXPECT_NE(g.last().report.reason.find("larger than 100 bytes"), std::string::npos);
}

TEST(ClientTelemetry, SpansOfAnotherTraceAreDroppedAndCounted) {  // covers C4
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    std::string root = new_span_id();
    std::string other = trace::generate_trace_id().to_hex();
    return envelope(
        json::array{span_json(caller.trace_id.to_hex(), root, caller.span_id.to_hex(), "root"),
                    span_json(caller.trace_id.to_hex(), new_span_id(), root, "stage"),
                    span_json(other, new_span_id(), caller.span_id.to_hex(), "foreign.root"),
                    span_json(other, new_span_id(), root, "foreign.child")});
  }});
  CallToolResult r = f.client->call_tool("work");
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "done");
  StitchedTrace t = f.last();
  EXPECT_FALSE(t.report.discarded);
  EXPECT_EQ(t.report.accepted_span_count, 2u);
  EXPECT_EQ(t.report.foreign_trace_span_count, 2u);
  EXPECT_EQ(server_span_names(t), (std::set<std::string>{"root", "stage"}));
  EXPECT_EQ(f.telemetry->stats().spans_dropped, 2u);
}

TEST(ClientTelemetry, OnlySpansDescendedFromTheClientSpanAreKept) {  // covers C4
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    std::string t = caller.trace_id.to_hex();
    std::string root = new_span_id(), a = new_span_id(), b = new_span_id();
    return envelope(json::array{
        span_json(t, root, caller.span_id.to_hex(), "root"),
        span_json(t, new_span_id(), root, "stage"),
        span_json(t, new_span_id(), "", "parentless"),         // a second root of its own
        span_json(t, new_span_id(), new_span_id(), "orphan"),  // parent not in the payload
        span_json(t, a, b, "cycle.a"),
        span_json(t, b, a, "cycle.b"),                            // a cycle, hanging off nothing
        span_json(t, caller.span_id.to_hex(), "", "impostor")});  // claims to be the client span
  }});
  f.client->call_tool("work");
  StitchedTrace t = f.last();
  EXPECT_EQ(server_span_names(t), (std::set<std::string>{"root", "stage"}));
  EXPECT_EQ(t.report.unlinked_span_count, 4u);
  EXPECT_EQ(t.report.duplicate_span_count, 1u);
  EXPECT_TRUE(t.server_root_span_id);
}

TEST(ClientTelemetry, ARepeatedSpanIdIsAmbiguousAndDropped) {  // covers C4
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    std::string t = caller.trace_id.to_hex(), root = new_span_id();
    return envelope(json::array{span_json(t, root, caller.span_id.to_hex(), "root"),
                                span_json(t, new_span_id(), root, "stage"),
                                span_json(t, root, caller.span_id.to_hex(), "twin")});
  }});
  f.client->call_tool("work");
  StitchedTrace t = f.last();
  EXPECT_EQ(t.report.accepted_span_count, 0u);
  EXPECT_EQ(t.report.duplicate_span_count, 2u);
  EXPECT_EQ(t.report.unlinked_span_count, 1u);
}

TEST(ClientTelemetry, TheServerRootMustHangOffTheClientSpan) {  // covers C4
  Fixture f({.forge = [](const trace::SpanContext& caller) -> json::value {
    std::string root = new_span_id();
    return envelope(json::array{span_json(caller.trace_id.to_hex(), root, new_span_id(), "root"),
                                span_json(caller.trace_id.to_hex(), new_span_id(), root, "stage")});
  }});
  f.client->call_tool("work");
  EXPECT_EQ(f.last().report.accepted_span_count, 0u);
  EXPECT_EQ(f.last().report.unlinked_span_count, 2u);
  EXPECT_NE(f.last().report.reason.find("not under the client span"), std::string::npos);
}

TEST(ClientTelemetry, TheServersResourceIsKeptWhenForwarding) {  // covers C5, C7
  Fixture f;
  f.client->call_tool("work");
  ASSERT_TRUE(f.telemetry->force_flush());
  StitchedTrace t = f.last();
  ASSERT_EQ(t.server_spans.size(), 1u);
  EXPECT_EQ(t.server_spans[0].resource.service_name(), "acme-server");
  EXPECT_EQ(t.client_resource.service_name(), "agent");
  std::map<std::string, std::set<std::string>> by_service;  // service -> span names exported
  for (const auto& batch : f.exporter->batches())
    for (const auto& s : batch.spans)
      by_service[std::string(batch.resource.service_name())].insert(s.name);
  EXPECT_EQ(by_service["agent"], (std::set<std::string>{"tools/call work"}));
  EXPECT_EQ(by_service["acme-server"],
            (std::set<std::string>{"tools/call work", "auth.validate", "db.query"}));
  EXPECT_EQ(by_service.size(), 2u);
  EXPECT_EQ(f.telemetry->stats().spans_forwarded, 4u);
}

TEST(ClientTelemetry, ClientSpanRecordsRequestIdAndServerRoot) {  // covers C6
  Fixture f;
  f.client->call_tool("work");
  f.client->call_tool("work");
  StitchedTrace t = f.last();
  ASSERT_TRUE(t.request_id);
  ASSERT_TRUE(t.server_root_span_id);
  EXPECT_EQ(attribute_string(t.client_span, "jsonrpc.request.id"),
            jsonrpc::to_string(*t.request_id));
  EXPECT_EQ(attribute_string(t.client_span, "mcp.server.root_span_id"),
            t.server_root_span_id->to_hex());
  // The server's root says the same request id: the two sides can be joined either way.
  const trace::SpanData* root = nullptr;
  for (const auto& s : t.server_spans.at(0).scope_spans.at(0).spans)
    if (s.span_id == *t.server_root_span_id) root = &s;
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->kind, trace::SpanKind::server);
  EXPECT_EQ(root->parent_span_id, t.client_span.span_id);
  EXPECT_EQ(attribute_string(*root, "jsonrpc.request.id"), jsonrpc::to_string(*t.request_id));
  ASSERT_EQ(t.client_span.links.size(), 1u);
  EXPECT_EQ(t.client_span.links[0].context.span_id, *t.server_root_span_id);
}

TEST(ClientTelemetry, SpansComeBackWithAJsonRpcErrorToo) {  // covers C6, C7
  Fixture f;
  try {
    f.client->call_tool("denied");
    FAIL() << "expected the JSON-RPC error";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, -32003);
    EXPECT_EQ(json::serialize(json::as_object_or_empty(e.error().data).at("ticket")), "7");
  }
  StitchedTrace t = f.last();
  EXPECT_TRUE(t.failed);
  EXPECT_EQ(t.client_span.status_code, trace::StatusCode::error);
  EXPECT_EQ(server_span_names(t),
            (std::set<std::string>{"tools/call denied", "auth.validate", "policy.evaluate"}));

  CallToolResult r = f.client->call_tool("fails");  // the other tier: isError
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(f.last().failed);
  EXPECT_EQ(f.last().client_span.status_code, trace::StatusCode::error);
  EXPECT_EQ(f.last().report.accepted_span_count, 2u);
}

TEST(ClientTelemetry, WrongTypesNeverCrashNorFailTheCall) {  // covers C8
  std::vector<std::function<json::value(const trace::SpanContext&)>> payloads = {
      [](const trace::SpanContext&) { return json::value(42); },
      [](const trace::SpanContext&) {
        return json::value(json::object{{"resourceSpans", "lots"}});
      },
      [](const trace::SpanContext&) {
        return json::value(json::object{{"resourceSpans", json::array{1, 2}}});
      },
      [](const trace::SpanContext&) {
        return json::value(envelope(json::array{"span", nullptr, 3.5}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["kind"] = "server-ish";
        s["attributes"] = json::object{{"not", "a list"}};
        return json::value(envelope(json::array{s}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["startTimeUnixNano"] = json::array{};
        return json::value(envelope(json::array{s}));
      },
  };
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    SCOPED_TRACE(i);
    Fixture f({.forge = payloads[i]});
    expect_discarded_but_result_intact(f, "malformed passback");
  }
}

TEST(ClientTelemetry, ADeeplyNestedAttributeValueIsRefused) {  // covers C8
  Fixture f({.forge = [](const trace::SpanContext& c) -> json::value {
    json::value v = json::object{{"stringValue", "bottom"}};
    // 12 levels: past the decoder's bound (8), within the JSON-RPC parser's (64 JSON levels, 3
    // per AnyValue level); deeper still, the whole response is unreadable at the framing layer.
    for (int i = 0; i < 12; ++i) v = json::object{{"arrayValue", {{"values", json::array{v}}}}};
    json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
    s["attributes"] = json::array{json::object{{"key", "deep"}, {"value", v}}};
    return envelope(json::array{s});
  }});
  expect_discarded_but_result_intact(f, "nested too deeply");
}

TEST(ClientTelemetry, InvalidIdsAreRefused) {  // covers C8
  std::vector<std::function<json::value(const trace::SpanContext&)>> payloads = {
      [](const trace::SpanContext& c) {
        return json::value(
            envelope(json::array{span_json("zz", new_span_id(), c.span_id.to_hex())}));
      },
      [](const trace::SpanContext& c) {
        return json::value(envelope(
            json::array{span_json(c.trace_id.to_hex(), "0000000000000000", c.span_id.to_hex())}));
      },
      [](const trace::SpanContext& c) {
        return json::value(
            envelope(json::array{span_json(c.trace_id.to_hex(), new_span_id(), "123")}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["spanId"] = 12345;
        return json::value(envelope(json::array{s}));
      },
  };
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    SCOPED_TRACE(i);
    Fixture f({.forge = payloads[i]});
    expect_discarded_but_result_intact(f, "malformed passback");
  }
}

TEST(ClientTelemetry, AHostilePayloadOnAJsonRpcErrorKeepsTheError) {  // covers C8
  Fixture f({.forge = [](const trace::SpanContext&) { return json::value("garbage"); }});
  try {
    f.client->call_tool("denied");
    FAIL() << "expected the JSON-RPC error";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, -32003);
  }
  EXPECT_TRUE(f.last().report.discarded);
}

TEST(ClientTelemetry, IngestAloneIsBoundedAndTotal) {  // covers C3, C8
  trace::SpanContext client{trace::generate_trace_id(), trace::generate_span_id(), 1, {}, false};
  PassbackReport report;
  EXPECT_TRUE(ingest_passback(json::value(nullptr), client, {}, &report).empty());
  EXPECT_TRUE(report.discarded);
  PassbackReport empty;
  EXPECT_TRUE(ingest_passback(json::object{}, client, {}, &empty).empty());
  EXPECT_FALSE(empty.discarded);
  // Many empty resourceSpans cannot make the envelope walk unbounded.
  json::array many(200'000, json::object{});
  PassbackReport flood;
  ingest_passback(json::object{{"resourceSpans", std::move(many)}}, client, {}, &flood);
  EXPECT_TRUE(flood.discarded);
}

TEST(ClientTelemetry, ConcurrentCallsEachStitchOnlyTheirOwnSpans) {  // covers C1, C4, C6
  Fixture f;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&f] {
      for (int j = 0; j < 10; ++j) f.client->call_tool("work");
    });
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(f.mutex);
  ASSERT_EQ(f.traces.size(), 80u);
  std::set<std::string> request_ids;
  for (const StitchedTrace& t : f.traces) {
    EXPECT_EQ(t.report.accepted_span_count, 3u);
    EXPECT_EQ(t.report.dropped_span_count(), 0u);
    ASSERT_TRUE(t.request_id);
    request_ids.insert(jsonrpc::to_string(*t.request_id));
    for (const auto& rs : t.server_spans)
      for (const auto& ss : rs.scope_spans)
        for (const auto& s : ss.spans) EXPECT_EQ(s.trace_id, t.client_span.trace_id);
  }
  EXPECT_EQ(request_ids.size(), 80u);
}

// Asynchronous calls go through the same middleware: CLIENT span, ask, checks, join, forwarding,
// on_trace before the completion; a call made under a bound context is its child.
TEST(ClientTelemetry, AsynchronousCallsAreStitchedAsBlockingOnes) {  // covers C1, C2, C4, C6, C7
  Fixture f;
  constexpr int kCalls = 20;
  std::mutex m;
  std::condition_variable cv;
  int completed = 0;
  std::size_t traces_at_completion = 0;
  auto recorder = std::make_shared<trace::Recorder>();
  trace::Span caller = trace::start_root_span(recorder, "agent.step", trace::SpanKind::internal);
  {
    trace::ContextScope scope(caller);
    for (int i = 0; i < kCalls; ++i) {
      f.client->call_tool_async("work", {}, {}, [&](Client::CallToolOutcome o) {
        EXPECT_EQ(o.index(), 0u);
        std::size_t traces = 0;
        {
          std::lock_guard lock(f.mutex);
          traces = f.traces.size();
        }
        std::lock_guard lock(m);
        traces_at_completion = std::max(traces_at_completion, traces);
        EXPECT_GE(traces, static_cast<std::size_t>(completed + 1));  // on_trace ran first
        ++completed;
        cv.notify_all();
      });
    }
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return completed == kCalls; }));
  lock.unlock();
  caller.end();
  std::set<std::string> request_ids;
  {
    std::lock_guard traces_lock(f.mutex);
    ASSERT_EQ(f.traces.size(), static_cast<std::size_t>(kCalls));
    for (const StitchedTrace& t : f.traces) {
      EXPECT_EQ(t.client_span.trace_id, caller.context().trace_id);       // C1
      EXPECT_EQ(t.client_span.parent_span_id, caller.context().span_id);  // C1
      EXPECT_TRUE(t.report.requested);                                    // C2
      EXPECT_EQ(t.report.accepted_span_count, 3u);                        // C4
      EXPECT_EQ(t.report.dropped_span_count(), 0u);
      ASSERT_TRUE(t.request_id);  // C6
      ASSERT_TRUE(t.server_root_span_id);
      EXPECT_EQ(attribute_string(t.client_span, "jsonrpc.request.id"),
                jsonrpc::to_string(*t.request_id));
      request_ids.insert(jsonrpc::to_string(*t.request_id));
    }
  }
  EXPECT_EQ(request_ids.size(), static_cast<std::size_t>(kCalls));
  std::size_t client_spans = 0;
  for (const auto& s : recorder->snapshot()) client_spans += s.kind == trace::SpanKind::client;
  EXPECT_EQ(client_spans, static_cast<std::size_t>(kCalls));  // one each, no propagation double
  // C7: the servers' spans were forwarded under the server's resource.
  ASSERT_TRUE(f.telemetry->force_flush());
  std::size_t forwarded = 0;
  for (const auto& batch : f.exporter->batches()) {
    if (batch.resource.service_name() == "acme-server") forwarded += batch.spans.size();
  }
  EXPECT_EQ(forwarded, 3u * kCalls);

  // A JSON-RPC error keeps its spans too, asynchronously.
  std::promise<Client::CallToolOutcome> denied;
  f.client->call_tool_async("denied", {}, {},
                            [&](Client::CallToolOutcome o) { denied.set_value(std::move(o)); });
  Client::CallToolOutcome o = denied.get_future().get();
  ASSERT_EQ(o.index(), 1u);
  EXPECT_EQ(std::get<1>(o).code, -32003);
  EXPECT_TRUE(f.last().failed);
  EXPECT_EQ(server_span_names(f.last()),
            (std::set<std::string>{"tools/call denied", "auth.validate", "policy.evaluate"}));
}

TEST(ClientTelemetry, AdvertisementInBothForms) {  // covers C2
  EXPECT_TRUE(advertises_passback({{"serverExecutionTelemetry", {{"version", "2026-03-01"}}}}));
  EXPECT_TRUE(
      advertises_passback({{"extensions", {{std::string(kPassbackExtension), json::object{}}}}}));
  EXPECT_FALSE(advertises_passback({{"tools", json::object{}}}));
  EXPECT_FALSE(advertises_passback({{"serverExecutionTelemetry", true}}));
}

}  // namespace
}  // namespace glassbox::mcp
