// W3C Trace Context (https://www.w3.org/TR/trace-context/): trace and span ids, the span context
// carried across process boundaries, traceparent/tracestate parsing and formatting, baggage
// validation, and the per-thread id generator.
//
// Threads: every type here is a plain value; every function is thread-safe (the id generator
// keeps its state per thread, so it never locks).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glassbox::trace {

// A fixed-size binary id (16 bytes for a trace, 8 for a span); all zero means invalid.
template <std::size_t N>
class Id {
 public:
  static constexpr std::size_t kSize = N;

  constexpr Id() noexcept = default;
  constexpr explicit Id(const std::array<std::uint8_t, N>& bytes) noexcept : bytes_(bytes) {}

  // Lowercase hex of exactly 2*N digits; nullopt on any other input (uppercase is rejected,
  // as W3C requires). An all-zero id parses (use is_valid() to reject it).
  static std::optional<Id> from_hex(std::string_view hex) noexcept;
  // The raw bytes, exactly N of them (the protobuf form); nullopt otherwise.
  static std::optional<Id> from_bytes(std::string_view bytes) noexcept;

  std::string to_hex() const;
  // Writes 2*N lowercase hex digits to out (no terminator).
  void to_hex(char* out) const noexcept;

  constexpr bool is_valid() const noexcept {
    for (auto b : bytes_)
      if (b != 0) return true;
    return false;
  }
  constexpr const std::array<std::uint8_t, N>& bytes() const noexcept { return bytes_; }
  std::string_view as_bytes() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), N};
  }

  friend constexpr bool operator==(const Id&, const Id&) noexcept = default;
  friend constexpr auto operator<=>(const Id&, const Id&) noexcept = default;

 private:
  std::array<std::uint8_t, N> bytes_{};
};

using TraceId = Id<16>;
using SpanId = Id<8>;

// Trace flags: only the sampled bit is defined by W3C level 1.
inline constexpr std::uint8_t kTraceFlagSampled = 0x01;

struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t flags = 0;
  std::string tracestate;  // validated W3C tracestate, or empty
  bool remote = false;     // true when it came from another process (traceparent)

  bool is_valid() const noexcept { return trace_id.is_valid() && span_id.is_valid(); }
  bool sampled() const noexcept { return (flags & kTraceFlagSampled) != 0; }
  friend bool operator==(const SpanContext&, const SpanContext&) = default;
};

// Parses a traceparent header value. Strict for version 00: exactly 55 characters
// "00-<32 hex>-<16 hex>-<2 hex>", lowercase hex only, trace id and span id not all zero.
// Version ff is invalid. A higher version (01..fe) is parsed leniently, as W3C asks of a
// version-00 parser: the first 55 characters must have the version-00 layout and, if more
// follow, the 56th must be '-'. Returns nullopt on any violation.
//
// The tracestate is validated separately (validate_tracestate): an invalid tracestate is
// dropped (empty in the result), it never invalidates the traceparent. The result has
// remote = true.
std::optional<SpanContext> parse_traceparent(std::string_view traceparent,
                                             std::string_view tracestate = {});

// "00-<trace id>-<span id>-<flags>", always version 00.
std::string format_traceparent(const SpanContext& context);

// W3C tracestate: at most 32 list members, each key=value with the W3C key grammar
// (lowercase simple key or tenant@system multi-tenant key) and value grammar (printable ASCII
// without ',' and '=', no trailing space), at most 512 characters in all. Empty members (",,")
// and optional whitespace around members are allowed. Returns the normalized list (members
// joined by ',', whitespace removed), or nullopt if invalid.
std::optional<std::string> validate_tracestate(std::string_view tracestate);

// W3C baggage is carried through as an opaque string; glassbox checks its size only.
inline constexpr std::size_t kMaxBaggageBytes = 8192;
inline bool is_valid_baggage(std::string_view baggage) noexcept {
  return baggage.size() <= kMaxBaggageBytes;
}

// Random, never-zero ids from a per-thread xoshiro256** generator seeded from
// std::random_device (and reseeded in a forked child, whose copy of the state would otherwise
// repeat the parent's ids).
TraceId generate_trace_id() noexcept;
SpanId generate_span_id() noexcept;

}  // namespace glassbox::trace
