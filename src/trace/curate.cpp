#include "glassbox/trace/curate.hpp"

#include "glassbox/json/ascii.hpp"

#include "glassbox/trace/otlp.hpp"

#include "json/spare_text.hpp"
#include "trace/otlp_json_writer.hpp"
#include "trace/redaction.hpp"
#include "trace/span_pool.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

namespace glassbox::trace {
namespace {

using redaction::key_denied_by_default_rules;
using redaction::KeyHash;
using redaction::mask_secrets;
using redaction::split_words;
using redaction::words_contain;

// ---- curation --------------------------------------------------------------------------------

std::uint64_t id_key(const SpanId& id) {
  std::uint64_t v;
  std::memcpy(&v, id.bytes().data(), 8);
  return v;
}

void utf8_cut(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

class Curator {
 public:
  Curator(const CurationOptions& options, CurationReport& report)
      : options_(options), report_(report) {
    for (const auto& p : options.redaction.deny_keys) deny_.push_back(split_words(p, true));
    if (options.redaction.allow_keys) {
      for (const auto& p : *options.redaction.allow_keys) allow_.push_back(json::ascii_lower(p));
    }
  }

  [[gnu::always_inline]] bool key_denied(std::string_view key) {
    if (options_.redaction.allow_keys) {
      // Spans of one request repeat their keys: decide each distinct key once.
      if (auto it = top_cache_.find(key); it != top_cache_.end()) return it->second;
      bool denied = key_allowlisted(key) == false || key_denied_ignoring_allowlist(key);
      if (top_cache_.size() < 4096) top_cache_.emplace(std::string(key), denied);
      return denied;
    }
    return key_denied_ignoring_allowlist(key);
  }

  bool key_denied_by_deny_rules(std::string_view key) const {
    std::vector<std::string> words = split_words(key);
    for (const auto& p : deny_)
      if (words_contain(words, p)) return true;
    return false;
  }

  bool value_denied(std::string_view key, std::string_view value) const {
    return value_verdict(key, value).denied;
  }

  // What the value rules say of a string value, span name, event name or status message: denied
  // whole, or maybe holding a secret to mask (a ':' or a '=' for mask_secrets to look at). The
  // built-in rules' verdict comes from one look-up of the text (redaction::inspect_text).
  struct ValueVerdict {
    bool denied = false;
    bool maskable = false;
  };
  [[gnu::always_inline]] ValueVerdict value_verdict(std::string_view key,
                                                    std::string_view value) const {
    // Only the part that could leave matters, plus a margin for a secret cut at the boundary.
    std::string_view scanned = value.substr(0, options_.max_attribute_value_length + 4096);
    ValueVerdict verdict;
    if (options_.redaction.default_rules) {
      const redaction::TextVerdict built_in = redaction::inspect_text(scanned);
      if (built_in.credential) return {.denied = true};
      verdict.maskable = built_in.maskable;
    }
    for (const auto& re : options_.redaction.deny_values) {
      if (std::regex_search(scanned.begin(), scanned.end(), re)) return {.denied = true};
    }
    if (options_.redaction.predicate && options_.redaction.predicate(key, scanned))
      return {.denied = true};
    return verdict;
  }

  // Masks the secret parts of a text (URL passwords, key=value secrets), on what could leave;
  // `verdict` is value_verdict's for it.
  bool mask(std::string& s, const ValueVerdict& verdict) {
    if (!verdict.maskable) return false;
    utf8_cut(s, options_.max_attribute_value_length + 4096);
    std::optional<std::string> masked =
        mask_secrets(s, options_.redaction.replacement,
                     [this](std::string_view key) { return key_denied_ignoring_allowlist(key); });
    if (!masked) return false;
    s = std::move(*masked);
    ++report_.redacted_attribute_count;
    return true;
  }

  // A span name, event name or status message: the value rules, whole or in part (S11). An
  // empty one (most status messages) costs no call.
  [[gnu::always_inline]] void text(std::string& s, std::string_view key) {
    if (!s.empty()) nonempty_text(s, key);
  }
  void nonempty_text(std::string& s, std::string_view key) {
    const ValueVerdict verdict = value_verdict(key, s);
    if (verdict.denied) {
      s = options_.redaction.replacement;
      ++report_.redacted_attribute_count;
      return;
    }
    mask(s, verdict);
    utf8_cut(s, options_.max_attribute_value_length);
  }

  // Redacts, masks and bounds the string `s` that `v` holds; `key` is the attribute's.
  [[gnu::always_inline]] void string_value(std::string_view key, std::string& s,
                                           AttributeValue& v) {
    const ValueVerdict verdict = value_verdict(key, s);
    if (verdict.denied) {
      redact(v);
      return;
    }
    mask(s, verdict);
    if (s.size() > options_.max_attribute_value_length) {
      utf8_cut(s, options_.max_attribute_value_length);
      ++report_.truncated_attribute_count;
    }
  }

  // Redacts and bounds one value (recursively); `key` is the attribute's.
  void value(std::string_view key, AttributeValue& v, std::size_t depth) {
    if (auto* s = std::get_if<std::string>(&v.value)) {
      string_value(key, *s, v);
    } else if (auto* b = std::get_if<BytesValue>(&v.value)) {
      if (b->data.size() > options_.max_attribute_value_length) {
        b->data.resize(options_.max_attribute_value_length);
        ++report_.truncated_attribute_count;
      }
    } else if (auto* a = std::get_if<ArrayValue>(&v.value)) {
      if (depth >= options_.max_value_depth) {
        v = AttributeValue();
        ++report_.truncated_attribute_count;
        return;
      }
      if (a->values.size() > options_.max_array_length) {
        a->values.resize(options_.max_array_length);
        ++report_.truncated_attribute_count;
      }
      for (auto& e : a->values) value(key, e, depth + 1);
    } else if (auto* k = std::get_if<KvlistValue>(&v.value)) {
      if (depth >= options_.max_value_depth) {
        v = AttributeValue();
        ++report_.truncated_attribute_count;
        return;
      }
      if (k->values.size() > options_.max_array_length) {
        k->values.resize(options_.max_array_length);
        ++report_.truncated_attribute_count;
      }
      for (auto& kv : k->values) attribute(kv, depth + 1, false);
    }
  }

  void attribute(KeyValue& kv, std::size_t depth, bool top) {
    if (utf8_key_too_long(kv.key)) ++report_.truncated_attribute_count;
    // Nested kvlist keys obey the deny rules but not the allow-list (it names top-level keys).
    bool denied = top ? key_denied(kv.key) : key_denied_ignoring_allowlist(kv.key);
    if (denied) {
      redact(kv.value);
      return;
    }
    // A string (most values) without the call for any value.
    if (auto* s = std::get_if<std::string>(&kv.value.value)) {
      string_value(kv.key, *s, kv.value);
    } else {
      value(kv.key, kv.value, depth);
    }
  }

  // Returns the number of attributes dropped by the count bound.
  std::uint32_t attributes(Attributes& attributes) {
    std::uint32_t dropped = 0;
    if (attributes.size() > options_.max_attributes) {
      dropped = static_cast<std::uint32_t>(attributes.size() - options_.max_attributes);
      attributes.resize(options_.max_attributes);
      report_.truncated_attribute_count += dropped;
    }
    for (auto& kv : attributes) attribute(kv, 0, true);
    return dropped;
  }

  void span(SpanData& s) {
    s.dropped_attributes_count += attributes(s.attributes);
    if (s.events.size() > options_.max_events) {
      auto n = static_cast<std::uint32_t>(s.events.size() - options_.max_events);
      s.events.resize(options_.max_events);
      s.dropped_events_count += n;
      report_.truncated_attribute_count += n;
    }
    for (auto& e : s.events) {
      text(e.name, "event.name");
      e.dropped_attributes_count += attributes(e.attributes);
    }
    if (s.links.size() > options_.max_links) {
      auto n = static_cast<std::uint32_t>(s.links.size() - options_.max_links);
      s.links.resize(options_.max_links);
      s.dropped_links_count += n;
      report_.truncated_attribute_count += n;
    }
    for (auto& l : s.links) l.dropped_attributes_count += attributes(l.attributes);
    text(s.status_message, "status.message");
    span_name(s.name);
  }

 private:
  // A tool named "Bearer eyJ..." names its span too. Spans in a loop share their name: one the
  // rules left as it was is not judged again for the span right after.
  void span_name(std::string& name) {
    if (last_name_ && name == *last_name_) return;
    const std::size_t redacted = report_.redacted_attribute_count, size = name.size();
    text(name, "span.name");
    // Redacted, masked (both counted) or cut, it is judged again the next time.
    if (report_.redacted_attribute_count == redacted && name.size() == size) {
      last_name_ = name;
    } else {
      last_name_.reset();
    }
  }

  std::optional<bool> key_allowlisted(std::string_view key) const {
    if (!options_.redaction.allow_keys) return std::nullopt;
    std::string lowered = json::ascii_lower(key);
    for (const auto& p : allow_) {
      if (!p.empty() && p.back() == '*') {
        if (lowered.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
      } else if (lowered == p) {
        return true;
      }
    }
    return false;
  }

  [[gnu::always_inline]] bool key_denied_ignoring_allowlist(std::string_view key) {
    if (options_.redaction.default_rules && key_denied_by_default_rules(key)) return true;
    if (deny_.empty()) return false;
    if (auto it = nested_cache_.find(key); it != nested_cache_.end()) return it->second;
    bool denied = key_denied_by_deny_rules(key);
    if (nested_cache_.size() < 4096) nested_cache_.emplace(std::string(key), denied);
    return denied;
  }

  std::unordered_map<std::string, bool, KeyHash, std::equal_to<>> top_cache_, nested_cache_;

  bool utf8_key_too_long(std::string& key) const {
    if (key.size() <= options_.max_attribute_value_length) return false;
    utf8_cut(key, options_.max_attribute_value_length);
    return true;
  }

  void redact(AttributeValue& v) {
    v = AttributeValue(options_.redaction.replacement);
    ++report_.redacted_attribute_count;
  }

  const CurationOptions& options_;
  CurationReport& report_;
  std::vector<std::vector<std::string>> deny_;
  std::vector<std::string> allow_;
  // The span name judged last when the rules left it as it was: a view of a span being curated
  // (span names stay as they are until the curation ends).
  std::optional<std::string_view> last_name_;
};

// {"resourceSpans":[{"resource":...,"scopeSpans":[{"scope":...,"spans":[ for this resource and
// scope: a server's are the same on every call, so each thread keeps the last text with copies
// of what it was written from, and writes it again only when they differ. `provider`, when not
// 0, is the serial of the provider they are of: its are fixed, so that provider's text is
// reused without comparing them.
std::string_view head_text(const Resource& resource, const InstrumentationScope& scope,
                           std::uint64_t provider) {
  struct Head {
    std::uint64_t provider = 0;  // whose resource and scope these are, when known
    Resource resource;
    InstrumentationScope scope;
    std::string text;
  };
  thread_local Head head;
  if (provider != 0 && head.provider == provider) return head.text;
  head.provider = provider;
  if (head.text.empty() || head.resource != resource || head.scope != scope) {
    otlp_json::JsonWriter w;
    w.raw(R"({"resourceSpans":[{"resource":)");
    w.resource_object(resource);
    w.raw(R"(,"scopeSpans":[{"scope":)");
    w.scope_object(scope);
    w.raw(R"(,"spans":[)");
    head = Head{provider, resource, scope, w.take()};
  }
  return head.text;
}

// Span positions, at most as many as there are spans, in room the caller gives.
class PositionList {
 public:
  explicit PositionList(std::size_t* room) noexcept : room_(room) {}
  void push_back(std::size_t i) noexcept { room_[size_++] = i; }
  void clear() noexcept { size_ = 0; }
  void shrink(std::size_t size) noexcept { size_ = std::min(size_, size); }
  std::size_t size() const noexcept { return size_; }
  std::size_t operator[](std::size_t k) const noexcept { return room_[k]; }
  std::size_t* begin() noexcept { return room_; }
  std::size_t* end() noexcept { return room_ + size_; }

 private:
  std::size_t* room_;
  std::size_t size_ = 0;
};

void add_reason(std::string& reason, std::string_view text) {
  if (!reason.empty()) reason += "; ";
  reason += text;
}

}  // namespace

bool should_redact_key(std::string_view key, const Redaction& redaction) {
  CurationOptions options{.redaction = redaction};
  CurationReport report;
  Curator curator(options, report);
  return curator.key_denied(key);
}

bool should_redact_value(std::string_view key, std::string_view value, const Redaction& redaction) {
  CurationOptions options{.redaction = redaction};
  CurationReport report;
  return Curator(options, report).value_denied(key, value);
}

json::object CurationReport::to_json() const {
  json::object o;
  o.emplace("detailed", detailed);
  o.emplace("droppedSpanCount", dropped_span_count);
  o.emplace("redactedAttributeCount", redacted_attribute_count);
  o.emplace("truncatedAttributeCount", truncated_attribute_count);
  if (!reason.empty()) o.emplace("reason", reason);
  return o;
}

void CurationReport::append_json(std::string& out) const {
  // Appended in place: `out` is the curated text, with room left for this (no writer of its own,
  // which would size the whole room and take it back). The members up to the reason are made on
  // the stack and appended at once (an append each would check the room and call memcpy).
  char members[192];  // the four members' names, a boolean and three 20-digit numbers at most
  char* p = members;
  auto put = [&p](std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  auto number = [&p](std::size_t n) { p = std::to_chars(p, p + 20, n).ptr; };
  put(detailed ? R"({"detailed":true)" : R"({"detailed":false)");
  put(R"(,"droppedSpanCount":)");
  number(dropped_span_count);
  put(R"(,"redactedAttributeCount":)");
  number(redacted_attribute_count);
  put(R"(,"truncatedAttributeCount":)");
  number(truncated_attribute_count);
  out.append(members, p);
  if (!reason.empty()) {
    out += R"(,"reason":)";
    const std::size_t used = out.size();
    out.resize(used + reason.size() * 6 + 2);  // every byte escaped at worst
    out.resize(otlp_json::JsonWriter::put_str(out.data() + used, reason) - out.data());
  }
  out += '}';
}

namespace {

// The curation of both curate_to_otlp_json_string, on spans wherever they are.
std::string curate_spans(std::span<SpanData* const> spans, const SpanId& root,
                         const Resource& resource, const InstrumentationScope& scope,
                         std::uint64_t provider, const CurationOptions& options,
                         CurationReport* report_out) {
  CurationReport report;
  const std::size_t total = spans.size();
  const bool detailed = options.detailed && options.allow_detailed;
  report.detailed = detailed;
  if (options.detailed && !options.allow_detailed)
    add_reason(report.reason, "detailed passback is disabled by server policy; top level only");

  // The depths, the walk up and the selection below hold a span's worth each: on the stack for
  // a request's usual few spans, on the heap otherwise.
  constexpr std::size_t kOnStack = 64;
  const std::size_t n = spans.size();
  long depth_on_stack[kOnStack];
  std::size_t lists_on_stack[2 * kOnStack];
  std::unique_ptr<long[]> depth_on_heap;
  std::unique_ptr<std::size_t[]> lists_on_heap;
  long* depth = depth_on_stack;
  std::size_t* lists = lists_on_stack;
  if (n > kOnStack) {
    depth_on_heap = std::make_unique_for_overwrite<long[]>(n);
    lists_on_heap = std::make_unique_for_overwrite<std::size_t[]>(2 * n);
    depth = depth_on_heap.get();
    lists = lists_on_heap.get();
  }

  // Span id -> the first span with it. A request's usual few spans are looked through in turn;
  // more get an index of sorted (id, position) pairs.
  constexpr std::size_t kLookedThrough = 16;
  std::size_t root_index = SIZE_MAX;
  const std::uint64_t root_key = id_key(root);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (id_key(spans[i]->span_id) == root_key) {
      root_index = i;
      break;
    }
  }
  std::vector<std::pair<std::uint64_t, std::size_t>> index;
  if (spans.size() > kLookedThrough) {
    index.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) index.emplace_back(id_key(spans[i]->span_id), i);
    std::sort(index.begin(), index.end());
  }
  auto find_span = [&index, &spans, root_key, root_index](const SpanId& id) -> std::size_t {
    const std::uint64_t key = id_key(id);
    if (key == root_key && root_index != SIZE_MAX) return root_index;  // most spans' parent
    if (index.empty()) {
      for (std::size_t i = 0; i < spans.size(); ++i)
        if (id_key(spans[i]->span_id) == key) return i;
      return SIZE_MAX;
    }
    auto it = std::lower_bound(index.begin(), index.end(), std::pair{key, std::size_t{0}});
    return it != index.end() && it->first == key ? it->second : SIZE_MAX;
  };
  report.root_found = root_index != SIZE_MAX;
  constexpr long kUnknown = -2, kOutside = -1, kVisiting = -3;
  std::fill(depth, depth + n, kUnknown);
  PositionList chain(lists);  // a walk up never holds more than every span
  for (std::size_t i = 0; i < spans.size(); ++i) {
    std::size_t j = i;
    chain.clear();
    long base = kOutside;
    // Walk up until a known depth, the root, a missing parent, or a cycle.
    while (true) {
      if (depth[j] == kVisiting) break;  // a cycle (hostile or corrupt input): outside
      if (depth[j] != kUnknown) {
        base = depth[j];
        break;
      }
      if (j == root_index) {
        depth[j] = 0;
        base = 0;
        break;
      }
      std::size_t parent =
          spans[j]->parent_span_id.is_valid() ? find_span(spans[j]->parent_span_id) : SIZE_MAX;
      if (parent == SIZE_MAX || parent == j) {
        // A top-level span: outside the tree when the root is known, a root of its own if not.
        if (root_index == SIZE_MAX) {
          depth[j] = 0;
          base = 0;
        }
        break;
      }
      depth[j] = kVisiting;
      chain.push_back(j);
      j = parent;
    }
    for (std::size_t k = chain.size(); k-- > 0;) {
      base = base == kOutside ? kOutside : base + 1;
      depth[chain[k]] = base;
    }
  }
  if (!report.root_found && !spans.empty())
    add_reason(report.reason, "root span not found; top-level spans used as roots");

  // Selection, in priority order: the root first, then by depth, then by start time. Only the
  // root has depth 0 when it is known. The recorder holds a request's spans in the order they
  // ended (the root last, its children in turn): the rest is then often in order already.
  PositionList order(lists + n);
  if (root_index != SIZE_MAX) order.push_back(root_index);
  std::size_t outside = 0, filtered = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (depth[i] < 0) {
      ++outside;
    } else if (!detailed && depth[i] > 1) {
      ++filtered;
    } else if (i != root_index) {
      order.push_back(i);
    }
  }
  auto before = [&](std::size_t a, std::size_t b) {
    if (depth[a] != depth[b]) return depth[a] < depth[b];
    if (spans[a]->start_time_unix_nano != spans[b]->start_time_unix_nano)
      return spans[a]->start_time_unix_nano < spans[b]->start_time_unix_nano;
    return a < b;
  };
  const auto rest = order.begin() + (root_index != SIZE_MAX ? 1 : 0);
  if (!std::is_sorted(rest, order.end(), before)) std::sort(rest, order.end(), before);
  report.filtered_span_count = filtered;
  if (outside) add_reason(report.reason, "spans outside the request's tree left out");
  std::size_t max_spans = std::max<std::size_t>(options.max_spans, 1);
  std::size_t over_count = 0;
  if (order.size() > max_spans) {
    over_count = order.size() - max_spans;
    order.shrink(max_spans);
    report.truncated = true;
    add_reason(report.reason, "span count limit " + std::to_string(max_spans));
  }

  // Redact and bound each kept span, write it, and stop at the byte bound: the bound is on the
  // text itself (resource, scope, framing and spans), each span measured as it is written and
  // taken back when it does not fit.
  Curator curator(options, report);
  // Room for the passback framing and policy report appended next (a second allocation and
  // copy of the whole text otherwise).
  constexpr std::size_t kTail = 256;
  // Written into a spare text of this thread: the answer that carries it gives its room back
  // when it is gone (jsonrpc::RawText), so a warm call makes no large allocation.
  otlp_json::JsonWriter w{json::take_spare_text(512 + order.size() * 640 + kTail),
                          otlp_json::JsonWriter::ReuseRoom{}};
  w.raw(head_text(resource, scope, provider));
  constexpr std::string_view kClose = "]}]}]}";
  std::size_t bytes = w.size() + kClose.size();
  std::size_t over_bytes = 0, kept = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    SpanData& s = *spans[order[k]];
    curator.span(s);
    const std::size_t mark = w.size();
    if (kept) w.put(',');
    w.span(s);
    std::size_t size = w.size() - mark;  // with its separator
    if (bytes + size > options.max_bytes) {
      w.truncate(mark);
      if (k == 0) {
        // The first span (the root) always goes out: shed its events, links, attributes.
        std::size_t shed = s.events.size() + s.links.size() + s.attributes.size();
        s.dropped_events_count += static_cast<std::uint32_t>(s.events.size());
        s.dropped_links_count += static_cast<std::uint32_t>(s.links.size());
        s.dropped_attributes_count += static_cast<std::uint32_t>(s.attributes.size());
        s.events.clear();
        s.links.clear();
        s.attributes.clear();
        report.truncated_attribute_count += shed;
        w.span(s);
        size = w.size() - mark;
      } else {
        over_bytes = order.size() - k;
        break;
      }
    }
    bytes += size;
    ++kept;
  }
  w.raw(kClose);
  if (over_bytes) {
    report.truncated = true;
    add_reason(report.reason, "byte limit " + std::to_string(options.max_bytes));
  }
  if (!detailed && filtered && !(options.detailed && !options.allow_detailed))
    add_reason(report.reason, "top level only (detailed not requested)");

  report.kept_span_count = kept;
  report.dropped_span_count = total - kept;
  (void)over_count;
  if (report_out) *report_out = std::move(report);
  w.reserve(kTail);
  return w.take();
}

}  // namespace

std::string curate_to_otlp_json_string(std::vector<SpanData> spans, const SpanId& root,
                                       const Resource& resource, const InstrumentationScope& scope,
                                       const CurationOptions& options, CurationReport* report_out) {
  constexpr std::size_t kOnStack = 64;
  SpanData* on_stack[kOnStack];
  std::unique_ptr<SpanData*[]> on_heap;
  SpanData** at = on_stack;
  if (spans.size() > kOnStack) {
    on_heap = std::make_unique_for_overwrite<SpanData*[]>(spans.size());
    at = on_heap.get();
  }
  for (std::size_t i = 0; i < spans.size(); ++i) at[i] = &spans[i];
  std::string text = curate_spans(std::span<SpanData* const>(at, spans.size()), root, resource,
                                  scope, 0, options, report_out);
  span_pool::give_back(spans);  // the next request's spans reuse their storage
  return text;
}

std::string curate_to_otlp_json_string(RecordedSpans spans, const SpanId& root,
                                       const TracerProvider& provider,
                                       const CurationOptions& options, CurationReport* report_out) {
  // `spans`, destroyed once this returns, goes back to this thread for the next request's spans.
  return curate_spans(spans.spans(), root, provider.resource(), provider.scope(), provider.serial(),
                      options, report_out);
}

json::object curate_to_otlp_json(std::vector<SpanData> spans, const SpanId& root,
                                 const Resource& resource, const InstrumentationScope& scope,
                                 const CurationOptions& options, CurationReport* report_out,
                                 boost::json::storage_ptr sp) {
  std::string text =
      curate_to_otlp_json_string(std::move(spans), root, resource, scope, options, report_out);
  json::value tree = boost::json::parse(text, std::move(sp));
  return std::move(tree.get_object());
}

}  // namespace glassbox::trace
