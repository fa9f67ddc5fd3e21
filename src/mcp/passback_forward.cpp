#include "mcp/passback_forward.hpp"

#include "mcp/passback_stream.hpp"
#include "mcp/passback_wire.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace glassbox::mcp {

void PassbackCall::add(NestedHop hop) {
  std::lock_guard lock(mutex_);
  nested_.push_back(std::move(hop));
}

void PassbackCall::on_recorded() noexcept {
  if (stream_) stream_->on_recorded();
}

std::vector<NestedHop> PassbackCall::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(nested_, {});
}

PassbackCall* current_passback_call() {
  trace::Context context = trace::current_context();
  if (context.empty()) return nullptr;
  return dynamic_cast<PassbackCall*>(context.recorder()->observer().get());
}

std::size_t read_hops(const json::object& traces) {
  std::optional<std::int64_t> hops = json::find_int(traces, "hops");
  return hops && *hops > 0 ? static_cast<std::size_t>(*hops) : 0;
}

namespace {

std::string call_name(const OutgoingRequest& request) {
  const json::string* target =
      json::find_string(request.params, request.method == "tools/call" ? "name" : "uri");
  return target ? request.method + " " + std::string(*target) : request.method;
}

}  // namespace

std::optional<Outcome> ask_nested(OutgoingRequest& request, PassbackCall& call, bool& asked) {
  const PassbackForwarding& forwarding = call.forwarding();
  // The hop limit: this server is hop hops()+1; the nested server would be one more. A loop of
  // servers ends here, at the first server that would exceed it.
  const std::size_t next = call.hops() + 1;
  if (next >= forwarding.max_hops) {
    return jsonrpc::Error{kHopLimitErrorCode,
                          "passback hop limit (" + std::to_string(forwarding.max_hops) +
                              " servers) reached: is this a loop of MCP servers?",
                          json::object{{"hops", next}, {"maxHops", forwarding.max_hops}}};
  }
  json::value& meta_value = request.params["_meta"];
  if (!meta_value.is_object()) meta_value = json::object{};
  json::value& otel = meta_value.get_object()["otel"];
  if (!otel.is_object()) otel = json::object{};
  json::value& traces = otel.get_object()["traces"];
  if (!traces.is_object()) traces = json::object{};
  json::object& ask = traces.get_object();
  // A request that already says whether it wants spans is the caller's business.
  if (!ask.contains("request")) {
    ask["request"] = true;
    ask["detailed"] = call.detailed();
  }
  ask["hops"] = next;
  asked = json::find_bool(ask, "request").value_or(false);
  return std::nullopt;
}

void file_nested(const OutgoingRequest& request, bool asked, PassbackCall& call,
                 const trace::SpanContext& client_span, const Outcome& outcome) {
  const json::value* returned = asked ? passback_wire::find_payload(outcome) : nullptr;
  if (returned == nullptr) return;
  const PassbackForwarding& forwarding = call.forwarding();
  NestedHop hop{.call = call_name(request), .client_span_id = client_span.span_id};
  // C3-C5: the nested server's spans are untrusted input, like any client's.
  hop.spans = ingest_passback(
      *returned, client_span,
      {.max_spans = forwarding.max_spans, .max_bytes = forwarding.max_bytes}, &hop.report);
  call.add(std::move(hop));
}

Outcome forward_nested_call(OutgoingRequest& request, const OutgoingHandler& send,
                            PassbackCall& call, const trace::SpanContext& client_span) {
  bool asked = false;
  if (std::optional<Outcome> refused = ask_nested(request, call, asked)) return std::move(*refused);
  Outcome outcome = send(request);
  file_nested(request, asked, call, client_span, outcome);
  return outcome;
}

// ---- the payload over all hops --------------------------------------------------------------

namespace {

constexpr std::size_t kMaxHopsReported = 32;

struct Group {
  trace::Resource resource;
  trace::InstrumentationScope scope;
  std::vector<trace::SpanData> spans;
  std::size_t hop = SIZE_MAX;  // index into the hops; SIZE_MAX: this server's own spans
};

void add_reason(std::string& reason, std::string_view text) {
  if (reason.find(text) != std::string::npos) return;
  if (!reason.empty()) reason += "; ";
  reason += text;
}

std::size_t serialized_size(const json::value& v) {
  return boost::json::serialize(v).size();
}

}  // namespace

json::object curate_with_nested(std::vector<trace::SpanData> own, const trace::SpanId& root,
                                const trace::TracerProvider& provider,
                                const trace::CurationOptions& options, std::vector<NestedHop> hops,
                                trace::CurationReport* report_out, json::object* nested_out,
                                const std::map<trace::SpanId, trace::SpanId>* sent) {
  trace::CurationReport report;
  const bool detailed = options.detailed && options.allow_detailed;
  report.detailed = detailed;
  if (options.detailed && !options.allow_detailed)
    add_reason(report.reason, "detailed passback is disabled by server policy; top level only");

  // Every group: this server's spans first, then each hop's, each under its own resource.
  std::vector<Group> groups;
  groups.push_back({provider.resource(), provider.scope(), std::move(own)});
  for (std::size_t h = 0; h < hops.size(); ++h) {
    for (auto& rs : hops[h].spans)
      for (auto& ss : rs.scope_spans)
        groups.push_back({rs.resource, std::move(ss.scope), std::move(ss.spans), h});
  }

  // The tree over all hops: depth below this server's root (-1: not under it).
  std::map<trace::SpanId, const trace::SpanData*> by_id;
  std::size_t total = 0;
  for (const Group& g : groups) {
    total += g.spans.size();
    for (const auto& s : g.spans) by_id.emplace(s.span_id, &s);
  }
  std::map<trace::SpanId, long> depth;
  auto parent_of = [&](const trace::SpanId& id) -> std::optional<trace::SpanId> {
    if (auto it = by_id.find(id); it != by_id.end()) return it->second->parent_span_id;
    if (sent != nullptr)
      if (auto it = sent->find(id); it != sent->end()) return it->second;
    return std::nullopt;
  };
  auto depth_of = [&](const trace::SpanId& start) {
    std::vector<trace::SpanId> chain;
    std::set<trace::SpanId> visiting;
    trace::SpanId id = start;
    long base = -1;
    while (true) {
      if (auto known = depth.find(id); known != depth.end()) {
        base = known->second;
        break;
      }
      if (id == root) {
        base = 0;
        depth[root] = 0;
        break;
      }
      chain.push_back(id);
      std::optional<trace::SpanId> parent = parent_of(id);
      if (!parent || !visiting.insert(id).second) break;  // outside the tree, or a cycle
      id = *parent;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      base = base < 0 ? -1 : base + 1;
      depth[*it] = base;
    }
    return depth.at(start);
  };

  // Top level: each hop's own top level came back already (it was asked without detailed);
  // here, this server's root and its children, and the CLIENT spans of the nested calls that
  // brought spans back, with their ancestors, so that the tree stays connected.
  std::set<trace::SpanId> connectors;
  for (const NestedHop& hop : hops) {
    if (hop.spans.empty()) continue;
    for (auto it = by_id.find(hop.client_span_id); it != by_id.end() && it->first != root;
         it = by_id.find(it->second->parent_span_id)) {
      if (!connectors.insert(it->first).second) break;
    }
  }
  struct Candidate {
    std::size_t group, index;
    long depth;
    std::uint64_t start;
  };
  std::vector<Candidate> candidates;
  std::size_t outside = 0, filtered = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t i = 0; i < groups[g].spans.size(); ++i) {
      const trace::SpanData& s = groups[g].spans[i];
      long d = depth_of(s.span_id);
      if (d < 0) {
        ++outside;
      } else if (g == 0 && !detailed && d > 1 && !connectors.contains(s.span_id)) {
        ++filtered;
      } else {
        candidates.push_back({g, i, d, s.start_time_unix_nano});
      }
    }
  }
  if (outside) add_reason(report.reason, "spans outside the request's tree left out");
  if (!detailed && filtered && !options.detailed)
    add_reason(report.reason, "top level only (detailed not requested)");
  report.filtered_span_count = filtered;
  // S12 over the whole payload: the shallowest spans first, then the earliest; the root always.
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.depth != b.depth) return a.depth < b.depth;
    if (a.start != b.start) return a.start < b.start;
    return std::tie(a.group, a.index) < std::tie(b.group, b.index);
  });
  const std::size_t max_spans = std::max<std::size_t>(options.max_spans, 1);
  if (candidates.size() > max_spans) {
    candidates.resize(max_spans);
    report.truncated = true;
    add_reason(report.reason, "span count limit " + std::to_string(max_spans));
  }
  std::vector<std::vector<trace::SpanData>> kept(groups.size());
  for (const Candidate& c : candidates)
    kept[c.group].push_back(std::move(groups[c.group].spans[c.index]));

  // Redaction (this server's rules, over every hop: a hop may redact more, never less) and
  // the byte bound, group by group, this server's own first.
  trace::CurationOptions group_options = options;
  group_options.detailed = true;  // selected above
  group_options.allow_detailed = true;
  group_options.max_spans = SIZE_MAX;
  json::array out;
  std::size_t bytes = 32, emitted = 0, nested_emitted = 0;
  std::vector<std::size_t> hop_emitted(hops.size(), 0), hop_dropped(hops.size(), 0);
  std::set<std::string> services;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::size_t given = kept[g].size();
    std::size_t offered = groups[g].spans.size();
    const std::size_t h = groups[g].hop;
    auto drop_here = [&](std::size_t n) {
      if (h != SIZE_MAX) hop_dropped[h] += n;
    };
    if (given == 0 || bytes >= options.max_bytes) {
      if (given) {
        report.truncated = true;
        add_reason(report.reason, "byte limit " + std::to_string(options.max_bytes));
      }
      drop_here(offered);
      continue;
    }
    group_options.max_bytes = options.max_bytes - bytes;
    trace::CurationReport r;
    json::object curated =
        trace::curate_to_otlp_json(std::move(kept[g]), trace::SpanId{}, groups[g].resource,
                                   groups[g].scope, group_options, &r);
    json::value entry = std::move(curated["resourceSpans"].get_array().at(0));
    std::size_t size = serialized_size(entry) + 1;
    if (r.truncated || (g != 0 && bytes + size > options.max_bytes)) {
      report.truncated = true;
      add_reason(report.reason, "byte limit " + std::to_string(options.max_bytes));
    }
    if (g != 0 && bytes + size > options.max_bytes) {
      drop_here(offered);
      continue;
    }
    bytes += size;
    report.redacted_attribute_count += r.redacted_attribute_count;
    report.truncated_attribute_count += r.truncated_attribute_count;
    emitted += r.kept_span_count;
    if (h != SIZE_MAX) {
      hop_emitted[h] += r.kept_span_count;
      drop_here(offered - r.kept_span_count);
      nested_emitted += r.kept_span_count;
      services.insert(std::string(groups[g].resource.service_name()));
    }
    out.push_back(std::move(entry));
  }
  report.kept_span_count = emitted;
  report.dropped_span_count = total - emitted;

  // S15: what came from where, and what was dropped at each hop.
  json::array hop_reports;
  std::size_t nested_dropped = 0;
  for (std::size_t h = 0; h < hops.size(); ++h) {
    const PassbackReport& arrival = hops[h].report;
    nested_dropped += hop_dropped[h];
    if (hop_reports.size() >= kMaxHopsReported) continue;
    json::object entry{{"call", hops[h].call},
                       {"receivedSpanCount", arrival.received_span_count},
                       {"spanCount", hop_emitted[h]},
                       {"droppedOnArrivalCount", arrival.discarded ? arrival.received_span_count
                                                                   : arrival.dropped_span_count()},
                       {"droppedHereCount", hop_dropped[h]}};
    for (const auto& rs : hops[h].spans) {
      entry["service"] = rs.resource.service_name();
      break;
    }
    if (!arrival.reason.empty()) entry["reason"] = arrival.reason;
    if (!arrival.server_policy.empty()) entry["policy"] = arrival.server_policy;
    hop_reports.push_back(std::move(entry));
  }
  json::object nested{{"serviceCount", services.size()},
                      {"spanCount", nested_emitted},
                      {"droppedSpanCount", nested_dropped},
                      {"calls", std::move(hop_reports)}};
  if (hops.size() > kMaxHopsReported) nested["callsOmitted"] = hops.size() - kMaxHopsReported;
  if (nested_out && !hops.empty()) *nested_out = std::move(nested);
  if (report_out) *report_out = std::move(report);
  return json::object{{"resourceSpans", std::move(out)}};
}

}  // namespace glassbox::mcp
