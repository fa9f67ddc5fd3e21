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
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace glassbox::trace::otlp_json {

class JsonWriter {
 public:
  explicit JsonWriter(std::string start = {}) : JsonWriter(std::move(start), start_of_text) {}
  // Writes from the first byte of `room` (json::take_spare_text's), overwriting what it holds.
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
    at_ = put_str(at_, s);
  }
  // `s` as a JSON string at `p` (room for 6 * size + 2 bytes checked by the caller), the end
  // returned.
  [[gnu::always_inline]] static char* put_str(char* p, std::string_view s) {
    // Most strings (keys, names, values) are short and need no escape at all: one copy.
    if (s.size() <= 16 && s.size() >= 4 && !short_needs_escape(s)) {
      *p++ = '"';
      copy_short(p, s.data(), s.size());
      p += s.size();
      *p++ = '"';
      return p;
    }
#if defined(__SSE2__)
    // Most longer keys ("gen_ai.operation.name", "mcp.protocol.version") are at most 32 bytes:
    // two 16-byte words that may overlap, checked and copied at once.
    if (s.size() > 16 && s.size() <= 32) {
      const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data()));
      const __m128i tail =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + s.size() - 16));
      if (_mm_movemask_epi8(_mm_or_si128(special_lanes(head), special_lanes(tail))) == 0) {
        *p++ = '"';
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), head);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + s.size() - 16), tail);
        p += s.size();
        *p++ = '"';
        return p;
      }
    }
#endif
    return put_any_str(p, s);
  }
  [[gnu::noinline]] static char* put_any_str(char* p, std::string_view s) {
    *p++ = '"';
    const std::size_t plain = plain_prefix(s);
    if (plain == s.size()) {
      std::memcpy(p, s.data(), s.size());
      p += s.size();
      *p++ = '"';
      return p;
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
    return p;
  }
  // The bytes of a string of 4 to 16 bytes, as two words that may overlap: whether one of them
  // is a control byte, quote or backslash (may say yes for a clean one, never the reverse).
  static bool short_needs_escape(std::string_view s) noexcept {
    std::uint64_t head, tail;
    if (s.size() >= 8) {
      std::memcpy(&head, s.data(), 8);
      std::memcpy(&tail, s.data() + s.size() - 8, 8);
    } else {
      std::uint32_t h, t;
      std::memcpy(&h, s.data(), 4);
      std::memcpy(&t, s.data() + s.size() - 4, 4);
      head = h | (std::uint64_t{t} << 32);
      tail = head;
    }
#if defined(__SSE2__)
    // Both words at once: sixteen bytes compared with a quote, a backslash and 0x1F.
    const __m128i x = _mm_set_epi64x(static_cast<long long>(tail), static_cast<long long>(head));
    return _mm_movemask_epi8(special_lanes(x)) != 0;
#else
    return (special_bytes(head) | special_bytes(tail)) != 0;
#endif
  }
#if defined(__SSE2__)
  // 0xFF in each lane of `x` that holds a control byte, a quote or a backslash.
  static __m128i special_lanes(__m128i x) noexcept {
    const __m128i control = _mm_set1_epi8(0x1f);
    return _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, control), control),
                        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
  }
#endif
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

  // The high bit of each byte of `x` that is below 0x20, a quote or a backslash, and maybe of
  // some others after one of those (the classic "has less" test: it may flag a clean word,
  // which then goes through the byte loop; never the reverse).
  static std::uint64_t special_bytes(std::uint64_t x) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    const std::uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
    return (((x - kOnes * 0x20) & ~x) | ((quote - kOnes) & ~quote) |
            ((backslash - kOnes) & ~backslash)) &
           kHigh;
  }

  // The length of the start of `s` that JSON takes as it is (no control byte, quote or
  // backslash), checked eight bytes at a time.
  static std::size_t plain_prefix(std::string_view s) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      if (special_bytes(x)) break;
    }
    if (i < s.size() && i + 8 > s.size() && s.size() >= 8) {
      // The last 1 to 7 bytes: the word ending the string (overlapping the last one checked).
      std::uint64_t x;
      std::memcpy(&x, s.data() + s.size() - 8, 8);
      if (!special_bytes(x)) return s.size();
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
  // Exactly eight digits of `v` (below 10^8), leading zeros kept: split in lanes of one word
  // (two of four digits, four of two, eight of one), each lane's quotient and remainder found
  // at once by a multiply and shift that divides exactly in that range.
  static char* eight_digits(char* out, std::uint32_t v) noexcept {
    const std::uint64_t fours = (v / 10000) | (std::uint64_t{v % 10000} << 32);
    const std::uint64_t hundreds = ((fours * 10486) >> 20) & 0x0000007F0000007Full;  // /100
    const std::uint64_t twos = hundreds | ((fours - hundreds * 100) << 16);
    const std::uint64_t tens = ((twos * 103) >> 10) & 0x000F000F000F000Full;  // /10
    std::uint64_t digits = (tens | ((twos - tens * 10) << 8)) | 0x3030303030303030ull;
    if constexpr (std::endian::native == std::endian::big) digits = __builtin_bswap64(digits);
    std::memcpy(out, &digits, 8);
    return out + 8;
  }
  // A timestamp's digits at `p` (up to 20 bytes, as decimal() writes them), the end returned.
  // The spans of one request start and end within a second or so of each other: their
  // timestamps share all but their last eight digits, which are written once and copied after.
  char* timestamp(char* p, std::uint64_t u) noexcept {
    constexpr std::uint64_t k8 = 100000000;
    const std::uint64_t high = u / k8;
    if (high == 0) return decimal(p, u);  // no leading digits to share (and no zeros to pad)
    if (high != stamp_high_) {
      stamp_high_ = high;
      stamp_size_ = static_cast<std::uint8_t>(decimal(stamp_digits_, high) - stamp_digits_);
    }
    // A fixed 16-byte copy: the bytes past the digits are overwritten next, inside the room of
    // a 20-digit number that the caller made.
    std::memcpy(p, stamp_digits_, sizeof stamp_digits_);
    return eight_digits(p + stamp_size_, static_cast<std::uint32_t>(u - high * k8));
  }
  template <std::size_t N>
  void id(const Id<N>& id) {
    ensure(2 * N + 2);
    at_ = put_id(at_, id);
  }
  // "<hex>" at `p` (2 * N + 2 bytes), the end returned.
  template <std::size_t N>
  static char* put_id(char* p, const Id<N>& id) noexcept {
    p[0] = p[2 * N + 1] = '"';
    id.to_hex(p + 1);
    return p + 2 * N + 2;
  }
  // The constant `s` at `p` (a copy of known size: a few moves), the end returned.
  template <std::size_t N>
  [[gnu::always_inline]] static char* lit(char* p, const char (&s)[N]) noexcept {
    std::memcpy(p, s, N - 1);
    return p + N - 1;
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
      const KeyValue& kv = attributes[i];
      // A string, integer or boolean value (nearly all of them) goes in the same room as its
      // key, made once; any other through any_value.
      const auto* text = std::get_if<std::string>(&kv.value.value);
      ensure(kAttributeRoom + 6 * (kv.key.size() + (text ? text->size() : 0)));
      char* p = at_;
      if (i) *p++ = ',';
      p = lit(p, R"({"key":)");
      p = put_str(p, kv.key);
      p = lit(p, R"(,"value":)");
      if (text) {
        p = lit(p, R"({"stringValue":)");
        p = put_str(p, *text);
        p = lit(p, "}}");
      } else if (const auto* n = std::get_if<std::int64_t>(&kv.value.value)) {
        p = lit(p, R"({"intValue":")");
        p = decimal(p, *n);
        p = lit(p, R"("}})");
      } else if (const auto* b = std::get_if<bool>(&kv.value.value)) {
        p = *b ? lit(p, R"({"boolValue":true}})") : lit(p, R"({"boolValue":false}})");
      } else {
        at_ = p;
        any_value(kv.value);
        put('}');
        continue;
      }
      at_ = p;
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
    // The members up to the attributes in one room made once, the status in another.
    ensure(kSpanHeadRoom + 6 * (s.trace_state.size() + s.name.size()));
    char* p = at_;
    p = lit(p, R"({"traceId":)");
    p = put_id(p, s.trace_id);
    p = lit(p, R"(,"spanId":)");
    p = put_id(p, s.span_id);
    if (!s.trace_state.empty()) {
      p = lit(p, R"(,"traceState":)");
      p = put_str(p, s.trace_state);
    }
    if (s.parent_span_id.is_valid()) {
      p = lit(p, R"(,"parentSpanId":)");
      p = put_id(p, s.parent_span_id);
    }
    p = lit(p, R"(,"name":)");
    p = put_str(p, s.name);
    p = lit(p, R"(,"kind":)");
    p = decimal(p, static_cast<int>(s.kind));
    p = lit(p, R"(,"startTimeUnixNano":")");
    p = timestamp(p, s.start_time_unix_nano);
    p = lit(p, R"(","endTimeUnixNano":")");
    p = timestamp(p, s.end_time_unix_nano);
    *p++ = '"';
    at_ = p;
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
    ensure(kStatusRoom + 6 * s.status_message.size());
    p = lit(at_, R"(,"status":{)");
    if (!s.status_message.empty()) {
      p = lit(p, R"("message":)");
      p = put_str(p, s.status_message);
      *p++ = ',';
    }
    p = lit(p, R"("code":)");
    p = decimal(p, static_cast<int>(s.status_code));
    at_ = lit(p, "}}");
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

  // Worst cases of what span() and attributes() write in one room, beside their strings'
  // 6 bytes per byte: a span's members up to its attributes (ids, two quoted timestamps, kind,
  // the names of the members), its status, and an attribute with a scalar value.
  static constexpr std::size_t kSpanHeadRoom = 320, kStatusRoom = 64, kAttributeRoom = 64;

  std::string buf_;
  char* at_ = nullptr;
  char* end_ = nullptr;
  // The digits of the last timestamp above its last eight (timestamp()): at most 12 of them.
  std::uint64_t stamp_high_ = 0;
  char stamp_digits_[16] = {};
  std::uint8_t stamp_size_ = 0;
};

}  // namespace glassbox::trace::otlp_json
