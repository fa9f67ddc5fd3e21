// Server execution telemetry, server side: every rule S1..S15 of the passback spec, by id.
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/transport/memory.hpp"
#include "support/passback_payload.hpp"

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

namespace glassbox::mcp {
namespace {

constexpr std::string_view kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kClientSpan = "b7ad6b7169203331";
const std::string kTraceparent =
    "00-" + std::string(kTraceId) + "-" + std::string(kClientSpan) + "-01";

json::object ask(std::string traceparent = kTraceparent, json::value request = true,
                 bool detailed = false) {
  json::object meta{{"otel", {{"traces", {{"request", request}, {"detailed", detailed}}}}}};
  if (!traceparent.empty()) meta["traceparent"] = traceparent;
  return meta;
}

// A server with the stages of a realistic tool: nested spans, a span handed to another thread,
// credentials in attributes, failures of both tiers.
void add_staged_tools(Server& server) {
  server.add_tool({.name = "staged"}, [](const json::object&, RequestContext& ctx) {
    {
      trace::Span auth = ctx.span("auth.validate");
      auth.set_attribute("auth.header", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl");
      auth.set_attribute("api_key", "sk-live-1234567890abcdef");
      auth.set_attribute("auth.outcome", "valid");
      trace::Span inner = ctx.span("auth.jwks.lookup");  // a grandchild: detailed only
    }
    {
      trace::Span policy = ctx.span("policy.evaluate");
      // Work handed to another thread stays in this request (S9): explicit, cheap hand-off.
      trace::Context handoff = trace::current_context();
      std::thread([handoff] {
        trace::ContextScope scope(handoff);
        trace::Span worker = trace::start_span("policy.rule.worker");
      }).join();
    }
    return CallToolResult::text("ok");
  });
  server.add_tool({.name = "fails"}, [](const json::object&, RequestContext& ctx) {
    trace::Span upstream = ctx.span("upstream.call");
    return CallToolResult::error("upstream returned 500");
  });
  server.add_tool(
      {.name = "denied"}, [](const json::object&, RequestContext& ctx) -> CallToolResult {
        { trace::Span auth = ctx.span("auth.validate"); }
        trace::Span policy = ctx.span("policy.evaluate");
        throw ProtocolError({jsonrpc::error_code::kInvalidParams, "denied by policy", nullptr});
      });
  server.add_tool({.name = "flood"}, [](const json::object& args, RequestContext& ctx) {
    auto n = json::find_int(args, "spans").value_or(0);
    for (std::int64_t i = 0; i < n; ++i) trace::Span s = ctx.span("flood.item");
    if (json::find_bool(args, "huge").value_or(false)) {
      trace::Span s = ctx.span("huge.attribute");
      s.set_attribute("payload", std::string(10 * 1024 * 1024, 'x'));
    }
    return CallToolResult::text("flooded");
  });
  server.add_resource({.uri = "doc://readme", .name = "readme"},
                      [](const std::string& uri, RequestContext& ctx) {
                        trace::Span access = ctx.span("access.check");
                        return std::vector<ResourceContents>{{uri, "text/plain", "hi", {}}};
                      });
}

struct Fixture {
  explicit Fixture(PassbackOptions options = {}, bool passback = true) {
    exporter = std::make_shared<trace::InMemorySpanExporter>();
    if (!options.provider) {
      trace::TracerProviderOptions po;
      po.resource.set("service.name", "mail-server");
      po.resource.set("service.version", "2.1.0");
      po.processors.push_back(std::make_shared<trace::SimpleSpanProcessor>(exporter));
      options.provider = std::make_shared<trace::TracerProvider>(std::move(po));
    }
    add_staged_tools(server);
    if (passback) enable_passback(server, std::move(options));
    auto [c, s] = transport::make_memory_pair({.tap = [this](char dir, const std::string& line) {
      if (dir == '<' && line.find("\"protocolVersion\"") != std::string::npos)
        initialize_line = line;
    }});
    server.connect(s);
    client.connect(c);
  }

  CallToolResult call(std::string_view tool, json::object meta, json::object args = {}) {
    return client.call_tool(tool, std::move(args), {.meta = std::move(meta)});
  }

  std::shared_ptr<trace::InMemorySpanExporter> exporter;
  Server server{{.name = "mail-server", .version = "2.1.0"}};
  // The initialize handshake, whose answer S1's test reads (2026-07-28 advertises passback in
  // server/discover: tests/mcp/stateless_test.cpp, tests/interop/ts_v2).
  Client client{{.revision = ProtocolRevision::k2025_11_25}};
  std::string initialize_line;
};

using test::spans_of;
using test::traces_of;

std::set<std::string> names_of(const std::vector<json::object>& spans) {
  std::set<std::string> names;
  for (const auto& s : spans) names.insert(std::string(s.at("name").as_string()));
  return names;
}

std::string attribute(const json::object& span, std::string_view key) {
  for (const auto& kv : span.at("attributes").as_array()) {
    if (kv.at("key").as_string() == key) return json::serialize(kv.at("value"));
  }
  return {};
}

const json::object& root_of(const std::vector<json::object>& spans) {
  for (const auto& s : spans)
    if (s.at("kind").as_int64() == 2) return s;
  throw std::runtime_error("no SERVER span");
}

TEST(Passback, AdvertisesTheCapabilityOnlyWhenEnabled) {  // covers S1
  Fixture on;
  auto init = json::parse(on.initialize_line)->as_object();
  EXPECT_EQ(json::serialize(init.at("result").at("capabilities").at("serverExecutionTelemetry")),
            R"({"version":"2026-03-01","signals":{"traces":{"supported":true}}})");
  Fixture off({}, false);
  auto init_off = json::parse(off.initialize_line)->as_object();
  EXPECT_FALSE(
      init_off.at("result").at("capabilities").as_object().contains("serverExecutionTelemetry"));
}

TEST(Passback, OnlyTheJsonBooleanTrueRequestsIt) {  // covers S2
  Fixture f;
  EXPECT_TRUE(f.call("staged", ask()).meta.contains("otel"));
  for (json::value not_a_request :
       {json::value("true"), json::value(1), json::value(false), json::value(nullptr)}) {
    CallToolResult r = f.call("staged", ask(kTraceparent, not_a_request));
    EXPECT_FALSE(r.meta.contains("otel")) << json::serialize(not_a_request);
    EXPECT_EQ(r.content.at(0).at("text").as_string(), "ok");
  }
  EXPECT_FALSE(f.call("staged", {}).meta.contains("otel"));
  EXPECT_FALSE(
      f.call("staged", {{"otel", "yes"}}).meta.contains("otel"));  // otel of the wrong type
  EXPECT_FALSE(f.call("staged", {{"otel", {{"traces", 5}}}, {"unknown", 1}}).meta.contains("otel"));
}

TEST(Passback, AnInvalidTraceparentStartsANewTraceAndNeverFailsTheCall) {  // covers S3
  Fixture f;
  for (std::string bad :
       {"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  // uppercase
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",     // no flags
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff
        "garbage"}) {
    CallToolResult r = f.call("staged", ask(bad));
    EXPECT_EQ(r.content.at(0).at("text").as_string(), "ok");
    auto spans = spans_of(traces_of(r.meta));
    const json::object& root = root_of(spans);
    EXPECT_NE(root.at("traceId").as_string(), kTraceId) << bad;
    EXPECT_FALSE(root.contains("parentSpanId") && !root.at("parentSpanId").as_string().empty())
        << bad;
  }
  // An invalid tracestate is dropped; the traceparent still counts.
  json::object meta = ask();
  meta["tracestate"] = "not a=valid,,=state";
  auto spans = spans_of(traces_of(f.call("staged", meta).meta));
  EXPECT_EQ(root_of(spans).at("traceId").as_string(), kTraceId);
}

TEST(Passback, OneServerSpanUnderTheCallersSpan) {  // covers S4
  Fixture f;
  auto spans = spans_of(traces_of(f.call("staged", ask()).meta));
  int servers = 0;
  for (const auto& s : spans) {
    EXPECT_EQ(s.at("traceId").as_string(), kTraceId);
    servers += s.at("kind").as_int64() == 2;
  }
  EXPECT_EQ(servers, 1);
  const json::object& root = root_of(spans);
  EXPECT_EQ(root.at("name").as_string(), "tools/call staged");
  EXPECT_EQ(root.at("parentSpanId").as_string(), kClientSpan);
  EXPECT_EQ(attribute(root, "mcp.method.name"), R"({"stringValue":"tools/call"})");
  EXPECT_EQ(attribute(root, "gen_ai.tool.name"), R"({"stringValue":"staged"})");
  EXPECT_NE(attribute(root, "jsonrpc.request.id"), "");

  ReadResourceResult read = f.client.read_resource("doc://readme", {.meta = ask()});
  auto rspans = spans_of(traces_of(read.meta));
  EXPECT_EQ(root_of(rspans).at("name").as_string(), "resources/read doc://readme");
  EXPECT_EQ(attribute(root_of(rspans), "mcp.resource.uri"), R"({"stringValue":"doc://readme"})");
  EXPECT_TRUE(names_of(rspans).count("access.check"));
}

TEST(Passback, HonouredWhateverTheSampledFlag) {  // covers S5
  Fixture f;
  std::string unsampled = "00-" + std::string(kTraceId) + "-" + std::string(kClientSpan) + "-00";
  EXPECT_FALSE(spans_of(traces_of(f.call("staged", ask(unsampled)).meta)).empty());
}

TEST(Passback, TopLevelByDefaultWholeTreeWhenDetailed) {  // covers S6
  Fixture f;
  auto top = names_of(spans_of(traces_of(f.call("staged", ask()).meta)));
  EXPECT_EQ(top, (std::set<std::string>{"tools/call staged", "auth.validate", "policy.evaluate"}));
  auto all = names_of(spans_of(traces_of(f.call("staged", ask(kTraceparent, true, true)).meta)));
  EXPECT_EQ(all, (std::set<std::string>{"tools/call staged", "auth.validate", "auth.jwks.lookup",
                                        "policy.evaluate", "policy.rule.worker"}));
}

TEST(Passback, ServerPolicyCanForbidDetailedAndSaysSo) {  // covers S6, S15
  PassbackOptions options;
  options.curation.allow_detailed = false;
  Fixture f(options);
  const json::object traces = traces_of(f.call("staged", ask(kTraceparent, true, true)).meta);
  EXPECT_EQ(names_of(spans_of(traces)).size(), 3u);
  const json::object& policy = traces.at("policy").as_object();
  EXPECT_FALSE(policy.at("detailed").as_bool());
  EXPECT_FALSE(policy.at("reason").as_string().empty());
}

TEST(Passback, OtlpJsonShape) {  // covers S7
  Fixture f;
  auto spans = spans_of(traces_of(f.call("staged", ask(kTraceparent, true, true)).meta));
  for (const auto& s : spans) {
    EXPECT_EQ(s.at("traceId").as_string().size(), 32u);
    EXPECT_EQ(s.at("spanId").as_string().size(), 16u);
    for (char c : s.at("spanId").as_string()) EXPECT_TRUE(std::isxdigit(c) && !std::isupper(c));
    EXPECT_TRUE(s.at("kind").is_int64());
    EXPECT_TRUE(s.at("startTimeUnixNano").is_string());
    EXPECT_TRUE(s.at("endTimeUnixNano").is_string());
    EXPECT_GE(std::stoull(std::string(s.at("endTimeUnixNano").as_string())),
              std::stoull(std::string(s.at("startTimeUnixNano").as_string())));
  }
}

TEST(Passback, TheResourceNamesTheProducingServer) {  // covers S8
  Fixture f;
  const json::object traces = traces_of(f.call("staged", ask()).meta);
  const json::object& resource = traces.at("resourceSpans").at(0).at("resource").as_object();
  std::string attrs = json::serialize(resource.at("attributes"));
  EXPECT_NE(attrs.find(R"({"key":"service.name","value":{"stringValue":"mail-server"}})"),
            std::string::npos);
  EXPECT_NE(attrs.find(R"({"key":"service.version","value":{"stringValue":"2.1.0"}})"),
            std::string::npos);
}

TEST(Passback, FiveHundredConcurrentCallsNeverShareSpans) {  // covers S9
  Fixture f;
  constexpr int kCalls = 500;
  std::vector<std::string> trace_ids;
  for (int i = 0; i < kCalls; ++i) {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%032x", i + 1);
    trace_ids.emplace_back(buf);
  }
  std::vector<std::future<CallToolResult>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return f.call("staged",
                    ask("00-" + trace_ids[i] + "-" + std::string(kClientSpan) + "-01", true, true));
    }));
  }
  for (int i = 0; i < kCalls; ++i) {
    auto spans = spans_of(traces_of(calls[i].get().meta));
    EXPECT_EQ(spans.size(), 5u);  // exactly its own five: none lost, none borrowed
    for (const auto& s : spans) ASSERT_EQ(s.at("traceId").as_string(), trace_ids[i]);
  }
}

TEST(Passback, AttachedToFailuresOfBothTiers) {  // covers S10
  Fixture f;
  CallToolResult failed = f.call("fails", ask());
  EXPECT_TRUE(failed.is_error);
  auto spans = spans_of(traces_of(failed.meta));
  EXPECT_EQ(root_of(spans).at("status").at("code").as_int64(), 2);
  EXPECT_TRUE(names_of(spans).count("upstream.call"));

  try {
    f.call("denied", ask());
    FAIL() << "expected a JSON-RPC error";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kInvalidParams);
    auto denied = spans_of(traces_of(e.error().data.at("_meta").as_object()));
    EXPECT_EQ(names_of(denied),
              (std::set<std::string>{"tools/call denied", "auth.validate", "policy.evaluate"}));
    EXPECT_EQ(root_of(denied).at("status").at("code").as_int64(), 2);
  }
}

TEST(Passback, CredentialsAreRedactedByDefault) {  // covers S11
  Fixture f;
  const json::object traces = traces_of(f.call("staged", ask()).meta);
  std::string payload = json::serialize(traces);
  EXPECT_EQ(payload.find("eyJhbGciOiJIUzI1NiJ9"), std::string::npos);
  EXPECT_EQ(payload.find("sk-live-1234567890abcdef"), std::string::npos);
  EXPECT_NE(payload.find("[REDACTED]"), std::string::npos);
  EXPECT_NE(payload.find(R"("stringValue":"valid")"), std::string::npos);  // not everything
  EXPECT_GE(traces.at("policy").at("redactedAttributeCount").as_int64(), 2);
}

TEST(Passback, OwnerDenyRulesAndAllowListMode) {  // covers S11
  PassbackOptions deny;
  deny.curation.redaction.deny_keys = {"outcome"};
  Fixture f(deny);
  std::string payload = json::serialize(traces_of(f.call("staged", ask()).meta));
  EXPECT_EQ(payload.find(R"("stringValue":"valid")"), std::string::npos);

  PassbackOptions allow;
  allow.curation.redaction.allow_keys = std::vector<std::string>{"mcp.method.name"};
  Fixture g(allow);
  auto spans = spans_of(traces_of(g.call("staged", ask()).meta));
  EXPECT_EQ(attribute(root_of(spans), "mcp.method.name"), R"({"stringValue":"tools/call"})");
  EXPECT_EQ(attribute(root_of(spans), "gen_ai.tool.name"), R"({"stringValue":"[REDACTED]"})");
}

TEST(Passback, BoundsHoldAgainstAFloodAndAreCounted) {  // covers S12
  Fixture f;
  CallToolResult r =
      f.call("flood", ask(kTraceparent, true, true), {{"spans", 100000}, {"huge", true}});
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "flooded");
  const json::object& traces = traces_of(r.meta);
  auto spans = spans_of(traces);
  EXPECT_LE(spans.size(), 256u);
  EXPECT_LE(json::serialize(traces).size(), 300u * 1024);
  EXPECT_TRUE(traces.at("truncated").as_bool());
  EXPECT_GE(traces.at("droppedSpanCount").as_int64(), 100000 - 256);
  EXPECT_EQ(traces.at("droppedSpanCount"), traces.at("policy").at("droppedSpanCount"));
}

TEST(Passback, AHugeAttributeIsCutAndCounted) {  // covers S12
  Fixture f;
  const json::object traces =
      traces_of(f.call("flood", ask(kTraceparent, true, true), {{"huge", true}}).meta);
  EXPECT_LE(json::serialize(traces).size(), 64u * 1024);
  EXPECT_GE(traces.at("policy").at("truncatedAttributeCount").as_int64(), 1);
}

TEST(Passback, TheServerKeepsItsOwnFullTelemetry) {  // covers S13
  Fixture f;
  f.call("staged", {});  // no passback requested: the server's own exporter still gets everything
  f.call("staged", ask());
  auto exported = f.exporter->take();
  EXPECT_EQ(exported.size(), 10u);  // both calls, whole trees, unredacted at the source
  EXPECT_EQ(f.exporter->last_resource().service_name(), "mail-server");
}

TEST(Passback, AHandlerCallingAnotherServerForwardsTraceparent) {  // covers S14
  // Downstream server records what arrives.
  Server downstream({.name = "downstream"});
  std::promise<std::string> seen;
  downstream.add_tool({.name = "lookup"}, [&](const json::object&, RequestContext& ctx) {
    const json::string* tp = json::find_string(ctx.meta(), "traceparent");
    seen.set_value(tp ? std::string(*tp) : "");
    return CallToolResult::text("found");
  });
  auto [dc, ds] = transport::make_memory_pair();
  downstream.connect(ds);
  Client downstream_client;
  downstream_client.connect(dc);

  Fixture f;
  f.server.add_tool({.name = "chain"}, [&](const json::object&, RequestContext&) {
    return downstream_client.call_tool("lookup");
  });
  auto spans = spans_of(traces_of(f.call("chain", ask()).meta));
  std::string forwarded = seen.get_future().get();
  ASSERT_EQ(forwarded.size(), 55u);
  EXPECT_EQ(forwarded.substr(3, 32), kTraceId);  // same trace
  // The forwarded parent is this server's CLIENT span for the downstream call, in the passback.
  bool found = false;
  for (const auto& s : spans) {
    if (s.at("kind").as_int64() == 3) {
      found = true;
      EXPECT_EQ(forwarded.substr(36, 16), s.at("spanId").as_string());
      EXPECT_EQ(s.at("name").as_string(), "tools/call lookup");
    }
  }
  EXPECT_TRUE(found);
}

TEST(Passback, PolicyReportShape) {  // covers S15
  Fixture f;
  CallToolResult result = f.call("staged", ask());
  const json::object& policy = traces_of(result.meta).at("policy").as_object();
  for (const char* key :
       {"detailed", "droppedSpanCount", "redactedAttributeCount", "truncatedAttributeCount"}) {
    EXPECT_TRUE(policy.contains(key)) << key;
  }
  EXPECT_EQ(policy.at("droppedSpanCount").as_int64(), 2);  // the two grandchildren, not detailed
}

}  // namespace
}  // namespace glassbox::mcp
