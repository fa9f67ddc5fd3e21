// The client's checks of a returned payload, before anything of it is used: bounds before
// decoding (C3), the OTLP decoding under limits (C8), and lineage (C4: same trace, descended
// from the CLIENT span); what is kept stays under the server's own resource (C5).
#include "glassbox/mcp/client_telemetry.hpp"

#include "mcp/passback_wire.hpp"

#include <map>
#include <set>

namespace glassbox::mcp {

namespace {

// ---- bounds before decoding (C3) ------------------------------------------------------------

// Approximate encoded size of `v`, walking iteratively; stops as soon as it passes `budget`
// (then returns budget + 1), so the work is bounded by the budget, not by the payload.
std::size_t approximate_size(const json::value& v, std::size_t budget) {
  std::size_t total = 0;
  std::vector<const json::value*> stack{&v};
  while (!stack.empty()) {
    const json::value* x = stack.back();
    stack.pop_back();
    switch (x->kind()) {
      case boost::json::kind::string:
        total += x->get_string().size() + 2;
        break;
      case boost::json::kind::array: {
        const json::array& a = x->get_array();
        total += 2 + a.size();  // brackets and commas, counted before descending
        if (total > budget) return budget + 1;
        for (const auto& e : a) stack.push_back(&e);
        break;
      }
      case boost::json::kind::object: {
        const json::object& o = x->get_object();
        total += 2 + o.size() * 4;  // braces, quotes, colons, commas
        if (total > budget) return budget + 1;
        for (const auto& m : o) {
          total += m.key().size();
          stack.push_back(&m.value());
        }
        break;
      }
      case boost::json::kind::bool_:
      case boost::json::kind::null:
        total += 5;
        break;
      default:
        total += 20;
        break;  // numbers
    }
    if (total > budget) return budget + 1;
  }
  return total;
}

// The array under `key` in `out` (null when the key is absent); false with a reason when the
// member is there but not an array.
bool array_member(const json::object& o, std::string_view key, const json::array*& out,
                  std::string& reason) {
  out = nullptr;
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return true;
  out = v->if_array();
  if (out == nullptr) reason = std::string(key) + " is not an array";
  return out != nullptr;
}

// One level of the envelope: every element of `key`'s array must be an object, and all levels
// together hold at most bound + 1 containers. `body` returns false to stop the walk.
template <class Body>
bool each_container(const json::object& parent, std::string_view key, std::size_t bound,
                    std::size_t& containers, std::string& reason, Body&& body) {
  const json::array* items = nullptr;
  if (!array_member(parent, key, items, reason)) return false;
  if (items == nullptr) return true;
  for (const auto& item : *items) {
    if (++containers > bound + 1) {
      reason = "too many " + std::string(key);
      return false;
    }
    const json::object* o = item.if_object();
    if (o == nullptr) {
      reason = std::string(key) + " element is not an object";
      return false;
    }
    if (!body(*o)) return false;
  }
  return true;
}

// Counts spans through the envelope only (resourceSpans[].scopeSpans[].spans), without reading
// a span. Stops past `bound`. False with a reason when the envelope has the wrong shape.
bool count_spans(const json::object& traces, std::size_t bound, std::size_t& count,
                 std::string& reason) {
  count = 0;
  std::size_t containers = 0;
  bool past_bound = false;
  bool well_formed = each_container(
      traces, "resourceSpans", bound, containers, reason, [&](const json::object& resource) {
        return each_container(resource, "scopeSpans", bound, containers, reason,
                              [&](const json::object& scope) {
                                const json::array* spans = nullptr;
                                if (!array_member(scope, "spans", spans, reason)) return false;
                                if (spans != nullptr) count += spans->size();
                                past_bound = count > bound;
                                return !past_bound;
                              });
      });
  return well_formed || past_bound;
}

void discard(PassbackReport& report, std::string reason) {
  report.discarded = true;
  report.reason = std::move(reason);
}

}  // namespace

std::vector<trace::ResourceSpans> ingest_passback(const json::value& traces,
                                                  const trace::SpanContext& client_span,
                                                  const PassbackIngestLimits& limits,
                                                  PassbackReport* report_out) noexcept {
  PassbackReport scratch;
  PassbackReport& report = report_out ? *report_out : scratch;
  std::vector<trace::ResourceSpans> accepted;
  try {
    report.present = true;
    const json::object* envelope = traces.if_object();
    if (envelope == nullptr) {
      discard(report, "malformed passback: otel.traces is not an object");
      return {};
    }
    const passback_wire::PayloadClaims claims = passback_wire::read_claims(*envelope);
    // The transport dropped it while reading (over its bytes or nesting bound, C3/C8).
    if (claims.discarded != nullptr) {
      discard(report, "passback discarded: " + std::string(*claims.discarded));
      return {};
    }
    report.server_dropped_span_count = claims.dropped_span_count;
    // Shown to the user, never acted upon; bounded like the rest.
    if (claims.policy != nullptr && approximate_size(*claims.policy, 4096) <= 4096)
      report.server_policy = *claims.policy;
    std::string reason;
    if (!count_spans(*envelope, limits.max_spans, report.received_span_count, reason)) {
      discard(report, "malformed passback: " + reason);
      return {};
    }
    if (report.received_span_count > limits.max_spans) {
      discard(report, "passback has more than " + std::to_string(limits.max_spans) + " spans");
      return {};
    }
    report.payload_bytes = approximate_size(traces, limits.max_bytes);
    if (report.payload_bytes > limits.max_bytes) {
      discard(report, "passback is larger than " + std::to_string(limits.max_bytes) + " bytes");
      return {};
    }
    trace::OtlpDecodeLimits decode_limits{.max_bytes = limits.max_bytes,
                                          .max_spans = limits.max_spans,
                                          .max_depth = limits.max_value_depth};
    std::string error;
    std::optional<trace::TracesData> decoded =
        trace::decode_otlp_json(traces, decode_limits, &error);
    if (!decoded) {
      discard(report, "malformed passback: " + error);
      return {};
    }

    // C4: same trace, and descended from the CLIENT span. Walk down from the client span over
    // the parent links, so cycles and spans hanging off nothing fall out by construction.
    std::map<trace::SpanId, std::vector<trace::SpanId>> children;
    std::set<trace::SpanId> seen{client_span.span_id};
    std::set<trace::SpanId> duplicates;
    for (const auto& rs : decoded->resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        for (const auto& span : ss.spans) {
          if (span.trace_id != client_span.trace_id) continue;
          if (!seen.insert(span.span_id).second) {
            duplicates.insert(span.span_id);
            continue;
          }
          children[span.parent_span_id].push_back(span.span_id);
        }
      }
    }
    std::set<trace::SpanId> reachable;
    std::vector<trace::SpanId> frontier{client_span.span_id};
    while (!frontier.empty()) {
      trace::SpanId id = frontier.back();
      frontier.pop_back();
      auto it = children.find(id);
      if (it == children.end()) continue;
      for (const trace::SpanId& child : it->second) {
        if (!duplicates.contains(child) && reachable.insert(child).second)
          frontier.push_back(child);
      }
    }
    std::set<trace::SpanId> kept;
    for (auto& rs : decoded->resource_spans) {
      trace::ResourceSpans out{std::move(rs.resource), {}, std::move(rs.schema_url)};
      for (auto& ss : rs.scope_spans) {
        trace::ScopeSpans scope{std::move(ss.scope), {}, std::move(ss.schema_url)};
        for (auto& span : ss.spans) {
          if (span.trace_id != client_span.trace_id) {
            ++report.foreign_trace_span_count;
          } else if (duplicates.contains(span.span_id) || span.span_id == client_span.span_id ||
                     kept.contains(span.span_id)) {
            ++report.duplicate_span_count;
          } else if (!reachable.contains(span.span_id)) {
            ++report.unlinked_span_count;
          } else {
            kept.insert(span.span_id);
            scope.spans.push_back(std::move(span));
          }
        }
        if (!scope.spans.empty()) out.scope_spans.push_back(std::move(scope));
      }
      if (!out.scope_spans.empty()) accepted.push_back(std::move(out));
    }
    report.accepted_span_count = kept.size();
    if (report.foreign_trace_span_count > 0) {
      report.reason =
          std::to_string(report.foreign_trace_span_count) + " spans of another trace dropped";
    } else if (report.unlinked_span_count > 0) {
      report.reason =
          std::to_string(report.unlinked_span_count) + " spans not under the client span dropped";
    } else if (report.duplicate_span_count > 0) {
      report.reason =
          std::to_string(report.duplicate_span_count) + " spans with a repeated id dropped";
    }
    return accepted;
  } catch (const std::exception& e) {  // allocation failure, mostly: C8, never fail the call
    discard(report, std::string("passback could not be read: ") + e.what());
  } catch (...) {
    discard(report, "passback could not be read");
  }
  report.accepted_span_count = 0;
  return {};
}

}  // namespace glassbox::mcp
