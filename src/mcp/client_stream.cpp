#include "mcp/client_stream.hpp"

namespace glassbox::mcp {

namespace {

// The parent ids the spans of `entries` lead to outside themselves (and outside `known`).
std::set<std::string> outside_parents(const json::array& entries) {
  std::set<std::string> ids, parents;
  for (const auto& rs : entries) {
    const json::object* ro = rs.if_object();
    const json::value* ss = ro ? ro->if_contains("scopeSpans") : nullptr;
    if (ss == nullptr || !ss->is_array()) continue;
    for (const auto& scope : ss->get_array()) {
      const json::object* so = scope.if_object();
      const json::value* spans = so ? so->if_contains("spans") : nullptr;
      if (spans == nullptr || !spans->is_array()) continue;
      for (const auto& span : spans->get_array()) {
        const json::object* o = span.if_object();
        if (o == nullptr) continue;
        if (const json::string* id = json::find_string(*o, "spanId")) ids.insert(std::string(*id));
        if (const json::string* p = json::find_string(*o, "parentSpanId"))
          parents.insert(std::string(*p));
      }
    }
  }
  std::set<std::string> out;
  for (const auto& p : parents)
    if (!ids.contains(p)) out.insert(p);
  return out;
}

}  // namespace

std::vector<trace::ResourceSpans> PartialStitcher::add(const json::object& meta) {
  const json::object* otel = json::find_object(meta, "otel");
  const json::object* traces = otel ? json::find_object(*otel, "traces") : nullptr;
  if (traces == nullptr || !json::find_bool(*traces, "partial").value_or(false)) return {};
  const json::array* entries = json::find_array(*traces, "resourceSpans");
  if (entries == nullptr || entries->empty()) return {};
  std::lock_guard lock(mutex_);
  json::array combined = raw_;
  for (const auto& e : *entries) combined.push_back(e);
  // Every partial leads to one span outside itself: the root, still running.
  std::set<std::string> outside = outside_parents(combined);
  std::optional<trace::SpanId> root =
      outside.size() == 1 ? trace::SpanId::from_hex(*outside.begin()) : std::nullopt;
  if (!root || (root_ && *root != *root_)) {
    ++refused_;
    return {};
  }
  PassbackReport report;
  json::value envelope = json::object{{"resourceSpans", combined}};
  std::vector<trace::ResourceSpans> all = ingest_passback(
      envelope, {.trace_id = client_span_.trace_id, .span_id = *root}, limits_, &report);
  if (report.discarded || report.dropped_span_count() > 0) {
    ++refused_;
    return {};
  }
  root_ = root;
  raw_ = std::move(combined);
  std::vector<trace::ResourceSpans> fresh;
  for (auto& rs : all) {
    trace::ResourceSpans out{rs.resource, {}, rs.schema_url};
    for (auto& ss : rs.scope_spans) {
      trace::ScopeSpans scope{ss.scope, {}, ss.schema_url};
      for (auto& s : ss.spans)
        if (exported_.insert(s.span_id).second) scope.spans.push_back(std::move(s));
      if (!scope.spans.empty()) out.scope_spans.push_back(std::move(scope));
    }
    if (!out.scope_spans.empty()) {
      fresh.push_back(out);
      accepted_.push_back(std::move(out));
    }
  }
  return fresh;
}

json::value PartialStitcher::combine(const json::value* final_traces) const {
  std::lock_guard lock(mutex_);
  json::object out;
  if (final_traces != nullptr && final_traces->is_object()) out = final_traces->get_object();
  json::array entries = raw_;
  if (const json::array* last = json::find_array(out, "resourceSpans"))
    for (const auto& e : *last) entries.push_back(e);
  out["resourceSpans"] = std::move(entries);
  return out;
}

bool PartialStitcher::any() const {
  std::lock_guard lock(mutex_);
  return !raw_.empty();
}

bool PartialStitcher::exported(const trace::SpanId& id) const {
  std::lock_guard lock(mutex_);
  return exported_.contains(id);
}

std::vector<trace::ResourceSpans> PartialStitcher::accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::size_t PartialStitcher::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

void drop_exported(trace::TracesData& job, const PartialStitcher& partials) {
  for (auto& rs : job.resource_spans)
    for (auto& ss : rs.scope_spans)
      std::erase_if(ss.spans,
                    [&](const trace::SpanData& s) { return partials.exported(s.span_id); });
}

}  // namespace glassbox::mcp
