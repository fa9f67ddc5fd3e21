// Passback across a chain of servers (S16): what a caller gets back when the server it calls
// calls another MCP server through a glassbox Client. In-process chains over memory transports
// check the exact payload; the three-process chain runs bin/glassbox (`serve demo`, which
// spawns `serve demo-kb`) over stdio and over Streamable HTTP.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/memory.hpp"
#include "glassbox/transport/stdio.hpp"
#include "support/child_server.hpp"
#include "support/passback_payload.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>

namespace glassbox::mcp {
namespace {

constexpr std::string_view kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kClientSpan = "b7ad6b7169203331";

json::object ask(bool detailed = false) {
  return {{"traceparent", "00-" + std::string(kTraceId) + "-" + std::string(kClientSpan) + "-01"},
          {"otel", {{"traces", {{"request", true}, {"detailed", detailed}}}}}};
}

std::shared_ptr<trace::TracerProvider> provider_named(std::string_view service) {
  trace::TracerProviderOptions po;
  po.resource.set("service.name", std::string(service));
  return std::make_shared<trace::TracerProvider>(std::move(po));
}

// One server of a chain, with passback on under its own service name.
struct Hop {
  explicit Hop(std::string name, PassbackOptions options = {}, bool passback = true)
      : server({.name = name}) {
    if (!options.provider) options.provider = provider_named(name);
    options_ = std::move(options);
    passback_ = passback;
  }
  // Call after the tools are added.
  void start() {
    if (passback_) enable_passback(server, options_);
  }
  // A new connection to this server.
  void connect(Client& client) {
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
  }
  Server server;
  PassbackOptions options_;
  bool passback_ = true;
};

// The leaf: a knowledge base whose stages are spans, one below the top level.
void add_search(Server& server, std::atomic<bool>* asked_for_passback = nullptr) {
  server.add_tool({.name = "search"},
                  [asked_for_passback](const json::object&, RequestContext& ctx) {
                    if (asked_for_passback) asked_for_passback->store(ctx.meta().contains("otel"));
                    { trace::Span parse = ctx.span("parse"); }
                    {
                      trace::Span lookup = ctx.span("lookup");
                      lookup.set_attribute("kb.customer_email", "ann@example.com");
                      lookup.set_attribute("authorization", "Bearer abc.def.ghi");
                      trace::Span shard = ctx.span("shard.read");  // a grandchild: detailed only
                    }
                    return CallToolResult::text("3 articles");
                  });
}

// The middle: its `ask` tool calls the next server's `search` inside a stage.
void add_ask(Server& server, Client& next) {
  server.add_tool({.name = "ask"}, [&next](const json::object&, RequestContext& ctx) {
    std::string answer;
    {
      trace::Span stage = ctx.span("stage.kb");
      CallToolResult r = next.call_tool("search");
      answer = std::string(r.content.at(0).at("text").as_string());
    }
    {
      trace::Span other = ctx.span("stage.other");
      trace::Span deep = ctx.span("deep");  // a grandchild: detailed only
    }
    return CallToolResult::text("desk: " + answer);
  });
}

struct Group {
  std::string service;
  std::vector<json::object> spans;
};

std::vector<Group> groups_of(const json::object& traces) {
  std::vector<Group> out;
  for (const auto& rs : traces.at("resourceSpans").as_array()) {
    Group g;
    for (const auto& kv : rs.at("resource").at("attributes").as_array())
      if (kv.at("key").as_string() == "service.name")
        g.service = std::string(kv.at("value").at("stringValue").as_string());
    for (const auto& ss : rs.at("scopeSpans").as_array())
      for (const auto& sp : ss.at("spans").as_array()) g.spans.push_back(sp.as_object());
    out.push_back(std::move(g));
  }
  return out;
}

std::set<std::string> names(const Group& g) {
  std::set<std::string> out;
  for (const auto& s : g.spans) out.insert(std::string(s.at("name").as_string()));
  return out;
}

const json::object& named(const Group& g, std::string_view name, std::int64_t kind = -1) {
  for (const auto& s : g.spans)
    if (s.at("name").as_string() == name && (kind < 0 || s.at("kind").as_int64() == kind)) return s;
  throw std::runtime_error("no span " + std::string(name));
}

std::string id(const json::object& span, std::string_view key = "spanId") {
  return std::string(span.at(key).as_string());
}

std::string attribute(const json::object& span, std::string_view key) {
  for (const auto& kv : span.at("attributes").as_array())
    if (kv.at("key").as_string() == key)
      return std::string(kv.at("value").at("stringValue").as_string());
  return {};
}

using test::traces_of;

// desk -> kb, in one process.
struct TwoHops {
  explicit TwoHops(PassbackOptions desk_options = {}, std::atomic<bool>* kb_asked = nullptr)
      : desk("desk", std::move(desk_options)) {
    add_search(kb.server, kb_asked);
    kb.start();
    kb.connect(desk_to_kb);
    add_ask(desk.server, desk_to_kb);
    desk.start();
    desk.connect(caller);
  }
  json::object call(bool detailed = false) {
    return caller.call_tool("ask", {}, {.meta = ask(detailed)}).meta;
  }
  Hop kb{"kb"};
  Hop desk;
  Client desk_to_kb, caller;
};

TEST(Chain, TopLevelKeepsEachHopsTopAndTheNestedClientSpan) {  // covers S16, S6, S8
  TwoHops chain;
  const json::object meta = chain.call();
  auto groups = groups_of(traces_of(meta));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].service, "desk");  // each hop under its own resource
  EXPECT_EQ(groups[1].service, "kb");
  EXPECT_EQ(names(groups[0]), (std::set<std::string>{"tools/call ask", "stage.kb",
                                                     "tools/call search", "stage.other"}));
  EXPECT_EQ(names(groups[1]), (std::set<std::string>{"tools/call search", "parse", "lookup"}));
  // One trace, one tree: caller -> desk root -> stage.kb -> CLIENT -> kb root -> stages.
  for (const auto& g : groups)
    for (const auto& s : g.spans) EXPECT_EQ(s.at("traceId").as_string(), kTraceId);
  const auto& desk_root = named(groups[0], "tools/call ask");
  const auto& stage = named(groups[0], "stage.kb");
  const auto& client = named(groups[0], "tools/call search", 3);
  const auto& kb_root = named(groups[1], "tools/call search", 2);
  EXPECT_EQ(id(desk_root, "parentSpanId"), kClientSpan);
  EXPECT_EQ(id(stage, "parentSpanId"), id(desk_root));
  EXPECT_EQ(id(client, "parentSpanId"), id(stage));
  EXPECT_EQ(id(kb_root, "parentSpanId"), id(client));
  EXPECT_EQ(id(named(groups[1], "lookup"), "parentSpanId"), id(kb_root));
  // S15: the report counts the nested service and spans, and what each hop left out.
  const json::object& policy = traces_of(meta).at("policy").as_object();
  EXPECT_EQ(policy.at("detailed").as_bool(), false);
  const json::object& nested = policy.at("nested").as_object();
  EXPECT_EQ(nested.at("serviceCount").as_int64(), 1);
  EXPECT_EQ(nested.at("spanCount").as_int64(), 3);
  const json::object& hop = nested.at("calls").at(0).as_object();
  EXPECT_EQ(hop.at("service").as_string(), "kb");
  EXPECT_EQ(hop.at("call").as_string(), "tools/call search");
  EXPECT_EQ(hop.at("droppedOnArrivalCount").as_int64(), 0);
  EXPECT_EQ(hop.at("policy").at("droppedSpanCount").as_int64(), 1);  // kb's shard.read
  EXPECT_EQ(policy.at("droppedSpanCount").as_int64(), 1);            // desk's own "deep"
}

TEST(Chain, DetailedReturnsEveryHopsWholeTree) {  // covers S16, S6
  TwoHops chain;
  auto groups = groups_of(traces_of(chain.call(true)));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(names(groups[0]).contains("deep"));
  EXPECT_TRUE(names(groups[1]).contains("shard.read"));
  EXPECT_EQ(groups[0].spans.size() + groups[1].spans.size(), 9u);
}

TEST(Chain, TheMiddleHopRedactsMoreNeverLess) {  // covers S16, S11
  // Without a rule of its own, the middle passes the kb's attribute on (the kb's own rules
  // already took the bearer token out)...
  {
    TwoHops chain;
    auto groups = groups_of(traces_of(chain.call()));
    const auto& lookup = named(groups.at(1), "lookup");
    EXPECT_EQ(attribute(lookup, "kb.customer_email"), "ann@example.com");
    EXPECT_EQ(attribute(lookup, "authorization"), "[REDACTED]");
  }
  // ...with a deny rule, the middle redacts the kb's spans too.
  PassbackOptions desk;
  desk.curation.redaction.deny_keys = {"customer email"};
  TwoHops chain(desk);
  const json::object meta = chain.call();
  auto groups = groups_of(traces_of(meta));
  const auto& lookup = named(groups.at(1), "lookup");
  EXPECT_EQ(attribute(lookup, "kb.customer_email"), "[REDACTED]");
  EXPECT_EQ(attribute(lookup, "authorization"), "[REDACTED]");
  EXPECT_GE(traces_of(meta).at("policy").at("redactedAttributeCount").as_int64(), 2);
}

TEST(Chain, BoundsHoldOverTheWholePayload) {  // covers S16, S12
  PassbackOptions desk;
  desk.curation.max_spans = 5;
  TwoHops chain(desk);
  const json::object meta = chain.call(true);
  const json::object& traces = traces_of(meta);
  auto groups = groups_of(traces);
  std::size_t total = 0;
  for (const auto& g : groups) total += g.spans.size();
  EXPECT_EQ(total, 5u);
  EXPECT_EQ(groups.at(0).spans.at(0).at("name").as_string(), "tools/call ask");  // root first
  EXPECT_EQ(traces.at("droppedSpanCount").as_int64(), 4);  // 9 recorded over both hops
  EXPECT_TRUE(traces.at("truncated").as_bool());
  EXPECT_NE(std::string(traces.at("policy").at("reason").as_string()).find("span count limit 5"),
            std::string::npos);
}

TEST(Chain, ForwardingCanBeTurnedOff) {  // covers S16, S14
  std::atomic<bool> kb_asked{true};
  TwoHops chain({.forwarding = {.enabled = false}}, &kb_asked);
  auto groups = groups_of(traces_of(chain.call()));
  ASSERT_EQ(groups.size(), 1u);   // the desk's own spans only
  EXPECT_FALSE(kb_asked.load());  // the kb got a traceparent and no ask
  // With nothing nested, the top level is the plain rule (S6): the CLIENT span under a stage
  // is below it.
  EXPECT_EQ(names(groups[0]), (std::set<std::string>{"tools/call ask", "stage.kb", "stage.other"}));
}

// A nested server that answers with forged telemetry: its spans never reach the caller, and
// the call succeeds.
TEST(Chain, ALyingNestedServerIsDroppedAndTheCallSucceeds) {  // covers S16, C3, C4
  for (std::string mode : {"foreign", "huge"}) {
    SCOPED_TRACE(mode);
    Hop liar("liar", {}, /*passback=*/false);
    liar.server.add_tool({.name = "search"}, [mode](const json::object&, RequestContext& ctx) {
      std::string tp(*json::find_string(ctx.meta(), "traceparent"));
      std::string trace = mode == "foreign" ? std::string(32, 'f') : tp.substr(3, 32);
      json::array spans;
      std::size_t n = mode == "foreign" ? 3 : 5000;
      for (std::size_t i = 0; i < n; ++i) {
        char span_id[17];
        std::snprintf(span_id, sizeof span_id, "%016zx", i + 1);
        spans.push_back(json::object{{"traceId", trace},
                                     {"spanId", span_id},
                                     {"parentSpanId", tp.substr(36, 16)},
                                     {"name", "forged"},
                                     {"kind", 2},
                                     {"startTimeUnixNano", "1"},
                                     {"endTimeUnixNano", "2"}});
      }
      CallToolResult r = CallToolResult::text("3 articles");
      r.meta["otel"] = json::object{
          {"traces",
           {{"resourceSpans",
             json::array{json::object{
                 {"resource",
                  {{"attributes",
                    json::array{json::object{{"key", "service.name"},
                                             {"value", {{"stringValue", "liar"}}}}}}}},
                 {"scopeSpans", json::array{json::object{{"spans", std::move(spans)}}}}}}}}}};
      return r;
    });
    Hop desk("desk");
    Client desk_to_liar, caller;
    liar.connect(desk_to_liar);
    add_ask(desk.server, desk_to_liar);
    desk.start();
    desk.connect(caller);
    CallToolResult result = caller.call_tool("ask", {}, {.meta = ask()});
    EXPECT_EQ(result.content.at(0).at("text").as_string(), "desk: 3 articles");
    auto groups = groups_of(traces_of(result.meta));
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].service, "desk");
    const json::object& hop =
        traces_of(result.meta).at("policy").at("nested").at("calls").at(0).as_object();
    EXPECT_EQ(hop.at("spanCount").as_int64(), 0);
    EXPECT_EQ(hop.at("droppedOnArrivalCount").as_int64(), mode == "foreign" ? 3 : 5000);
    EXPECT_NE(std::string(hop.at("reason").as_string())
                  .find(mode == "foreign" ? "another trace" : "more than 1000 spans"),
              std::string::npos);
  }
}

// Two servers that call each other: without a limit the loop would never end.
TEST(Chain, TheHopLimitEndsALoopOfServers) {  // covers S16
  Hop a("loop-a"), b("loop-b");
  Client a_to_b, b_to_a, caller;
  std::atomic<int> served{0};
  auto ping = [&served](Client& next) {
    return [&served, &next](const json::object&, RequestContext&) {
      ++served;
      return next.call_tool("ping");
    };
  };
  a.server.add_tool({.name = "ping"}, ping(a_to_b));
  b.server.add_tool({.name = "ping"}, ping(b_to_a));
  a.start();
  b.start();
  b.connect(a_to_b);
  a.connect(b_to_a);
  a.connect(caller);
  try {
    caller.call_tool("ping", {}, {.meta = ask()});
    FAIL() << "the loop returned a result";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, kHopLimitErrorCode);
    EXPECT_NE(std::string(e.what()).find("hop limit (8 servers)"), std::string::npos);
    EXPECT_EQ(served.load(), 8);  // eight servers deep, then the ninth call is never sent
    // The spans of every hop still come back, inside the error (S10).
    const json::object& traces = e.error().data.at("_meta").at("otel").at("traces").as_object();
    std::map<std::string, int> server_spans;
    for (const auto& g : groups_of(traces))
      for (const auto& s : g.spans)
        if (s.at("kind").as_int64() == 2) ++server_spans[g.service];
    EXPECT_EQ(server_spans, (std::map<std::string, int>{{"loop-a", 4}, {"loop-b", 4}}));
  }
  // A request that says it has passed the limit already is refused at once.
  json::object meta = ask();
  meta["otel"].as_object()["traces"].as_object()["hops"] = 8;
  try {
    caller.call_tool("ping", {}, {.meta = meta});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, kHopLimitErrorCode);
  }
  EXPECT_EQ(served.load(), 8);
}

// ---- three processes: this test -> glassbox serve demo -> glassbox serve demo-kb ---------------

struct DemoCall {
  StitchedTrace stitched;
  std::string text;
};

DemoCall call_demo(std::function<std::shared_ptr<transport::Transport>()> connect, bool detailed) {
  Client client;
  DemoCall out;
  auto telemetry = enable_client_telemetry(
      client, {.passback = PassbackMode::always,
               .detailed = detailed,
               .on_trace = [&out](const StitchedTrace& t) { out.stitched = t; }});
  client.connect(connect());
  CallToolResult r = client.call_tool("search_tickets", {{"query", "login"}});
  out.text = std::string(r.content.at(0).at("text").as_string());
  client.close();
  return out;
}

void expect_three_level_trace(const DemoCall& call, bool detailed) {
  const StitchedTrace& t = call.stitched;
  EXPECT_NE(call.text.find("3 open tickets"), std::string::npos);
  EXPECT_FALSE(t.report.discarded) << t.report.reason;
  EXPECT_EQ(t.report.dropped_span_count(), 0u) << t.report.reason;  // C4 held at every hop
  std::map<std::string, std::map<std::string, const trace::SpanData*>> by_service;
  std::set<std::string> trace_ids;
  for (const auto& rs : t.server_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) {
        trace_ids.insert(s.trace_id.to_hex());
        by_service[std::string(rs.resource.service_name())]
                  [s.name + (s.kind == trace::SpanKind::client ? "/client" : "")] = &s;
      }
  ASSERT_EQ(by_service.size(), 2u);
  EXPECT_EQ(trace_ids, (std::set<std::string>{t.client_span.trace_id.to_hex()}));
  auto& desk = by_service["acme-helpdesk"];
  auto& kb = by_service["acme-kb"];
  ASSERT_TRUE(desk.contains("tools/call search_tickets") && desk.contains("kb.search") &&
              desk.contains("tools/call search/client") && kb.contains("tools/call search"));
  EXPECT_EQ(desk["tools/call search_tickets"]->parent_span_id, t.client_span.span_id);
  EXPECT_EQ(desk["kb.search"]->parent_span_id, desk["tools/call search_tickets"]->span_id);
  EXPECT_EQ(desk["tools/call search/client"]->parent_span_id, desk["kb.search"]->span_id);
  EXPECT_EQ(kb["tools/call search"]->parent_span_id, desk["tools/call search/client"]->span_id);
  EXPECT_EQ(kb["kb.rank"]->parent_span_id, kb["tools/call search"]->span_id);
  EXPECT_EQ(kb.contains("kb.shard.read"), detailed);
  EXPECT_EQ(desk.contains("auth.jwks.lookup"), detailed);
}

TEST(ThreeProcesses, OverStdio) {  // covers S16, S14, C4, C5
  for (bool detailed : {false, true}) {
    SCOPED_TRACE(detailed ? "detailed" : "top level");
    DemoCall call = call_demo(
        [] {
          return transport::spawn_process({.argv = {GLASSBOX_BIN, "serve", "demo", "--stdio"}});
        },
        detailed);
    expect_three_level_trace(call, detailed);
  }
}

TEST(ThreeProcesses, OverHttp) {  // covers S16, S14, C4, C5
  test::ChildHttpServer desk({GLASSBOX_BIN, "serve", "demo", "--http", "127.0.0.1:0"});
  for (bool detailed : {false, true}) {
    SCOPED_TRACE(detailed ? "detailed" : "top level");
    DemoCall call =
        call_demo([&] { return transport::connect_http({.url = desk.url()}); }, detailed);
    expect_three_level_trace(call, detailed);
  }
}

}  // namespace
}  // namespace glassbox::mcp
