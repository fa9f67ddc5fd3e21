// Streamed passback (S17): spans that have ended reach a caller that asked while the call runs,
// in notifications/progress. No sleeps: the tool waits for the test to have seen each partial
// (the notification event) before it goes on, and the throttle is checked on its own clock.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/transport/memory.hpp"
#include "mcp/passback_stream.hpp"
#include "support/passback_payload.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

json::object ask(bool stream, bool detailed = true) {
  json::object traces{{"request", true}, {"detailed", detailed}};
  if (stream) traces["stream"] = true;
  return {{"traceparent", kTraceparent}, {"otel", {{"traces", traces}}}};
}

// A tool whose stages the test steps through: after each stage ends, the tool waits until the
// test lets it go on (so that the test sees the partial while the call still runs).
struct Stepper {
  std::mutex mutex;
  std::condition_variable changed;
  int allowed = 0;  // stages the tool may start
  void allow(int n) {
    std::lock_guard lock(mutex);
    allowed = n;
    changed.notify_all();
  }
  void wait_for(int stage) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return allowed >= stage; });
  }
};

void add_stepped(Server& server, Stepper* stepper, int stages = 5) {
  server.add_tool({.name = "export"}, [stepper, stages](const json::object&, RequestContext& ctx) {
    for (int i = 0; i < stages; ++i) {
      if (stepper) stepper->wait_for(i);
      trace::Span stage = ctx.span("stage." + std::to_string(i));
      stage.set_attribute("authorization", "Bearer abc.def.ghi");
      { trace::Span inner = ctx.span("stage." + std::to_string(i) + ".inner"); }
    }
    if (stepper) stepper->wait_for(stages);  // the last stage is seen while the call runs too
    ctx.progress(1, 1, "done");
    return CallToolResult::text("exported");
  });
}

struct Served {
  explicit Served(Stepper* stepper, PassbackOptions options = {}, int stages = 5) {
    trace::TracerProviderOptions po;
    po.resource.set("service.name", "exporter");
    options.provider = std::make_shared<trace::TracerProvider>(std::move(po));
    add_stepped(server, stepper, stages);
    enable_passback(server, std::move(options));
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
  }
  Server server{{.name = "exporter"}};
  Client client;
};

struct Partial {
  json::object traces;
  double progress = 0;
};

using test::spans_of;

// (name, parent's name) of every span: comparable across two calls.
std::multiset<std::pair<std::string, std::string>> shape(const std::vector<json::object>& spans) {
  std::map<std::string, std::string> names;
  for (const auto& s : spans)
    names[std::string(s.at("spanId").as_string())] = s.at("name").as_string();
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto& s : spans) {
    const json::string* parent = json::find_string(s, "parentSpanId");
    out.emplace(std::string(s.at("name").as_string()), parent ? names[std::string(*parent)] : "");
  }
  return out;
}

// Partials as they come, and a way to wait for the n-th.
struct Collector {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Partial> partials;
  std::vector<ProgressUpdate> ordinary;
  std::set<std::string> names_seen;
  void on_progress(const ProgressUpdate& u) {
    std::lock_guard lock(mutex);
    const json::object* otel = json::find_object(u.meta, "otel");
    if (otel == nullptr) {
      ordinary.push_back(u);
    } else {
      partials.push_back({otel->at("traces").as_object(), u.progress});
      for (const auto& s : spans_of(partials.back().traces))
        names_seen.insert(std::string(s.at("name").as_string()));
    }
    arrived.notify_all();
  }
  void wait_for_name(const std::string& name) {
    std::unique_lock lock(mutex);
    arrived.wait(lock, [&] { return names_seen.contains(name); });
  }
};

TEST(Stream, PartialsArriveWhileTheCallRunsWithEndedSpansOnly) {  // covers S17
  Stepper stepper;
  Served served(&stepper);
  Collector seen;
  auto call = std::async(std::launch::async, [&] {
    return served.client.call_tool(
        "export", {},
        {.on_progress = [&](const ProgressUpdate& u) { seen.on_progress(u); }, .meta = ask(true)});
  });
  for (int i = 0; i < 5; ++i) {
    stepper.allow(i);
    // The stage's span reaches the caller before the tool may go on: the call is still running.
    seen.wait_for_name("stage." + std::to_string(i));
    EXPECT_EQ(call.wait_for(0s), std::future_status::timeout);
  }
  stepper.allow(5);
  CallToolResult result = call.get();
  std::lock_guard lock(seen.mutex);
  ASSERT_GE(seen.partials.size(), 5u);
  double last = 0;
  for (const Partial& p : seen.partials) {
    EXPECT_TRUE(p.traces.at("partial").as_bool());
    EXPECT_GT(p.progress, last);  // progress still increases (MCP)
    last = p.progress;
    for (const auto& s : spans_of(p.traces)) {
      EXPECT_NE(s.at("kind").as_int64(), 2) << "the root comes with the response";
      EXPECT_NE(s.at("endTimeUnixNano").as_string(), "0");  // ended
      EXPECT_EQ(s.at("traceId").as_string(), "0af7651916cd43dd8448eb211c80319c");
    }
  }
  ASSERT_EQ(seen.ordinary.size(), 1u);  // the tool's own progress, untouched
  EXPECT_EQ(seen.ordinary[0].message, "done");
  EXPECT_GT(seen.ordinary[0].progress, 0);
  const json::object& final = result.meta.at("otel").at("traces").as_object();
  EXPECT_FALSE(final.contains("partial"));
  std::size_t roots = 0;
  for (const auto& s : spans_of(final)) roots += s.at("kind").as_int64() == 2;
  EXPECT_EQ(roots, 1u);
}

TEST(Stream, TheUnionIsTheDetailedResultWithNoSpanTwice) {  // covers S17, S6, S11
  Collector seen;
  Served streamed(nullptr);
  CallToolResult result = streamed.client.call_tool(
      "export", {},
      {.on_progress = [&](const ProgressUpdate& u) { seen.on_progress(u); }, .meta = ask(true)});
  std::vector<json::object> all;
  for (const Partial& p : seen.partials)
    for (auto& s : spans_of(p.traces)) all.push_back(s);
  const json::object& final = result.meta.at("otel").at("traces").as_object();
  for (auto& s : spans_of(final)) all.push_back(s);
  std::set<std::string> ids;
  for (const auto& s : all) EXPECT_TRUE(ids.insert(std::string(s.at("spanId").as_string())).second);

  Served plain(nullptr);
  CallToolResult reference = plain.client.call_tool("export", {}, {.meta = ask(false)});
  const json::object& whole = reference.meta.at("otel").at("traces").as_object();
  EXPECT_EQ(shape(all), shape(spans_of(whole)));
  EXPECT_EQ(all.size(), 11u);  // root, five stages, five inner spans
  // Redaction counted across the call: one credential per stage, wherever it travelled.
  EXPECT_EQ(final.at("policy").at("redactedAttributeCount").as_int64(),
            whole.at("policy").at("redactedAttributeCount").as_int64());
  EXPECT_EQ(final.at("policy").at("redactedAttributeCount").as_int64(), 5);
}

TEST(Stream, BoundsAreCountedAcrossTheWholeCall) {  // covers S17, S12
  PassbackOptions options;
  options.curation.max_spans = 4;
  Collector seen;
  Served served(nullptr, options, 10);
  CallToolResult result = served.client.call_tool(
      "export", {},
      {.on_progress = [&](const ProgressUpdate& u) { seen.on_progress(u); }, .meta = ask(true)});
  std::size_t total = 0;
  for (const Partial& p : seen.partials) total += spans_of(p.traces).size();
  const json::object& final = result.meta.at("otel").at("traces").as_object();
  auto last = spans_of(final);
  total += last.size();
  EXPECT_EQ(total, 4u);  // over every notification and the response together
  bool root = false;
  for (const auto& s : last) root |= s.at("kind").as_int64() == 2;
  EXPECT_TRUE(root) << "the root is never dropped";
  EXPECT_EQ(final.at("droppedSpanCount").as_int64(), 21 - 4);  // root + 10 stages + 10 inner
  EXPECT_TRUE(final.at("truncated").as_bool());
}

TEST(Stream, ACallerThatDidNotAskGetsNoOtelInItsProgress) {  // covers S17, S2
  for (json::object meta :
       {ask(false), json::object{{"otel", {{"traces", {{"stream", true}}}}}}, json::object{}}) {
    Collector seen;
    Served served(nullptr);
    served.client.call_tool(
        "export", {},
        {.on_progress = [&](const ProgressUpdate& u) { seen.on_progress(u); }, .meta = meta});
    EXPECT_TRUE(seen.partials.empty()) << json::serialize(meta);
    ASSERT_EQ(seen.ordinary.size(), 1u);
    EXPECT_TRUE(seen.ordinary[0].meta.empty());
  }
}

TEST(Stream, ThrottleSendsAtOnceAt32SpansOtherwiseEvery100Ms) {  // covers S17
  using Clock = StreamThrottle::Clock;
  StreamThrottle throttle(100ms, 32);
  Clock::time_point t0{};
  EXPECT_FALSE(throttle.due(0, t0));
  EXPECT_TRUE(throttle.due(1, t0));  // the first ended span goes at once
  throttle.sent(t0);
  EXPECT_FALSE(throttle.due(31, t0 + 99ms));
  EXPECT_TRUE(throttle.due(32, t0 + 1ms));  // a full batch does not wait
  EXPECT_TRUE(throttle.due(1, t0 + 100ms));
  EXPECT_EQ(throttle.next(t0 + 10ms), t0 + 100ms);
}

// glassbox's client: partials are stitched and exported while the call runs.
TEST(Stream, TheClientStitchesAndExportsPartialsAtOnce) {  // covers S17, C7
  Stepper stepper;
  Served served(&stepper, {}, 2);
  Client client;
  auto exporter = std::make_shared<trace::InMemorySpanExporter>();
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::size_t> partial_sizes;
  auto telemetry =
      enable_client_telemetry(client, {.passback = PassbackMode::always,
                                       .detailed = true,
                                       .stream = true,
                                       .on_partial =
                                           [&](const StitchedTrace& t) {
                                             std::lock_guard lock(mutex);
                                             partial_sizes.push_back(t.server_span_count());
                                             changed.notify_all();
                                           },
                                       .exporter = exporter});
  auto [c, s] = transport::make_memory_pair();
  served.server.connect(s);
  client.connect(c);
  std::optional<StitchedTrace> final;
  auto call = std::async(std::launch::async, [&] { return client.call_tool("export"); });
  stepper.allow(0);
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return !partial_sizes.empty(); });
  }
  ASSERT_TRUE(telemetry->force_flush());
  std::set<std::string> exported;
  for (const auto& span : exporter->spans()) exported.insert(span.name);
  EXPECT_TRUE(exported.contains("stage.0")) << "exported before the call ended";
  EXPECT_EQ(call.wait_for(0s), std::future_status::timeout);
  stepper.allow(2);
  call.get();
  telemetry->force_flush();
  std::set<trace::SpanId> ids;
  for (const auto& span : exporter->spans())
    EXPECT_TRUE(ids.insert(span.span_id).second) << span.name << " exported twice";
  EXPECT_EQ(ids.size(), 6u);  // CLIENT span, server root, 2 stages, 2 inner
  EXPECT_EQ(telemetry->stats().spans_dropped, 0u);
}

}  // namespace
}  // namespace glassbox::mcp
