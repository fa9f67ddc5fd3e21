// A tools/call round trip in process (client and server over the in-memory pair), for calls of
// 1, 5, 10 and 100 spans (the SERVER span plus N - 1 made by the tool), three ways:
//   NoPassback  no passback middleware: the tool's spans are no-ops;
//   Recorded    the middleware is installed but the caller does not ask: every call records its
//               spans (what `glassbox serve` costs a caller that never asks);
//   Passback    the caller asks (traceparent + otel.traces.request): the spans are curated and
//               encoded into _meta.otel.
// What passback costs per call is Passback against NoPassback. Compare the rows of one run (a
// shared machine is noisy); scripts/bench.sh prints them side by side.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"

#include <benchmark/benchmark.h>

namespace glassbox {
namespace {

enum class Mode { no_passback, recorded, passback };

struct Rig {
  Rig(Mode mode, int spans) {
    server.add_tool({.name = "work"}, [spans](const json::object&, mcp::RequestContext& ctx) {
      for (int i = 1; i < spans; ++i) {  // the SERVER span is the first of the call's spans
        trace::Span s = ctx.span("stage");
        s.set_attribute("stage.index", i);
      }
      return mcp::CallToolResult::text("ok");
    });
    if (mode != Mode::no_passback) {
      mcp::PassbackOptions options;
      options.provider = std::make_shared<trace::TracerProvider>();
      mcp::enable_passback(server, options);
    }
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
    if (mode == Mode::passback)
      meta = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
              {"otel", {{"traces", {{"request", true}}}}}};
  }
  mcp::Server server{{.name = "bench"}};
  mcp::Client client{{.propagate_trace_context = false}};
  json::object meta;
};

void run_calls(benchmark::State& state, Mode mode) {
  Rig rig(mode, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    mcp::CallToolResult r = rig.client.call_tool("work", {}, {.meta = rig.meta});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ToolsCallNoPassback(benchmark::State& state) {
  run_calls(state, Mode::no_passback);
}
void BM_ToolsCallRecorded(benchmark::State& state) {
  run_calls(state, Mode::recorded);
}
void BM_ToolsCallPassback(benchmark::State& state) {
  run_calls(state, Mode::passback);
}
BENCHMARK(BM_ToolsCallNoPassback)->Arg(1)->Arg(5)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_ToolsCallRecorded)->Arg(1)->Arg(5)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_ToolsCallPassback)->Arg(1)->Arg(5)->Arg(10)->Arg(100)->UseRealTime();

}  // namespace
}  // namespace glassbox

BENCHMARK_MAIN();
