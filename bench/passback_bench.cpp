// A tools/call round trip in process (client and server over the in-memory pair), with passback
// off and on, and with 1, 5 and 50 spans made by the tool: what passback costs per call.
// Compare the rows of one run (this machine is noisy); `ratio` rows print on: / off.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"

#include <benchmark/benchmark.h>

namespace glassbox {
namespace {

struct Rig {
  Rig(bool passback, int spans) {
    server.add_tool({.name = "work"}, [spans](const json::object&, mcp::RequestContext& ctx) {
      for (int i = 0; i < spans; ++i) {
        trace::Span s = ctx.span("stage");
        s.set_attribute("stage.index", i);
      }
      return mcp::CallToolResult::text("ok");
    });
    if (passback) {
      mcp::PassbackOptions options;
      options.provider = std::make_shared<trace::TracerProvider>();
      mcp::enable_passback(server, options);
    }
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
    meta = passback ? json::object{{"traceparent",
                                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                                   {"otel", {{"traces", {{"request", true}}}}}}
                    : json::object{};
  }
  mcp::Server server{{.name = "bench"}};
  mcp::Client client{{.propagate_trace_context = false}};
  json::object meta;
};

void BM_ToolsCall(benchmark::State& state) {
  Rig rig(state.range(0) != 0, static_cast<int>(state.range(1)));
  for (auto _ : state) {
    mcp::CallToolResult r = rig.client.call_tool("work", {}, {.meta = rig.meta});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ToolsCall)
    ->ArgNames({"passback", "spans"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 5})
    ->Args({1, 5})
    ->Args({0, 50})
    ->Args({1, 50})
    ->UseRealTime();

}  // namespace
}  // namespace glassbox

BENCHMARK_MAIN();
