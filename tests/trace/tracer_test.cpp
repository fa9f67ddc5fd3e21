// Spans, nesting, the per-thread binding, limits, the provider's processors.
#include "glassbox/trace/tracer.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace glassbox::trace {
namespace {

const SpanData* find(const std::vector<SpanData>& spans, std::string_view name) {
  for (const auto& s : spans)
    if (s.name == name) return &s;
  return nullptr;
}

std::shared_ptr<Recorder> new_recorder(std::size_t max_spans = 4096) {
  return std::make_shared<Recorder>(
      RecorderOptions{.provider = std::make_shared<TracerProvider>(), .max_spans = max_spans});
}

TEST(SpanTest, NoContextGivesNoOpSpan) {
  Span span = start_span("nothing bound");
  EXPECT_FALSE(span.recording());
  EXPECT_FALSE(span.context().is_valid());
  span.set_attribute("k", "v");
  span.add_event("e");
  span.end();
  EXPECT_TRUE(current_context().empty());
}

// covers S4
TEST(SpanTest, RootJoinsRemoteParent) {
  auto recorder = new_recorder();
  auto parent = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "v=1");
  Span root = start_root_span(recorder, "tools/call echo", SpanKind::server, parent);
  EXPECT_TRUE(root.recording());
  EXPECT_EQ(root.context().trace_id, parent->trace_id);
  EXPECT_NE(root.context().span_id, parent->span_id);
  root.end();
  auto spans = recorder->take();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(spans[0].parent_span_id.to_hex(), "b7ad6b7169203331");
  EXPECT_EQ(spans[0].kind, SpanKind::server);
  EXPECT_EQ(spans[0].trace_state, "v=1");
  EXPECT_LE(spans[0].start_time_unix_nano, spans[0].end_time_unix_nano);
  EXPECT_FALSE(root.recording());
  EXPECT_TRUE(root.context().is_valid());  // still readable after end
}

// covers S3: no (or an invalid) traceparent starts a new trace
TEST(SpanTest, RootWithoutParentStartsNewTrace) {
  auto recorder = new_recorder();
  Span a = start_root_span(recorder, "a", SpanKind::server, std::nullopt);
  Span b = start_root_span(recorder, "b", SpanKind::server, parse_traceparent("garbage"));
  EXPECT_TRUE(a.context().trace_id.is_valid());
  EXPECT_NE(a.context().trace_id, b.context().trace_id);
  a.end();
  b.end();
  for (const auto& s : recorder->take()) EXPECT_FALSE(s.parent_span_id.is_valid());
}

TEST(SpanTest, NestingAndRaiiEnd) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  {
    ContextScope scope(root);
    Span a = start_span("a");
    {
      Span b = start_span("b", SpanKind::client);
      Span c = start_span("c");
      EXPECT_EQ(current_context().span_context().span_id, c.context().span_id);
    }  // c, then b end here
    EXPECT_EQ(current_context().span_context().span_id, a.context().span_id);
    Span d = start_span("d");
  }
  EXPECT_TRUE(current_context().empty());
  root.end();
  auto spans = recorder->take();
  ASSERT_EQ(spans.size(), 5u);
  const SpanData* r = find(spans, "root");
  const SpanData* a = find(spans, "a");
  const SpanData* b = find(spans, "b");
  const SpanData* c = find(spans, "c");
  const SpanData* d = find(spans, "d");
  ASSERT_TRUE(r && a && b && c && d);
  EXPECT_EQ(a->parent_span_id, r->span_id);
  EXPECT_EQ(b->parent_span_id, a->span_id);
  EXPECT_EQ(c->parent_span_id, b->span_id);
  EXPECT_EQ(d->parent_span_id, a->span_id);
  EXPECT_EQ(b->kind, SpanKind::client);
  for (const auto& s : spans) EXPECT_EQ(s.trace_id, r->trace_id);
}

TEST(SpanTest, EndingOutOfOrderIsSafe) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  ContextScope scope(root);
  Span a = start_span("a");
  Span b = start_span("b");
  a.end();  // b stays current
  EXPECT_EQ(current_context().span_context().span_id, b.context().span_id);
  Span c = start_span("c");
  b.end();
  EXPECT_EQ(current_context().span_context().span_id, c.context().span_id);
  c.end();
  EXPECT_EQ(current_context().span_context().span_id, root.context().span_id);
  a.end();  // idempotent
  EXPECT_EQ(recorder->size(), 3u);
}

TEST(SpanTest, MovedToAnotherThreadAndEndedThere) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  {
    ContextScope scope(root);
    Span moved = start_span("moved");
    std::thread([s = std::move(moved)]() mutable {
      s.set_attribute("where", "worker");
      s.end();
    }).join();
    // The worker could not touch this thread's binding; a new span still nests correctly.
    Span next = start_span("next");
    next.end();
  }
  root.end();
  auto spans = recorder->take();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(*find_attribute(find(spans, "moved")->attributes, "where")->if_string(), "worker");
}

TEST(SpanTest, SpanMovedOutOfItsScopeStillEndsIntoItsRecorder) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  Span escaped;
  {
    ContextScope scope(root);
    escaped = start_span("escaped");
  }
  EXPECT_TRUE(current_context().empty());
  {
    auto other = new_recorder();
    Span other_root = start_root_span(other, "other");
    ContextScope scope(other_root);
    escaped.end();  // ends into `recorder`, not into what is bound now
    other_root.end();
    EXPECT_EQ(other->size(), 1u);
  }
  EXPECT_EQ(recorder->size(), 1u);
}

TEST(SpanTest, HandOffThroughCurrentContext) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  Context captured;
  {
    ContextScope scope(root);
    Span stage = start_span("stage");
    captured = current_context();
    std::thread([captured] {
      ContextScope attach(captured);
      Span work = start_span("work");
    }).join();
  }
  root.end();
  auto spans = recorder->take();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(find(spans, "work")->parent_span_id, find(spans, "stage")->span_id);
}

TEST(SpanTest, AttributesEventsLinksStatus) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  root.set_attribute("s", "text");
  root.set_attribute("std", std::string("string"));
  root.set_attribute("i", 42);
  root.set_attribute("i64", std::int64_t{1} << 40);
  root.set_attribute("d", 1.5);
  root.set_attribute("b", true);
  root.set_attribute("arr", ArrayValue{{1, "two", 3.0}});
  root.set_attribute("map", KvlistValue{{{"k", "v"}}});
  root.set_attribute("bytes", BytesValue{"\x01\x02"});
  root.set_attribute("s", "replaced");
  root.add_event("exception", {{"exception.message", "boom"}});
  SpanContext linked{generate_trace_id(), generate_span_id(), 1, "", true};
  root.add_link(linked, {{"why", "batch"}});
  root.set_status(StatusCode::error, "failed");
  root.set_status(StatusCode::unset);  // ignored
  root.end();
  auto spans = recorder->take();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& s = spans[0];
  ASSERT_EQ(s.attributes.size(), 9u);
  EXPECT_EQ(s.attributes[0].key, "s");
  EXPECT_EQ(*s.attributes[0].value.if_string(), "replaced");
  EXPECT_EQ(*find_attribute(s.attributes, "i")->if_int(), 42);
  EXPECT_EQ(*find_attribute(s.attributes, "b")->if_bool(), true);
  EXPECT_EQ(find_attribute(s.attributes, "arr")->if_array()->values.size(), 3u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "exception");
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].context.span_id, linked.span_id);
  EXPECT_EQ(s.status_code, StatusCode::error);
  EXPECT_EQ(s.status_message, "failed");
}

// A thread keeps the States of its ended spans for its next spans (src/trace/tracer.cpp): a span
// holds nothing of those that ended before it, however they ended (kept by a recorder, dropped
// by a full one, or a provider's alone), and is a root or a child as it was started.
TEST(SpanTest, ASpanHoldsNothingOfTheSpansThatEndedBeforeIt) {
  std::thread([] {
    auto parent =
        parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "v=1");
    const std::string long_text(300, 'x');
    auto fill = [&](Span& span) {
      span.set_attribute("key.longer.than.fifteen.bytes", long_text);
      span.set_attribute("i", 7);
      span.add_event("event", {{"k", "v"}});
      span.add_link(*parent, {{"why", "test"}});
      span.set_status(StatusCode::error, long_text);
    };
    auto full = new_recorder(1);
    Span kept = start_root_span(full, std::string(40, 'r'), SpanKind::server, parent);
    fill(kept);
    for (int i = 0; i < 20; ++i) {  // more than a thread keeps, each ended another way
      Span span = i % 3 == 0   ? start_span_in(kept.as_context(), "dropped")
                  : i % 3 == 1 ? start_root_span(nullptr, "provider's", SpanKind::client, parent)
                               : start_root_span(new_recorder(), "kept", SpanKind::server, parent);
      fill(span);
      span.end();
    }
    kept.end();
    EXPECT_EQ(full->dropped_span_count(), 6u);  // the first child took the one place

    // New spans in a recorder that keeps one: the first child, not the second (only a root is
    // kept past the bound), and the root.
    auto recorder = new_recorder(1);
    Span root = start_root_span(recorder, "root");
    {
      ContextScope scope(root);
      start_span("first").end();
      start_span("second").end();
    }
    root.end();
    EXPECT_EQ(recorder->dropped_span_count(), 1u);
    auto spans = recorder->take();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].name, "first");
    EXPECT_EQ(spans[0].parent_span_id, spans[1].span_id);
    SpanData expected = spans[1];
    expected.name = "root";
    expected.kind = SpanKind::server;
    expected.parent_span_id = SpanId();
    expected.flags = kTraceFlagSampled;
    expected.trace_state.clear();
    expected.attributes.clear();
    expected.events.clear();
    expected.links.clear();
    expected.status_code = StatusCode::unset;
    expected.status_message.clear();
    expected.dropped_attributes_count = expected.dropped_events_count =
        expected.dropped_links_count = 0;
    EXPECT_EQ(spans[1], expected);

    // A child in a recorder with room: its parent is its root, and it holds only its own.
    auto roomy = new_recorder();
    Span parent_span = start_root_span(roomy, "root");
    Span child = start_span_in(parent_span.as_context(), "child");
    child.set_attribute("own", 1);
    child.end();
    parent_span.end();
    spans = roomy->take();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].name, "child");
    EXPECT_EQ(spans[0].parent_span_id, spans[1].span_id);
    EXPECT_EQ(spans[0].trace_state, "");
    ASSERT_EQ(spans[0].attributes.size(), 1u);
    EXPECT_EQ(spans[0].attributes[0].key, "own");
    EXPECT_TRUE(spans[0].events.empty());
    EXPECT_TRUE(spans[0].links.empty());
    EXPECT_EQ(spans[0].status_code, StatusCode::unset);
    EXPECT_EQ(spans[0].status_message, "");
    EXPECT_EQ(spans[0].dropped_attributes_count, 0u);
  }).join();
}

// covers S12: limits applied while recording, and counted
TEST(SpanTest, LimitsAreAppliedAndCounted) {
  auto recorder = new_recorder();
  Span root = start_root_span(recorder, "root");
  for (int i = 0; i < 200; ++i) root.set_attribute("k" + std::to_string(i), i);
  for (int i = 0; i < 150; ++i) root.add_event("e");
  for (int i = 0; i < 130; ++i)
    root.add_link({generate_trace_id(), generate_span_id(), 0, "", false});
  Attributes many;
  for (int i = 0; i < 140; ++i) many.push_back({"a" + std::to_string(i), i});
  root.add_event("big", many);
  root.set_attribute("k0", std::string(10 * 1024 * 1024, 'x'));  // a 10 MB value
  root.end();
  auto spans = recorder->take();
  const SpanData& s = spans.at(0);
  EXPECT_EQ(s.attributes.size(), 128u);
  EXPECT_EQ(s.dropped_attributes_count, 72u);
  EXPECT_EQ(s.events.size(), 128u);
  EXPECT_EQ(s.dropped_events_count, 23u);
  EXPECT_EQ(s.links.size(), 128u);
  EXPECT_EQ(s.dropped_links_count, 2u);
  EXPECT_EQ(find_attribute(s.attributes, "k0")->if_string()->size(),
            SpanLimits{}.max_attribute_value_length);
}

// covers S12: a string value given as text (literal, pointer, view, std::string) is made in the
// span and cut as an AttributeValue is (at a UTF-8 boundary); a literal 0 stays the integer 0.
TEST(SpanTest, StringValuesOfEveryFormAreKeptAndCutAlike) {
  auto recorder = std::make_shared<Recorder>(
      RecorderOptions{.provider = std::make_shared<TracerProvider>(TracerProviderOptions{
                          .limits = SpanLimits{.max_attribute_value_length = 5}})});
  Span root = start_root_span(recorder, "root");
  const char* pointer = "abc";
  std::string lvalue = "abcdefgh";
  const std::string const_lvalue = "xyz";
  root.set_attribute("literal", "literal value");
  root.set_attribute("pointer", pointer);
  root.set_attribute("view", std::string_view("viewed"));
  root.set_attribute("lvalue", lvalue);
  root.set_attribute("const", const_lvalue);
  root.set_attribute("rvalue", std::string("moved in"));
  root.set_attribute("utf8", "ab\xc3\xa9\xc3\xa9");  // "abéé": 5 bytes would split the second é
  root.set_attribute("zero", 0);
  root.set_attribute("flag", false);
  root.set_attribute("pointer", "again");  // a repeated key replaces the value in place
  root.end();
  auto spans = recorder->take();
  const SpanData& s = spans.at(0);
  auto text = [&](std::string_view key) { return *find_attribute(s.attributes, key)->if_string(); };
  EXPECT_EQ(text("literal"), "liter");
  EXPECT_EQ(text("pointer"), "again");
  EXPECT_EQ(text("view"), "viewe");
  EXPECT_EQ(text("lvalue"), "abcde");
  EXPECT_EQ(lvalue, "abcdefgh");
  EXPECT_EQ(text("const"), "xyz");
  EXPECT_EQ(text("rvalue"), "moved");
  EXPECT_EQ(text("utf8"), "ab\xc3\xa9");
  EXPECT_EQ(*find_attribute(s.attributes, "zero")->if_int(), 0);
  EXPECT_EQ(*find_attribute(s.attributes, "flag")->if_bool(), false);
  EXPECT_EQ(s.attributes.size(), 9u);
  EXPECT_EQ(s.attributes[1].key, "pointer");
}

// Numbers and bools set without an AttributeValue keep AttributeValue's types (integers as
// int64, a uint64 above INT64_MAX wrapping), replace a value of another kind in place, and count
// against max_attributes like any other.
TEST(SpanTest, NumbersOfEveryFormAreStoredAsAttributeValueStoresThem) {
  auto recorder = std::make_shared<Recorder>(
      RecorderOptions{.provider = std::make_shared<TracerProvider>(
                          TracerProviderOptions{.limits = SpanLimits{.max_attributes = 7}})});
  Span root = start_root_span(recorder, "root");
  root.set_attribute("int", -7);
  root.set_attribute("unsigned", 7u);
  root.set_attribute("byte", static_cast<std::uint8_t>(200));
  root.set_attribute("huge", std::uint64_t{0xFFFFFFFFFFFFFFFFull});
  root.set_attribute("float", 1.5f);
  root.set_attribute("was text", "text");
  root.set_attribute("was text", true);  // replaces the string, keeps its place
  root.set_attribute("double", 0.25);
  root.set_attribute("one too many", 1);  // the 8th key: dropped and counted
  root.set_attribute("int", 8);           // a known key still replaces its value
  root.end();
  auto spans = recorder->take();
  const SpanData& s = spans.at(0);
  auto value = [&](std::string_view key) { return find_attribute(s.attributes, key); };
  EXPECT_EQ(value("int")->value, AttributeValue(std::int64_t{8}).value);
  EXPECT_EQ(value("unsigned")->value, AttributeValue(7u).value);
  EXPECT_EQ(*value("byte")->if_int(), 200);
  EXPECT_EQ(*value("huge")->if_int(), -1);
  EXPECT_EQ(*value("float")->if_double(), 1.5);
  EXPECT_EQ(*value("double")->if_double(), 0.25);
  EXPECT_EQ(value("was text")->value, AttributeValue(true).value);
  EXPECT_EQ(s.attributes[5].key, "was text");
  EXPECT_EQ(value("one too many"), nullptr);
  EXPECT_EQ(s.attributes.size(), 7u);
  EXPECT_EQ(s.dropped_attributes_count, 1u);
}

// covers S12: 100,000 spans in one request stay within the recorder's bound and are counted
TEST(RecorderTest, HundredThousandSpansAreBounded) {
  auto recorder = new_recorder(1000);
  Span root = start_root_span(recorder, "root");
  {
    ContextScope scope(root);
    for (int i = 0; i < 100000; ++i) start_span("child");
  }
  root.end();  // the root is kept even when full
  EXPECT_EQ(recorder->dropped_span_count(), 99000u);
  auto spans = recorder->take();
  EXPECT_EQ(spans.size(), 1001u);
  EXPECT_EQ(spans.back().name, "root");
  EXPECT_EQ(recorder->size(), 0u);
}

// covers S13: the provider's processors get the same spans; passback is a copy
TEST(ProviderTest, ProcessorsReceiveSpansToo) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  auto provider = std::make_shared<TracerProvider>(
      TracerProviderOptions{.resource = Resource{}.set("service.name", "svc"),
                            .processors = {std::make_shared<SimpleSpanProcessor>(exporter)}});
  auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
  Span root = start_root_span(recorder, "root");
  {
    ContextScope scope(root);
    start_span("child");
  }
  root.end();
  EXPECT_EQ(recorder->size(), 2u);
  EXPECT_EQ(exporter->size(), 2u);
  EXPECT_EQ(exporter->last_resource().service_name(), "svc");
}

// covers S5: unsampled spans are recorded for passback, not exported by default
TEST(ProviderTest, UnsampledSpansAreRecordedButNotExported) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  auto provider = std::make_shared<TracerProvider>(
      TracerProviderOptions{.processors = {std::make_shared<SimpleSpanProcessor>(exporter)}});
  auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
  auto parent = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  start_root_span(recorder, "root", SpanKind::server, parent).end();
  EXPECT_EQ(recorder->size(), 1u);
  EXPECT_EQ(exporter->size(), 0u);
}

TEST(ProviderTest, GlobalProviderAndProviderOnlyRootSpan) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  set_tracer_provider(std::make_shared<TracerProvider>(
      TracerProviderOptions{.processors = {std::make_shared<SimpleSpanProcessor>(exporter)}}));
  start_root_span(nullptr, "client call", SpanKind::client).end();
  auto recorder = std::make_shared<Recorder>();  // picks up the global provider
  start_root_span(recorder, "root").end();
  EXPECT_EQ(exporter->size(), 2u);
  EXPECT_EQ(tracer_provider()->resource().service_name(), "unknown_service");
  set_tracer_provider(nullptr);
  EXPECT_FALSE(tracer_provider()->has_processors());
}

// The proxy's sidecar (P3) sets OTEL_BSP_SCHEDULE_DELAY=20 for its child: a glassbox server
// must export that soon, not after the 1 s default. Invalid values leave the defaults.
TEST(ProviderTest, BatchOptionsFromEnvironment) {
  const BatchSpanProcessorOptions defaults;
  ::setenv("OTEL_BSP_SCHEDULE_DELAY", "20", 1);
  ::setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100", 1);
  ::setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10", 1);
  BatchSpanProcessorOptions options = batch_options_from_environment();
  EXPECT_EQ(options.schedule_delay, std::chrono::milliseconds(20));
  EXPECT_EQ(options.max_queue_size, 100u);
  EXPECT_EQ(options.max_export_batch_size, 10u);
  for (const char* bad : {"", "0", "-5", "20ms", "abc"}) {
    ::setenv("OTEL_BSP_SCHEDULE_DELAY", bad, 1);
    ::setenv("OTEL_BSP_MAX_QUEUE_SIZE", bad, 1);
    ::setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", bad, 1);
    options = batch_options_from_environment();
    EXPECT_EQ(options.schedule_delay, defaults.schedule_delay) << "'" << bad << "'";
    EXPECT_EQ(options.max_queue_size, defaults.max_queue_size) << "'" << bad << "'";
    EXPECT_EQ(options.max_export_batch_size, defaults.max_export_batch_size) << "'" << bad << "'";
  }
  for (const char* name :
       {"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"})
    ::unsetenv(name);
}

TEST(ProviderTest, BatchProcessorExportsOnFlushAndCountsDrops) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  auto batch = std::make_shared<BatchSpanProcessor>(BatchSpanProcessorOptions{
      .exporter = exporter, .max_queue_size = 10, .schedule_delay = std::chrono::hours(1)});
  SpanData span;
  span.name = "s";
  span.flags = 1;
  for (int i = 0; i < 25; ++i) batch->on_end(span);
  EXPECT_TRUE(batch->force_flush(std::chrono::seconds(5)));
  auto stats = batch->stats();
  EXPECT_EQ(stats.exported + stats.dropped, 25u);
  EXPECT_EQ(exporter->size(), stats.exported);
  for (int i = 0; i < 3; ++i) batch->on_end(span);
  batch->shutdown();  // drains
  EXPECT_EQ(exporter->size(), stats.exported + 3);
  batch->on_end(span);
  EXPECT_EQ(batch->stats().dropped, stats.dropped + 1);
}

TEST(ProviderTest, BatchProcessorExportsOnTimer) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  BatchSpanProcessor batch({.exporter = exporter, .schedule_delay = std::chrono::milliseconds(20)});
  SpanData span;
  batch.on_end(span);
  for (int i = 0; i < 200 && exporter->size() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(exporter->size(), 1u);
}

}  // namespace
}  // namespace glassbox::trace
