// Limits for spans that come from elsewhere (a collector's ingest): the S12 bounds of
// SpanLimits applied to finished SpanData, length cuts that keep UTF-8 whole, and UTF-8 repair.
// Pure functions on values: any thread.
#pragma once

#include "glassbox/trace/span_data.hpp"

#include <cstddef>
#include <string>

namespace glassbox::trace {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 character; true when it cut.
bool cut_utf8(std::string& s, std::size_t max) noexcept;
// Replaces each invalid UTF-8 sequence of `s` (a stray continuation byte, an overlong form, a
// surrogate, a truncated sequence, a byte C0, C1 or F5-FF) with U+FFFD; true when it replaced.
bool repair_utf8(std::string& s);
// Cuts the string and bytes values in `value`, nested ones included, to `max_length`;
// returns how many it cut.
std::size_t limit_value(AttributeValue& value, std::size_t max_length) noexcept;

// What enforce_span_limits changed: the dropped counts also go into the span's
// dropped_*_count; cut values and repaired strings have no OTLP field and are only reported.
struct SpanLimitCounts {
  std::size_t cut_values = 0;        // attribute values (and names) cut to the length limit
  std::size_t repaired_strings = 0;  // texts whose invalid UTF-8 was replaced
  std::size_t dropped_attributes = 0;
  std::size_t dropped_events = 0;
  std::size_t dropped_links = 0;
  SpanLimitCounts& operator+=(const SpanLimitCounts& other) noexcept;
};

// S12 applied to spans received from elsewhere (the collector's ingest): at most
// max_attributes / max_events / max_links (the rest dropped and counted), events' and links'
// attributes bounded the same, every string and bytes value, key and name cut to
// max_attribute_value_length, and every text made valid UTF-8 (repair_utf8).
SpanLimitCounts enforce_span_limits(SpanData& span, const SpanLimits& limits);
// The same for one attribute list (a resource's, a scope's): count, length and UTF-8.
SpanLimitCounts enforce_attribute_limits(Attributes& attributes, std::size_t max_count,
                                         std::size_t max_length);

}  // namespace glassbox::trace
