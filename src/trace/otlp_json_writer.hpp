// The OTLP JSON direct writer: spans, resources and scopes straight to JSON text, the same text
// serialize() of the tree encoder (otlp_json.cpp) gives (same members, same order; doubles in
// shortest round-trip form), with no tree and no allocation per node: it writes through a
// cursor into a buffer sized ahead, so a member costs a bounds check and a copy. Its users: the
// streaming encoder (otlp_json_stream.cpp) and passback curation (curate.cpp), which measures each
// span's size as it writes it. Private to src/trace.
//
// Threads: a value; one thread at a time.
#pragma once

#include "glassbox/trace/otlp.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace glassbox::trace::otlp_json {

class JsonWriter {
 public:
  explicit JsonWriter(std::string start = {}) : JsonWriter(std::move(start), start_of_text) {}
  // Writes from the first byte of `room` (a buffer from release()), overwriting what it holds.
  struct ReuseRoom {};
  JsonWriter(std::string room, ReuseRoom) : JsonWriter(std::move(room), 0) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

 private:
  static constexpr std::size_t start_of_text = static_cast<std::size_t>(-1);
  JsonWriter(std::string buf, std::size_t used) : buf_(std::move(buf)) {
    if (used == start_of_text) used = buf_.size();
    buf_.resize(buf_.capacity());  // no allocation: room it already has
    at_ = buf_.data() + used;
    end_ = buf_.data() + buf_.size();
  }

 public:
  // Bytes written so far; truncate() takes back what came after a size() mark.
  std::size_t size() const noexcept { return static_cast<std::size_t>(at_ - buf_.data()); }
  void truncate(std::size_t size) noexcept { at_ = buf_.data() + size; }
  void reserve(std::size_t n) { ensure(n); }
  // The text written so far (valid until the next write).
  std::string_view view() const noexcept { return {buf_.data(), size()}; }
  // The whole buffer at its full size, leaving the writer empty: a later writer given it
  // writes into that room without zero-filling or growing it again.
  std::string release() {
    at_ = end_ = nullptr;
    return std::move(buf_);
  }
  // The text, leaving the writer empty.
  std::string take() {
    buf_.resize(size());
    at_ = end_ = nullptr;
    return std::move(buf_);
  }

  [[gnu::always_inline]] void put(char c) {
    ensure(1);
    *at_++ = c;
  }
  [[gnu::always_inline]] void raw(std::string_view s) {
    if (s.empty()) return;
    ensure(s.size());
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  void str(std::string_view s) {
    ensure(s.size() * 6 + 2);  // every byte escaped as \u00XX at worst
    char* p = at_;
    *p++ = '"';
    // Most strings (keys, names, ids) need no escape at all: one copy.
    const std::size_t plain = plain_prefix(s);
    if (plain == s.size()) {
      if (s.size() <= 16) {
        copy_short(p, s.data(), s.size());
      } else {
        std::memcpy(p, s.data(), s.size());
      }
      p += s.size();
      *p++ = '"';
      at_ = p;
      return;
    }
    std::size_t start = 0;
    for (std::size_t i = plain; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      std::memcpy(p, s.data() + start, i - start);
      p += i - start;
      *p++ = '\\';
      switch (c) {
        case '"':
          *p++ = '"';
          break;
        case '\\':
          *p++ = '\\';
          break;
        case '\n':
          *p++ = 'n';
          break;
        case '\r':
          *p++ = 'r';
          break;
        case '\t':
          *p++ = 't';
          break;
        case '\b':
          *p++ = 'b';
          break;
        case '\f':
          *p++ = 'f';
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char esc[5] = {'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          std::memcpy(p, esc, 5);
          p += 5;
        }
      }
      start = i + 1;
    }
    std::memcpy(p, s.data() + start, s.size() - start);
    p += s.size() - start;
    *p++ = '"';
    at_ = p;
  }
  // Copies n <= 16 bytes with fixed-size moves (two that may overlap) instead of a call to
  // memcpy: most keys, names and values are that short.
  static void copy_short(char* to, const char* from, std::size_t n) noexcept {
    if (n >= 8) {
      std::uint64_t head, tail;
      std::memcpy(&head, from, 8);
      std::memcpy(&tail, from + n - 8, 8);
      std::memcpy(to, &head, 8);
      std::memcpy(to + n - 8, &tail, 8);
    } else if (n >= 4) {
      std::uint32_t head, tail;
      std::memcpy(&head, from, 4);
      std::memcpy(&tail, from + n - 4, 4);
      std::memcpy(to, &head, 4);
      std::memcpy(to + n - 4, &tail, 4);
    } else if (n > 0) {
      const char first = from[0], middle = from[n / 2], last = from[n - 1];
      to[0] = first;
      to[n / 2] = middle;
      to[n - 1] = last;
    }
  }

  // The length of the start of `s` that JSON takes as it is (no control byte, quote or
  // backslash), checked eight bytes at a time.
  static std::size_t plain_prefix(std::string_view s) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    // Some byte below 0x20, or some byte zero after the xor (the classic "has less" test; it
    // may flag a clean word, which then goes through the byte loop below: never the reverse).
    auto flagged = [](std::uint64_t x) {
      const std::uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
      const std::uint64_t hit = ((x - kOnes * 0x20) & ~x) | ((quote - kOnes) & ~quote) |
                                ((backslash - kOnes) & ~backslash);
      return (hit & kHigh) != 0;
    };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      if (flagged(x)) break;
    }
    if (i < s.size() && i + 8 > s.size() && s.size() >= 8) {
      // The last 1 to 7 bytes: the word ending the string (overlapping the last one checked).
      std::uint64_t x;
      std::memcpy(&x, s.data() + s.size() - 8, 8);
      if (!flagged(x)) return s.size();
    }
    for (; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == '"' || c == '\\') break;
    }
    return i;
  }

  template <typename T>
  void number(T v) {
    ensure(32);
    at_ = decimal(at_, v);
  }
  template <typename T>
  void quoted_number(T v) {
    ensure(34);
    *at_++ = '"';
    at_ = decimal(at_, v);
    *at_++ = '"';
  }

  // The decimal digits of `v` at `out` (up to 20 bytes), the end returned. A 64-bit integer of
  // more than 8 digits (the timestamps: 19) is cut into 8-digit groups written two digits at a
  // time, without to_chars' digit count and its loop; the rest goes to to_chars.
  template <typename T>
  static char* decimal(char* out, T v) {
    if constexpr (std::is_integral_v<T> && sizeof(T) == 8) {
      std::uint64_t u;
      if constexpr (std::is_signed_v<T>) {
        if (v < 0) {
          *out++ = '-';
          u = 0 - static_cast<std::uint64_t>(v);
        } else {
          u = static_cast<std::uint64_t>(v);
        }
      } else {
        u = v;
      }
      constexpr std::uint64_t k8 = 100000000, k16 = k8 * k8;
      if (u < k8) return std::to_chars(out, out + 8, static_cast<std::uint32_t>(u)).ptr;
      if (u < k16) {
        out = std::to_chars(out, out + 8, static_cast<std::uint32_t>(u / k8)).ptr;
        return eight_digits(out, static_cast<std::uint32_t>(u % k8));
      }
      out = std::to_chars(out, out + 4, static_cast<std::uint32_t>(u / k16)).ptr;
      const std::uint64_t rest = u % k16;
      out = eight_digits(out, static_cast<std::uint32_t>(rest / k8));
      return eight_digits(out, static_cast<std::uint32_t>(rest % k8));
    } else {
      return std::to_chars(out, out + 32, v).ptr;
    }
  }
  // Exactly eight digits of `v` (below 10^8), leading zeros kept.
  static char* eight_digits(char* out, std::uint32_t v) noexcept {
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    const std::uint32_t high = v / 10000, low = v % 10000;
    std::memcpy(out, kPairs + 2 * (high / 100), 2);
    std::memcpy(out + 2, kPairs + 2 * (high % 100), 2);
    std::memcpy(out + 4, kPairs + 2 * (low / 100), 2);
    std::memcpy(out + 6, kPairs + 2 * (low % 100), 2);
    return out + 8;
  }
  template <std::size_t N>
  void id(const Id<N>& id) {
    ensure(2 * N + 2);
    at_[0] = at_[2 * N + 1] = '"';
    id.to_hex(at_ + 1);
    at_ += 2 * N + 2;
  }

  void any_value(const AttributeValue& value) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            raw(R"({"stringValue":)");
            str(v);
          } else if constexpr (std::is_same_v<T, bool>) {
            raw(v ? R"({"boolValue":true)" : R"({"boolValue":false)");
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            raw(R"({"intValue":)");
            quoted_number(v);
          } else if constexpr (std::is_same_v<T, double>) {
            raw(R"({"doubleValue":)");
            if (std::isnan(v))
              raw(R"("NaN")");
            else if (std::isinf(v))
              raw(v > 0 ? R"("Infinity")" : R"("-Infinity")");
            else
              number(v);
          } else if constexpr (std::is_same_v<T, ArrayValue>) {
            raw(R"({"arrayValue":{"values":[)");
            for (std::size_t i = 0; i < v.values.size(); ++i) {
              if (i) put(',');
              any_value(v.values[i]);
            }
            raw("]}");
          } else if constexpr (std::is_same_v<T, KvlistValue>) {
            raw(R"({"kvlistValue":{"values":)");
            attributes(v.values);
            raw("}");
          } else if constexpr (std::is_same_v<T, BytesValue>) {
            raw(R"({"bytesValue":)");
            str(base64_encode(v.data));
          } else {
            put('{');
          }
        },
        value.value);
    put('}');
  }

  void attributes(const Attributes& attributes) {
    put('[');
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      if (i) put(',');
      raw(R"({"key":)");
      str(attributes[i].key);
      raw(R"(,"value":)");
      any_value(attributes[i].value);
      put('}');
    }
    put(']');
  }

  // [a,b,...], each element written by `write`.
  template <typename List, typename Write>
  void list(const List& items, Write write) {
    put('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) put(',');
      write(items[i]);
    }
    put(']');
  }

  // ,"attributes":[...] when there are any, then droppedAttributesCount when not zero.
  void attributes_member(const Attributes& list, std::uint32_t dropped) {
    if (!list.empty()) {
      raw(R"(,"attributes":)");
      attributes(list);
    }
    count("droppedAttributesCount", dropped);
  }

  void span(const SpanData& s) {
    raw(R"({"traceId":)");
    id(s.trace_id);
    raw(R"(,"spanId":)");
    id(s.span_id);
    if (!s.trace_state.empty()) {
      raw(R"(,"traceState":)");
      str(s.trace_state);
    }
    if (s.parent_span_id.is_valid()) {
      raw(R"(,"parentSpanId":)");
      id(s.parent_span_id);
    }
    raw(R"(,"name":)");
    str(s.name);
    raw(R"(,"kind":)");
    number(static_cast<int>(s.kind));
    raw(R"(,"startTimeUnixNano":)");
    quoted_number(s.start_time_unix_nano);
    raw(R"(,"endTimeUnixNano":)");
    quoted_number(s.end_time_unix_nano);
    attributes_member(s.attributes, s.dropped_attributes_count);
    if (!s.events.empty()) {
      raw(R"(,"events":)");
      list(s.events, [&](const Event& e) {
        raw(R"({"timeUnixNano":)");
        quoted_number(e.time_unix_nano);
        raw(R"(,"name":)");
        str(e.name);
        attributes_member(e.attributes, e.dropped_attributes_count);
        put('}');
      });
    }
    count("droppedEventsCount", s.dropped_events_count);
    if (!s.links.empty()) {
      raw(R"(,"links":)");
      list(s.links, [&](const Link& l) {
        raw(R"({"traceId":)");
        id(l.context.trace_id);
        raw(R"(,"spanId":)");
        id(l.context.span_id);
        if (!l.context.tracestate.empty()) {
          raw(R"(,"traceState":)");
          str(l.context.tracestate);
        }
        attributes_member(l.attributes, l.dropped_attributes_count);
        put('}');
      });
    }
    count("droppedLinksCount", s.dropped_links_count);
    raw(R"(,"status":{)");
    if (!s.status_message.empty()) {
      raw(R"("message":)");
      str(s.status_message);
      put(',');
    }
    raw(R"("code":)");
    number(static_cast<int>(s.status_code));
    raw("}}");
  }

  void count(std::string_view name, std::uint32_t n) {
    if (n == 0) return;
    raw(",\"");
    raw(name);
    raw("\":");
    number(n);
  }

  // {"attributes":[...]} (and droppedAttributesCount), as resource_to_otlp_json has it.
  void resource_object(const Resource& resource) {
    raw(R"({"attributes":)");
    attributes(resource.attributes);
    count("droppedAttributesCount", resource.dropped_attributes_count);
    put('}');
  }

  // {"name":...,"version":...,"attributes":[...]}, as scope_to_otlp_json has it.
  void scope_object(const InstrumentationScope& scope) {
    raw(R"({"name":)");
    str(scope.name);
    if (!scope.version.empty()) {
      raw(R"(,"version":)");
      str(scope.version);
    }
    attributes_member(scope.attributes, 0);
    put('}');
  }

  void resource_spans(const Resource& resource, const InstrumentationScope& scope,
                      std::span<const SpanData> spans, std::string_view resource_schema,
                      std::string_view scope_schema, bool first_scope, bool last_scope) {
    if (first_scope) {
      raw(R"({"resource":)");
      resource_object(resource);
      raw(R"(,"scopeSpans":[)");
    } else {
      put(',');
    }
    raw(R"({"scope":)");
    scope_object(scope);
    raw(R"(,"spans":[)");
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (i) put(',');
      span(spans[i]);
    }
    put(']');
    if (!scope_schema.empty()) {
      raw(R"(,"schemaUrl":)");
      str(scope_schema);
    }
    put('}');
    if (last_scope) {
      put(']');
      if (!resource_schema.empty()) {
        raw(R"(,"schemaUrl":)");
        str(resource_schema);
      }
      put('}');
    }
  }

 private:
  // Room for `n` more bytes: the buffer is sized ahead (its bytes are overwritten, never
  // appended one by one), and the text is cut to size() when taken.
  [[gnu::always_inline]] void ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - at_) < n) [[unlikely]]
      grow(n);
  }
  [[gnu::noinline]] void grow(std::size_t n) {
    std::size_t used = size();
    buf_.resize(std::max(buf_.size() * 2, used + n + 256));
    at_ = buf_.data() + used;
    end_ = buf_.data() + buf_.size();
  }

  std::string buf_;
  char* at_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace glassbox::trace::otlp_json
