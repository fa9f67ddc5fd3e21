// The collector's store path with large and deep values (issue 11, item 1 and 11): the input is
// read as a recipe for one export (raw bytes as names, keys and values, so invalid UTF-8
// included; string values repeated up to 1 MiB; array/kvlist values nested up to 24 deep; up to
// 300 attributes, events and links per span) and goes straight into an in-memory TraceStore
// with small bounds, as the receiver hands it over after decoding.
// Invariants: no crash and no exception; the store stays within max_traces and max_bytes; every
// trace it holds comes back as JSON that a strict parser (UTF-8 checked) reads, with no string
// value, key or name over the length bound and no list over its count bound.
#include "collector.hpp"

#include <cstdlib>

namespace {

using namespace glassbox;

constexpr trace::SpanLimits kLimits{.max_attributes = 16,
                                    .max_events = 8,
                                    .max_links = 8,
                                    .max_attributes_per_event = 8,
                                    .max_attributes_per_link = 8,
                                    .max_attribute_value_length = 4096};
constexpr std::size_t kMaxBytes = 512 * 1024;

class Recipe {
 public:
  Recipe(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  // A slice of the input, raw.
  std::string text() {
    std::size_t want = byte() % 24;  // read first: it moves at_
    std::size_t n = std::min(want, size_ - std::min(at_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }
  // A slice repeated: up to 1 MiB from a few input bytes.
  std::string big_text() {
    std::string unit = text();
    if (unit.empty()) unit = "x";
    std::size_t target = std::min(std::size_t{1} << (byte() % 21), budget_);
    budget_ -= target;  // a few large values per input, not thousands
    std::string out;
    while (out.size() < target) out += unit;
    return out;
  }
  trace::AttributeValue value(int depth) {
    switch (byte() % 8) {
      case 0:
        return big_text();
      case 1:
        return trace::BytesValue{big_text()};
      case 2:
        return static_cast<std::int64_t>(byte()) << 40;
      case 3:
        return 1.5 * byte();
      case 4:
        return byte() % 2 == 0;
      case 5:
      case 6: {
        if (depth >= 24) return text();
        bool list = byte() % 2 == 0;
        std::size_t n = 1 + byte() % 3;
        if (list) {
          trace::ArrayValue a;
          for (std::size_t i = 0; i < n; ++i) a.values.push_back(value(depth + 1));
          return a;
        }
        trace::KvlistValue k;
        for (std::size_t i = 0; i < n; ++i) k.values.push_back({text(), value(depth + 1)});
        return k;
      }
      default:
        return text();
    }
  }
  trace::Attributes attributes() {
    trace::Attributes out;
    std::size_t n = byte() % 4 == 0 ? 100 + byte() % 200 : byte() % 6;
    for (std::size_t i = 0; i < n && at_ < size_; ++i) out.push_back({text(), value(0)});
    for (std::size_t i = out.size(); i < n; ++i) out.push_back({"k" + std::to_string(i), "v"});
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
  std::size_t budget_ = 4 * 1024 * 1024;
};

// Every string in the viewer's JSON within the bound; lists within theirs.
void check(const json::value& v, int depth) {
  if (depth > 512) std::abort();
  if (const json::string* s = v.if_string()) {
    // A bytes value is base64 (4/3 of the bound); ids and numbers as strings are short.
    if (s->size() > kLimits.max_attribute_value_length * 4 / 3 + 4) std::abort();
  } else if (const json::array* a = v.if_array()) {
    for (const auto& e : *a) check(e, depth + 1);
  } else if (const json::object* o = v.if_object()) {
    for (const auto& [key, member] : *o) {
      if (key.size() > kLimits.max_attribute_value_length) std::abort();
      if ((key == "attributes" || key == "events" || key == "links") && member.is_array() &&
          member.get_array().size() > 16) {
        std::abort();
      }
      check(member, depth + 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Recipe recipe(data, size);
  trace::TracesData export_data;
  trace::ResourceSpans rs;
  rs.resource.attributes = recipe.attributes();
  rs.resource.set("service.name", recipe.text());
  trace::ScopeSpans ss;
  ss.scope.name = recipe.text();
  ss.scope.version = recipe.big_text();
  trace::TraceId trace_id = trace::generate_trace_id();
  std::size_t spans = 1 + recipe.byte() % 8;
  for (std::size_t i = 0; i < spans; ++i) {
    trace::SpanData s;
    s.trace_id = recipe.byte() % 4 == 0 ? trace::generate_trace_id() : trace_id;
    s.span_id = trace::generate_span_id();
    s.name = recipe.big_text();
    s.status_message = recipe.text();
    s.attributes = recipe.attributes();
    std::size_t events = recipe.byte() % 4 == 0 ? 300 : recipe.byte() % 4;
    for (std::size_t e = 0; e < events; ++e) {
      s.events.push_back({recipe.text(), 0, e < 4 ? recipe.attributes() : trace::Attributes{}, 0});
    }
    std::size_t links = recipe.byte() % 4 == 0 ? 300 : recipe.byte() % 4;
    for (std::size_t l = 0; l < links; ++l) {
      s.links.push_back({trace::SpanContext{trace_id, trace::generate_span_id()},
                         l < 4 ? recipe.attributes() : trace::Attributes{}, 0});
    }
    ss.spans.push_back(std::move(s));
  }
  rs.scope_spans.push_back(std::move(ss));
  export_data.resource_spans.push_back(std::move(rs));

  static collector::TraceStore store(
      {.path = ":memory:", .max_traces = 8, .max_bytes = kMaxBytes, .span_limits = kLimits});
  try {
    store.insert(export_data);
  } catch (...) {
    std::abort();
  }
  if (store.trace_count() > 8 || store.stored_bytes() > kMaxBytes) std::abort();
  for (const auto& summary : store.recent(8)) {
    std::optional<json::object> t = store.trace_json(summary.trace_id);
    if (!t) std::abort();
    std::optional<json::value> back = json::parse(json::serialize(*t), {.max_depth = 1024});
    if (!back) std::abort();  // invalid UTF-8 (or a value lost its shape)
    if (!json::parse(json::serialize(json::value(summary.to_json())))) std::abort();
    check(*back, 0);
  }
  return 0;
}
