// Client-side ingest of a server's passback (`_meta.otel.traces`, C3/C4/C8): JSON text, parsed
// with the JSON-RPC parser's depth limit as it would arrive in a response, then the bounds, the
// decoder and the lineage filter of mcp::ingest_passback against a fixed CLIENT span (the seeds
// use its trace and span ids, so mutations reach the lineage walk).
// Invariants: no crash and no exception; a discarded payload yields nothing; every accepted span
// is in the client's trace, within the bounds, and hangs off the client span through accepted
// spans; the counts add up to what was received.
#include "glassbox/mcp/client_telemetry.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<json::value> traces = json::parse(input);
  if (!traces) return 0;

  static const trace::SpanContext client{
      *trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
      *trace::SpanId::from_hex("b7ad6b7169203331"),
      1,
      {},
      false};
  // Small bounds, so that inputs of fuzzing size cross them.
  const mcp::PassbackIngestLimits limits{
      .max_spans = 32, .max_bytes = 16 * 1024, .max_value_depth = 4};
  mcp::PassbackReport report;
  std::vector<trace::ResourceSpans> accepted =
      mcp::ingest_passback(*traces, client, limits, &report);

  std::size_t count = 0;
  std::set<trace::SpanId> ids{client.span_id};
  for (const auto& rs : accepted) {
    if (rs.scope_spans.empty()) std::abort();
    for (const auto& ss : rs.scope_spans) {
      if (ss.spans.empty()) std::abort();
      for (const auto& span : ss.spans) {
        if (span.trace_id != client.trace_id) std::abort();
        if (!ids.insert(span.span_id).second) std::abort();  // each span once
        ++count;
      }
    }
  }
  // Walk down from the client span over the accepted spans' parent links: all are reached.
  std::multimap<trace::SpanId, trace::SpanId> children;
  for (const auto& rs : accepted)
    for (const auto& ss : rs.scope_spans)
      for (const auto& span : ss.spans) children.emplace(span.parent_span_id, span.span_id);
  std::size_t reached = 0;
  std::vector<trace::SpanId> frontier{client.span_id};
  while (!frontier.empty()) {
    trace::SpanId id = frontier.back();
    frontier.pop_back();
    auto [first, last] = children.equal_range(id);
    for (auto it = first; it != last; ++it) {
      if (++reached > count) std::abort();  // a cycle
      frontier.push_back(it->second);
    }
  }
  if (reached != count) std::abort();
  if (!report.present) std::abort();
  if (count != report.accepted_span_count || count > limits.max_spans) std::abort();
  if (report.discarded) {
    if (count != 0 || report.reason.empty()) std::abort();
  } else if (report.received_span_count != count + report.dropped_span_count()) {
    std::abort();
  }
  return 0;
}
