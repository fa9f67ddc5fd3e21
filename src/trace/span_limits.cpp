// Limits for spans that come from elsewhere (span_limits.hpp): length cuts, UTF-8 repair, counts.
#include "glassbox/trace/span_limits.hpp"

namespace glassbox::trace {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (RFC 3629).
std::size_t valid_sequence(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

std::size_t repair_value(AttributeValue& value) {
  std::size_t repaired = 0;
  if (auto* s = std::get_if<std::string>(&value.value)) {
    repaired += repair_utf8(*s);
  } else if (auto* a = std::get_if<ArrayValue>(&value.value)) {
    for (auto& v : a->values) repaired += repair_value(v);
  } else if (auto* k = std::get_if<KvlistValue>(&value.value)) {
    for (auto& kv : k->values) {
      repaired += repair_utf8(kv.key);
      repaired += repair_value(kv.value);
    }
  }
  return repaired;
}

// One text of the span: repaired, then cut (repair may lengthen it: 1 bad byte -> 3).
void bound_text(std::string& s, std::size_t max, SpanLimitCounts& counts) {
  counts.repaired_strings += repair_utf8(s);
  counts.cut_values += cut_utf8(s, max);
}

}  // namespace

bool cut_utf8(std::string& s, std::size_t max) noexcept {
  if (s.size() <= max) return false;
  std::size_t n = max;
  // Step back over continuation bytes so that a multi-byte character is not split.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return true;
}

bool repair_utf8(std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {  // the common case: valid, nothing copied
    std::size_t n = valid_sequence(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s.size()) return false;
  std::string out(s, 0, i);
  out.reserve(s.size() + 16);
  while (i < s.size()) {
    std::size_t n = valid_sequence(s, i);
    if (n > 0) {
      out.append(s, i, n);
      i += n;
      continue;
    }
    // One U+FFFD per maximal invalid prefix: the lead byte and the continuations after it.
    out.append(kReplacement);
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 &&
           valid_sequence(s, i) == 0) {
      ++i;
    }
  }
  s = std::move(out);
  return true;
}

std::size_t limit_value(AttributeValue& value, std::size_t max_length) noexcept {
  std::size_t cut = 0;
  if (auto* s = std::get_if<std::string>(&value.value)) {
    cut += cut_utf8(*s, max_length);
  } else if (auto* b = std::get_if<BytesValue>(&value.value)) {
    if (b->data.size() > max_length) {
      b->data.resize(max_length);
      ++cut;
    }
  } else if (auto* a = std::get_if<ArrayValue>(&value.value)) {
    for (auto& v : a->values) cut += limit_value(v, max_length);
  } else if (auto* k = std::get_if<KvlistValue>(&value.value)) {
    for (auto& kv : k->values) cut += limit_value(kv.value, max_length);
  }
  return cut;
}

SpanLimitCounts& SpanLimitCounts::operator+=(const SpanLimitCounts& other) noexcept {
  cut_values += other.cut_values;
  repaired_strings += other.repaired_strings;
  dropped_attributes += other.dropped_attributes;
  dropped_events += other.dropped_events;
  dropped_links += other.dropped_links;
  return *this;
}

SpanLimitCounts enforce_attribute_limits(Attributes& attributes, std::size_t max_count,
                                         std::size_t max_length) {
  SpanLimitCounts counts;
  if (attributes.size() > max_count) {
    counts.dropped_attributes = attributes.size() - max_count;
    attributes.resize(max_count);
  }
  for (auto& kv : attributes) {
    bound_text(kv.key, max_length, counts);
    counts.repaired_strings += repair_value(kv.value);
    counts.cut_values += limit_value(kv.value, max_length);
  }
  return counts;
}

SpanLimitCounts enforce_span_limits(SpanData& span, const SpanLimits& limits) {
  const std::size_t length = limits.max_attribute_value_length;
  auto add_dropped = [](std::uint32_t& field, std::size_t n) {
    std::uint64_t sum = std::uint64_t{field} + n;
    field = sum > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(sum);
  };
  SpanLimitCounts counts = enforce_attribute_limits(span.attributes, limits.max_attributes, length);
  add_dropped(span.dropped_attributes_count, counts.dropped_attributes);
  bound_text(span.name, length, counts);
  bound_text(span.status_message, length, counts);
  bound_text(span.trace_state, length, counts);
  if (span.events.size() > limits.max_events) {
    counts.dropped_events = span.events.size() - limits.max_events;
    span.events.resize(limits.max_events);
    add_dropped(span.dropped_events_count, counts.dropped_events);
  }
  for (auto& event : span.events) {
    bound_text(event.name, length, counts);
    SpanLimitCounts c =
        enforce_attribute_limits(event.attributes, limits.max_attributes_per_event, length);
    add_dropped(event.dropped_attributes_count, c.dropped_attributes);
    c.dropped_attributes = 0;  // the span's own count is of its own attributes
    counts += c;
  }
  if (span.links.size() > limits.max_links) {
    counts.dropped_links = span.links.size() - limits.max_links;
    span.links.resize(limits.max_links);
    add_dropped(span.dropped_links_count, counts.dropped_links);
  }
  for (auto& link : span.links) {
    bound_text(link.context.tracestate, length, counts);
    SpanLimitCounts c =
        enforce_attribute_limits(link.attributes, limits.max_attributes_per_link, length);
    add_dropped(link.dropped_attributes_count, c.dropped_attributes);
    c.dropped_attributes = 0;
    counts += c;
  }
  return counts;
}

}  // namespace glassbox::trace
