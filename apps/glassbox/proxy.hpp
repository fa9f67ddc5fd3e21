// `glassbox proxy`: an MCP proxy between a host (the front: stdio, or Streamable HTTP with --http)
// and a server (the back: a stdio child after `--`, or --url), in two roles (docs/proxy.md):
//
// - Gateway (P2), with --otlp or OTEL_EXPORTER_OTLP_*: each tools/call and resources/read gets
//   the proxy's CLIENT span and asks the back for passback; what comes back is checked (C1-C8, the
//   client telemetry of mcp/client_telemetry.hpp) and the stitched trace is exported. The front
//   sees _meta.otel only if it asked for it.
// - Sidecar (P3), with --passback-from-otlp: the stdio child exports OTLP to the proxy's loopback
//   receiver; the proxy answers passback from those spans (S2, S6, S11, S12, S15).
//
// Every other message goes through unchanged, both ways (P1).
#pragma once

#include "commands.hpp"

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/telemetry_forwarder.hpp"
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/transport/otlp_http_exporter.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::collector {
class Collector;
}

namespace glassbox::cli {

struct ProxyCommandOptions {
  std::string http;  // --http 127.0.0.1:PORT: Streamable HTTP at the front; empty: stdio
  bool passback_from_otlp = false;  // --passback-from-otlp: the sidecar role (stdio child only)
  std::string otlp_endpoint;        // --otlp: the gateway role's export (or OTEL_EXPORTER_OTLP_*)
  std::optional<transport::OtlpProtocol> otlp_protocol;
  bool detailed = false;  // --detailed: ask the back for the whole tree
  // --passback-wait MS: how long a sidecar call waits, after the child's response, for the child's
  // root span to be exported. A call is never held longer.
  std::chrono::milliseconds passback_wait{1000};
  // --max-calls N: the calls taken over (tools/call, resources/read with either role) that run
  // at once, each on a worker thread of a pool that keeps its threads; beyond it, calls queue in
  // the order they came (they are not refused). One bound for the proxy, every front included.
  std::size_t max_calls = 64;
};

// Returns the exit code: 0 when the front closed, 3 when the back failed or went away, 2 on misuse.
int run_proxy(const ProxyCommandOptions& options, const ServerTarget& target);

// The sidecar's span side (P3): a loopback OTLP/HTTP receiver (the collector's, JSON and
// protobuf) whose spans are routed by trace id to the calls waiting for them.
//
// Threads: all members may be called from any thread. Spans arrive on the receiver's I/O thread;
// a call waits on its own thread in finish().
struct SidecarOptions {
  std::chrono::milliseconds wait{1000};
  trace::CurationOptions curation{};
  std::shared_ptr<mcp::TelemetryForwarder>
      forward;  // S13: every span the child exports goes here too
  std::size_t max_spans_per_trace = 10'000;
  std::size_t remembered_traces = 4096;  // answered traces whose late spans are still counted
};

struct SidecarStats {
  std::uint64_t received_spans = 0;
  std::uint64_t late_spans = 0;       // arrived after their call was answered
  std::uint64_t unmatched_spans = 0;  // of a trace no call is waiting for, nor answered
};

class Sidecar {
 public:
  explicit Sidecar(SidecarOptions options);
  ~Sidecar();
  Sidecar(const Sidecar&) = delete;
  Sidecar& operator=(const Sidecar&) = delete;

  // Starts the receiver on 127.0.0.1, any free port. Throws std::runtime_error when it cannot.
  void start();
  // What the child's environment must say so that it exports to the receiver, promptly.
  std::vector<std::pair<std::string, std::string>> child_environment() const;

  // Registers a call whose spans descend from `caller` (the span the child's root is parented
  // to), before the request is forwarded.
  struct Call {
    trace::SpanContext caller;
  };
  std::shared_ptr<Call> begin(const trace::SpanContext& caller);
  // After the child answered: waits (at most options.wait) for the child's root span, then
  // curates the trace's spans under it into the passback value of `_meta.otel.traces` (S6, S11,
  // S12, S15), and ends the call.
  json::object finish(const std::shared_ptr<Call>& call, bool detailed);
  // Ends a call without answering passback (not asked for, or cancelled).
  void end(const std::shared_ptr<Call>& call);

  SidecarStats stats() const;

 private:
  struct Received {
    trace::SpanData span;
    trace::Resource resource;
    trace::InstrumentationScope scope;
  };
  struct Bucket {
    std::vector<Received> spans;
    std::vector<std::shared_ptr<Call>> calls;
    std::vector<trace::SpanId> claimed_roots;  // roots already given to a call of this trace
  };
  void receive(trace::TracesData traces);
  void release(const std::shared_ptr<Call>& call);  // with mutex_ held
  const Received* find_root(const Bucket& bucket, const Call& call) const;

  SidecarOptions options_;
  std::unique_ptr<collector::Collector> receiver_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<trace::TraceId, Bucket> buckets_;
  std::deque<trace::TraceId> answered_;  // bounded by options.remembered_traces
  std::uint64_t exported_batches_ = 0;   // any export at all from the child
  SidecarStats stats_;
};

}  // namespace glassbox::cli
