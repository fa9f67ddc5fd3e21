// Streamed passback (S17), client side: the partial payloads of one call, stitched as they
// arrive in notifications/progress.
//
// A partial's spans hang off the server's root span, which ends last and comes with the final
// response. So each partial is checked (C3, C4, C8) together with the partials accepted before
// it, against the root they all hang off: the one span id their chains lead to outside
// themselves, the same for every partial. The final response is checked together with every
// accepted partial against the CLIENT span itself, so the root proves (or not) that the
// streamed spans were this call's; what was exported early and fails that check is counted.
//
// Threads: add() runs on the client's reader thread, the rest on the calling thread; all of it
// under one lock.
#pragma once

#include "glassbox/mcp/client_telemetry.hpp"

#include <mutex>
#include <set>

namespace glassbox::mcp {

class PartialStitcher {
 public:
  PartialStitcher(trace::SpanContext client_span, PassbackIngestLimits limits)
      : client_span_(client_span), limits_(limits) {}

  // One notification's params._meta; returns the spans accepted from it (each under its own
  // resource), empty when it carried none or was refused.
  std::vector<trace::ResourceSpans> add(const json::object& meta);
  // The final otel.traces (null: none came) with every accepted partial's spans before it: the
  // payload to check once for the whole call.
  json::value combine(const json::value* final_traces) const;
  bool any() const;
  bool exported(const trace::SpanId& id) const;
  std::vector<trace::ResourceSpans> accepted() const;  // every partial's, so far
  std::size_t refused() const;                         // partials refused whole

 private:
  trace::SpanContext client_span_;
  PassbackIngestLimits limits_;
  mutable std::mutex mutex_;
  json::array raw_;  // the accepted partials' resourceSpans entries
  std::optional<trace::SpanId> root_;
  std::set<trace::SpanId> exported_;
  std::vector<trace::ResourceSpans> accepted_;
  std::size_t refused_ = 0;
};

// Takes out of `job` the spans that went out already, as partials.
void drop_exported(trace::TracesData& job, const PartialStitcher& partials);

}  // namespace glassbox::mcp
