// trace/ hot paths: span start+end into a recorder, OTLP encodings, passback curation.
// For reference, opentelemetry-cpp takes about 260-520 ns to create and end a span.
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/tracer.hpp"

#include <benchmark/benchmark.h>

namespace glassbox::trace {
namespace {

std::shared_ptr<Recorder> bench_recorder() {
  return std::make_shared<Recorder>(
      RecorderOptions{.provider = std::make_shared<TracerProvider>(), .max_spans = 1 << 20});
}

void BM_NoopSpan(benchmark::State& state) {
  for (auto _ : state) {
    Span s = start_span("stage");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_NoopSpan);

// start_span + end, recorded into the request's recorder (the recorder is emptied every 64
// spans, as a finished request would be, and that cost, freeing the spans, is included).
void BM_SpanStartEnd(benchmark::State& state) {
  auto recorder = bench_recorder();
  Span root = start_root_span(recorder, "root");
  ContextScope scope(root);
  std::size_t n = 0;
  for (auto _ : state) {
    {
      Span s = start_span("stage");
      benchmark::DoNotOptimize(s);
    }
    if (++n % 64 == 0) benchmark::DoNotOptimize(recorder->take());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SpanStartEnd);
BENCHMARK(BM_SpanStartEnd)->Threads(2);

void BM_SpanStartEndThreeAttributes(benchmark::State& state) {
  auto recorder = bench_recorder();
  Span root = start_root_span(recorder, "root");
  ContextScope scope(root);
  std::size_t n = 0;
  for (auto _ : state) {
    {
      Span s = start_span("db.query", SpanKind::client);
      s.set_attribute("db.system", "postgresql");
      s.set_attribute("db.rows", 42);
      s.set_attribute("cache.hit", false);
    }
    if (++n % 64 == 0) benchmark::DoNotOptimize(recorder->take());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SpanStartEndThreeAttributes);

// A request's whole lifecycle: recorder, root span from a traceparent, bind, one child, take.
void BM_RequestRootAndChild(benchmark::State& state) {
  auto provider = std::make_shared<TracerProvider>();
  auto parent = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  for (auto _ : state) {
    auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
    Span root = start_root_span(recorder, "tools/call echo", SpanKind::server, parent);
    {
      ContextScope scope(root);
      Span child = start_span("stage");
    }
    root.end();
    benchmark::DoNotOptimize(recorder->take());
  }
}
BENCHMARK(BM_RequestRootAndChild);

std::vector<SpanData> sample_spans(std::size_t n) {
  auto recorder = bench_recorder();
  Span root = start_root_span(recorder, "tools/call list_emails", SpanKind::server);
  root.set_attribute("mcp.method.name", "tools/call");
  root.set_attribute("gen_ai.tool.name", "list_emails");
  {
    ContextScope scope(root);
    for (std::size_t i = 1; i < n; ++i) {
      Span s = start_span("stage");
      s.set_attribute("db.system", "postgresql");
      s.set_attribute("db.rows", static_cast<int>(i));
      s.set_attribute("http.request.header.authorization", "Bearer abcdefgh12345678");
    }
  }
  root.end();
  auto spans = recorder->take();
  std::rotate(spans.begin(), spans.end() - 1, spans.end());  // root first
  return spans;
}

Resource bench_resource() {
  return Resource{}.set("service.name", "mail-server").set("service.version", "1.0.0");
}

void BM_OtlpJsonEncode(benchmark::State& state) {
  auto spans = sample_spans(static_cast<std::size_t>(state.range(0)));
  Resource resource = bench_resource();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = encode_otlp_json_string(spans, resource, {});
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(spans.size());
  state.counters["ns_per_span"] =
      benchmark::Counter(static_cast<double>(state.iterations() * spans.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_OtlpJsonEncode)->Arg(1)->Arg(10)->Arg(100);

void BM_OtlpProtobufEncode(benchmark::State& state) {
  auto spans = sample_spans(static_cast<std::size_t>(state.range(0)));
  Resource resource = bench_resource();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string wire = encode_otlp_protobuf(spans, resource, {});
    bytes = wire.size();
    benchmark::DoNotOptimize(wire);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(spans.size());
  state.counters["ns_per_span"] =
      benchmark::Counter(static_cast<double>(state.iterations() * spans.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_OtlpProtobufEncode)->Arg(1)->Arg(10)->Arg(100);

void BM_OtlpJsonDecode(benchmark::State& state) {
  auto spans = sample_spans(100);
  std::string text = json::serialize(encode_otlp_json(spans, bench_resource(), {}));
  for (auto _ : state) benchmark::DoNotOptimize(decode_otlp_json(std::string_view(text)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
}
BENCHMARK(BM_OtlpJsonDecode);

void BM_OtlpProtobufDecode(benchmark::State& state) {
  auto spans = sample_spans(100);
  std::string wire = encode_otlp_protobuf(spans, bench_resource(), {});
  for (auto _ : state) benchmark::DoNotOptimize(decode_otlp_protobuf(wire));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
}
BENCHMARK(BM_OtlpProtobufDecode);

// Passback curation of a request with N spans (top level, redaction, bounds, OTLP JSON), the
// copy of the spans included, as the middleware hands them over.
void BM_Curate(benchmark::State& state) {
  auto spans = sample_spans(static_cast<std::size_t>(state.range(0)));
  SpanId root = spans[0].span_id;
  Resource resource = bench_resource();
  CurationOptions options{.detailed = true};
  for (auto _ : state) {
    CurationReport report;
    auto out = curate_to_otlp_json(spans, root, resource, {}, options, &report);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
}
BENCHMARK(BM_Curate)->Arg(1)->Arg(10)->Arg(100);

// The same with the result built in an arena (what a caller gets by passing its document's
// storage).
void BM_CurateArena(benchmark::State& state) {
  auto spans = sample_spans(static_cast<std::size_t>(state.range(0)));
  SpanId root = spans[0].span_id;
  Resource resource = bench_resource();
  CurationOptions options{.detailed = true};
  for (auto _ : state) {
    boost::json::monotonic_resource arena(16384);
    CurationReport report;
    auto out = curate_to_otlp_json(spans, root, resource, {}, options, &report, &arena);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans.size()));
}
BENCHMARK(BM_CurateArena)->Arg(10)->Arg(100);

}  // namespace
}  // namespace glassbox::trace

BENCHMARK_MAIN();
