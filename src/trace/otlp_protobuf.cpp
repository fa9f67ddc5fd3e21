// OTLP protobuf wire format (opentelemetry/proto/collector/trace/v1/trace_service.proto and the
// messages it uses), written and read by hand.
#include "glassbox/trace/otlp.hpp"

#include <cstring>

namespace glassbox::trace {
namespace {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Field numbers, from the .proto files.
namespace f {
// ExportTraceServiceRequest / TracesData
constexpr std::uint32_t kResourceSpans = 1;
// ResourceSpans
constexpr std::uint32_t kResource = 1, kScopeSpans = 2, kResourceSchemaUrl = 3;
// Resource
constexpr std::uint32_t kResourceAttributes = 1, kResourceDropped = 2;
// ScopeSpans
constexpr std::uint32_t kScope = 1, kSpans = 2, kScopeSchemaUrl = 3;
// InstrumentationScope
constexpr std::uint32_t kScopeName = 1, kScopeVersion = 2, kScopeAttributes = 3;
// Span
constexpr std::uint32_t kTraceId = 1, kSpanId = 2, kTraceState = 3, kParentSpanId = 4, kName = 5,
                        kKind = 6, kStart = 7, kEnd = 8, kAttributes = 9, kDroppedAttributes = 10,
                        kEvents = 11, kDroppedEvents = 12, kLinks = 13, kDroppedLinks = 14,
                        kStatus = 15, kFlags = 16;
// Span.Event
constexpr std::uint32_t kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDropped = 4;
// Span.Link
constexpr std::uint32_t kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4,
                        kLinkDropped = 5, kLinkFlags = 6;
// Status
constexpr std::uint32_t kStatusMessage = 2, kStatusCode = 3;
// KeyValue
constexpr std::uint32_t kKey = 1, kValue = 2;
// AnyValue
constexpr std::uint32_t kString = 1, kBool = 2, kInt = 3, kDouble = 4, kArray = 5, kKvlist = 6,
                        kBytes = 7;
// ArrayValue / KeyValueList
constexpr std::uint32_t kValues = 1;
}  // namespace f

// Appends to one string. A nested message reserves one byte for its length and, when it ends
// longer than 127 bytes, shifts its content to make room for the longer varint: cheaper than
// sizing every message twice, and the output is the canonical encoding.
class Writer {
 public:
  std::string out;

  void varint(std::uint64_t v) {
    char buf[10];
    int n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out.append(buf, static_cast<std::size_t>(n));
  }
  void tag(std::uint32_t field, WireType type) { varint(field << 3 | type); }
  void fixed64(std::uint32_t field, std::uint64_t v) {
    tag(field, kFixed64);
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out.append(buf, 8);
  }
  void uint_field(std::uint32_t field, std::uint64_t v) {  // proto3: zero is omitted
    if (v == 0) return;
    tag(field, kVarint);
    varint(v);
  }
  void bytes(std::uint32_t field, std::string_view s) {  // always written (oneof members)
    tag(field, kLen);
    varint(s.size());
    out.append(s);
  }
  void bytes_nonempty(std::uint32_t field, std::string_view s) {
    if (!s.empty()) bytes(field, s);
  }
  std::size_t begin(std::uint32_t field) {
    tag(field, kLen);
    out.push_back('\0');
    return out.size();
  }
  void end(std::size_t start) {
    std::size_t len = out.size() - start;
    if (len < 0x80) {
      out[start - 1] = static_cast<char>(len);
      return;
    }
    char buf[10];
    int n = 0;
    std::uint64_t v = len;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out.insert(start, static_cast<std::size_t>(n - 1), '\0');
    std::memcpy(out.data() + start - 1, buf, static_cast<std::size_t>(n));
  }

  void any_value(const AttributeValue& value);
  void key_value(std::uint32_t field, const KeyValue& kv) {
    std::size_t m = begin(field);
    bytes_nonempty(f::kKey, kv.key);
    std::size_t v = begin(f::kValue);
    any_value(kv.value);
    end(v);
    end(m);
  }
  void attributes(std::uint32_t field, const Attributes& attributes) {
    for (const auto& kv : attributes) key_value(field, kv);
  }
  void resource(const Resource& resource) {
    std::size_t m = begin(f::kResource);
    attributes(f::kResourceAttributes, resource.attributes);
    uint_field(f::kResourceDropped, resource.dropped_attributes_count);
    end(m);
  }
  void span(const SpanData& s);
  void resource_spans(const Resource& resource, const InstrumentationScope& scope,
                      std::span<const SpanData> spans, std::string_view resource_schema,
                      std::string_view scope_schema);
  void scope_spans(const InstrumentationScope& scope, std::span<const SpanData> spans,
                   std::string_view schema_url);
};

void Writer::any_value(const AttributeValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          bytes(f::kString, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          tag(f::kBool, kVarint);
          varint(v ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          tag(f::kInt, kVarint);
          varint(static_cast<std::uint64_t>(v));
        } else if constexpr (std::is_same_v<T, double>) {
          std::uint64_t bits = 0;
          std::memcpy(&bits, &v, 8);
          fixed64(f::kDouble, bits);
        } else if constexpr (std::is_same_v<T, ArrayValue>) {
          std::size_t a = begin(f::kArray);
          for (const auto& e : v.values) {
            std::size_t m = begin(f::kValues);
            any_value(e);
            end(m);
          }
          end(a);
        } else if constexpr (std::is_same_v<T, KvlistValue>) {
          std::size_t k = begin(f::kKvlist);
          attributes(f::kValues, v.values);
          end(k);
        } else if constexpr (std::is_same_v<T, BytesValue>) {
          bytes(f::kBytes, v.data);
        }
      },
      value.value);
}

void Writer::span(const SpanData& s) {
  std::size_t m = begin(f::kSpans);
  bytes(f::kTraceId, s.trace_id.as_bytes());
  bytes(f::kSpanId, s.span_id.as_bytes());
  bytes_nonempty(f::kTraceState, s.trace_state);
  if (s.parent_span_id.is_valid()) bytes(f::kParentSpanId, s.parent_span_id.as_bytes());
  bytes_nonempty(f::kName, s.name);
  uint_field(f::kKind, static_cast<std::uint64_t>(s.kind));
  if (s.start_time_unix_nano) fixed64(f::kStart, s.start_time_unix_nano);
  if (s.end_time_unix_nano) fixed64(f::kEnd, s.end_time_unix_nano);
  attributes(f::kAttributes, s.attributes);
  uint_field(f::kDroppedAttributes, s.dropped_attributes_count);
  for (const auto& e : s.events) {
    std::size_t em = begin(f::kEvents);
    if (e.time_unix_nano) fixed64(f::kEventTime, e.time_unix_nano);
    bytes_nonempty(f::kEventName, e.name);
    attributes(f::kEventAttributes, e.attributes);
    uint_field(f::kEventDropped, e.dropped_attributes_count);
    end(em);
  }
  uint_field(f::kDroppedEvents, s.dropped_events_count);
  for (const auto& l : s.links) {
    std::size_t lm = begin(f::kLinks);
    bytes(f::kLinkTraceId, l.context.trace_id.as_bytes());
    bytes(f::kLinkSpanId, l.context.span_id.as_bytes());
    bytes_nonempty(f::kLinkTraceState, l.context.tracestate);
    attributes(f::kLinkAttributes, l.attributes);
    uint_field(f::kLinkDropped, l.dropped_attributes_count);
    end(lm);
  }
  uint_field(f::kDroppedLinks, s.dropped_links_count);
  if (s.status_code != StatusCode::unset || !s.status_message.empty()) {
    std::size_t sm = begin(f::kStatus);
    bytes_nonempty(f::kStatusMessage, s.status_message);
    uint_field(f::kStatusCode, static_cast<std::uint64_t>(s.status_code));
    end(sm);
  }
  end(m);
}

void Writer::scope_spans(const InstrumentationScope& scope, std::span<const SpanData> spans,
                         std::string_view schema_url) {
  std::size_t ss = begin(f::kScopeSpans);
  std::size_t sc = begin(f::kScope);
  bytes_nonempty(f::kScopeName, scope.name);
  bytes_nonempty(f::kScopeVersion, scope.version);
  attributes(f::kScopeAttributes, scope.attributes);
  end(sc);
  for (const auto& s : spans) span(s);
  bytes_nonempty(f::kScopeSchemaUrl, schema_url);
  end(ss);
}

// ---------------------------------------------------------------------------------------------
// Reader

class Reader {
 public:
  Reader(std::string_view data, const OtlpDecodeLimits& limits)
      : p_(reinterpret_cast<const std::uint8_t*>(data.data())),
        end_(p_ + data.size()),
        limits_(limits) {}

  std::string error;

  std::optional<TracesData> decode() {
    TracesData out;
    bool ok = fields([&](std::uint32_t field, WireType type) {
      if (field == f::kResourceSpans)
        return element(type, out.resource_spans, &Reader::resource_spans, "too many resourceSpans");
      return skip(type);
    });
    if (!ok) return std::nullopt;
    return out;
  }

 private:
  bool bad(std::string reason) {  // the first error stays; reading stops
    if (error.empty()) error = std::move(reason);
    p_ = end_;
    return false;
  }

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return bad("truncated varint");
      std::uint8_t b = *p_++;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return bad("varint too long");
  }

  // Reads the next tag; false at the end of the message or on error (error set).
  bool next(std::uint32_t& field, WireType& type) {
    if (p_ == end_ || !error.empty()) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return false;
    field = static_cast<std::uint32_t>(key >> 3);
    std::uint32_t t = key & 7;
    if (field == 0 || key >> 32) return bad("invalid field number");
    if (t != kVarint && t != kFixed64 && t != kLen && t != kFixed32)
      return bad("unsupported wire type");
    type = static_cast<WireType>(t);
    return true;
  }

  bool skip(WireType type) {
    std::uint64_t v = 0;
    switch (type) {
      case kVarint:
        return varint(v);
      case kFixed64:
        return advance(8);
      case kFixed32:
        return advance(4);
      case kLen: {
        std::string_view s;
        return len(type, s);
      }
    }
    return bad("unsupported wire type");
  }

  bool advance(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) return bad("truncated field");
    p_ += n;
    return true;
  }

  bool len(WireType type, std::string_view& out) {
    if (type != kLen) return bad("wrong wire type for a length-delimited field");
    std::uint64_t n = 0;
    if (!varint(n)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) return bad("length beyond the end");
    out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool uint(WireType type, std::uint64_t& out) {
    if (type != kVarint) return bad("wrong wire type for a varint field");
    return varint(out);
  }
  bool uint32(WireType type, std::uint32_t& out) {
    std::uint64_t v = 0;
    if (!uint(type, v)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  // fixed64 and fixed32 fields: little-endian, as wide as `out`.
  template <typename T>
  bool fixed(WireType type, T& out) {
    static_assert(std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::uint32_t>);
    constexpr bool k64 = sizeof(T) == 8;
    if (type != (k64 ? kFixed64 : kFixed32))
      return bad(k64 ? "wrong wire type for a fixed64 field"
                     : "wrong wire type for a fixed32 field");
    if (static_cast<std::size_t>(end_ - p_) < sizeof(T))
      return bad(k64 ? "truncated fixed64" : "truncated fixed32");
    out = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) out |= static_cast<T>(p_[i]) << (8 * i);
    p_ += sizeof(T);
    return true;
  }
  bool string(WireType type, std::string& out) {
    std::string_view s;
    if (!len(type, s)) return false;
    out.assign(s);
    return true;
  }
  template <std::size_t N>
  bool id(WireType type, Id<N>& out, std::string_view what, bool allow_empty) {
    std::string_view s;
    if (!len(type, s)) return false;
    if (s.empty() && allow_empty) {
      out = Id<N>();
      return true;
    }
    auto parsed = Id<N>::from_bytes(s);
    if (!parsed) return bad(std::string(what) + " is not " + std::to_string(N) + " bytes");
    out = *parsed;
    return true;
  }

  template <typename F>
  bool sub(std::string_view m, F&& body) {
    Reader r(m, limits_);
    r.depth_ = depth_;
    r.span_count_ = span_count_;
    bool ok = body(r) && r.error.empty();
    span_count_ = r.span_count_;
    if (!ok) return bad(r.error.empty() ? "invalid message" : r.error);
    return true;
  }

  // One loop for every message: `read_field(field, type)` reads a field the message knows, or
  // skips it (`return skip(type)`); false stops the message at the first error.
  template <typename F>
  bool fields(F&& read_field) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (!read_field(field, type)) return false;
    }
    return error.empty();
  }

  // A nested message, read into `out` by `read`.
  template <typename T>
  bool message(WireType type, T& out, bool (Reader::*read)(T&)) {
    std::string_view m;
    return len(type, m) && sub(m, [&](Reader& r) { return (r.*read)(out); });
  }

  // One more element of a repeated message field. `full()`, asked once the length is read, says
  // that a bound is met: the list's own length by default, the payload's span count for spans.
  template <typename T, typename Full>
  bool element(WireType type, std::vector<T>& out, bool (Reader::*read)(T&), Full&& full,
               std::string_view too_many) {
    std::string_view m;
    if (!len(type, m)) return false;
    if (full()) return bad(std::string(too_many));
    T item;
    if (!sub(m, [&](Reader& r) { return (r.*read)(item); })) return false;
    out.push_back(std::move(item));
    return true;
  }
  template <typename T>
  bool element(WireType type, std::vector<T>& out, bool (Reader::*read)(T&),
               std::string_view too_many) {
    return element(
        type, out, read, [&] { return out.size() >= limits_.max_list_length; }, too_many);
  }
  bool attribute(WireType type, Attributes& out) {
    return element(type, out, &Reader::key_value, "too many attributes");
  }

  // An enum field written as a varint; values past `max` are refused.
  template <typename E>
  bool enumeration(WireType type, E& out, std::uint64_t max, std::string_view out_of_range) {
    std::uint64_t v = 0;
    if (!uint(type, v)) return false;
    if (v > max) return bad(std::string(out_of_range));
    out = static_cast<E>(v);
    return true;
  }
  bool flags(WireType type, std::uint8_t& out) {  // the low byte of a fixed32 field
    std::uint32_t v = 0;
    if (!fixed(type, v)) return false;
    out = static_cast<std::uint8_t>(v & 0xff);
    return true;
  }

  bool key_value(KeyValue& kv) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kKey) return string(type, kv.key);
      if (field == f::kValue) return message(type, kv.value, &Reader::any_value);
      return skip(type);
    });
  }

  bool any_value(AttributeValue& out) {
    return fields([&](std::uint32_t field, WireType type) {
      switch (field) {
        case f::kString:
        case f::kBytes: {
          std::string s;
          if (!string(type, s)) return false;
          if (field == f::kString) {
            out = std::move(s);
          } else {
            out = BytesValue{std::move(s)};
          }
          return true;
        }
        case f::kBool:
        case f::kInt: {
          std::uint64_t v = 0;
          if (!uint(type, v)) return false;
          if (field == f::kBool) {
            out = v != 0;
          } else {
            out = static_cast<std::int64_t>(v);
          }
          return true;
        }
        case f::kDouble: {
          std::uint64_t bits = 0;
          if (!fixed(type, bits)) return false;
          double d;
          std::memcpy(&d, &bits, 8);
          out = d;
          return true;
        }
        case f::kArray:
        case f::kKvlist: {
          std::string_view m;
          if (!len(type, m)) return false;
          if (depth_ + 1 > limits_.max_depth) return bad("AnyValue nested too deeply");
          ++depth_;
          bool ok;
          if (field == f::kArray) {
            ArrayValue array;
            ok = sub(m, [&](Reader& r) { return r.array_values(array); });
            out = std::move(array);
          } else {
            KvlistValue kvlist;
            ok = sub(m, [&](Reader& r) { return r.kvlist_values(kvlist); });
            out = std::move(kvlist);
          }
          --depth_;
          return ok;
        }
        default:
          return skip(type);
      }
    });
  }

  bool array_values(ArrayValue& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kValues)
        return element(type, out.values, &Reader::any_value, "array too long");
      return skip(type);
    });
  }

  bool kvlist_values(KvlistValue& out) {
    return fields([&](std::uint32_t field, WireType type) {
      return field == f::kValues ? attribute(type, out.values) : skip(type);
    });
  }

  bool resource(Resource& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kResourceAttributes) return attribute(type, out.attributes);
      if (field == f::kResourceDropped) return uint32(type, out.dropped_attributes_count);
      return skip(type);
    });
  }

  bool resource_spans(ResourceSpans& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kResource) return message(type, out.resource, &Reader::resource);
      if (field == f::kScopeSpans)
        return element(type, out.scope_spans, &Reader::scope_spans, "too many scopeSpans");
      if (field == f::kResourceSchemaUrl) return string(type, out.schema_url);
      return skip(type);
    });
  }

  bool scope(InstrumentationScope& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kScopeName) return string(type, out.name);
      if (field == f::kScopeVersion) return string(type, out.version);
      if (field == f::kScopeAttributes) return attribute(type, out.attributes);
      return skip(type);
    });
  }

  bool scope_spans(ScopeSpans& out) {
    out.scope.name.clear();
    out.scope.version.clear();
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kScope) return message(type, out.scope, &Reader::scope);
      if (field == f::kSpans) {
        return element(
            type, out.spans, &Reader::span, [&] { return ++span_count_ > limits_.max_spans; },
            "too many spans");
      }
      if (field == f::kScopeSchemaUrl) return string(type, out.schema_url);
      return skip(type);
    });
  }

  bool event(Event& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kEventTime) return fixed(type, out.time_unix_nano);
      if (field == f::kEventName) return string(type, out.name);
      if (field == f::kEventAttributes) return attribute(type, out.attributes);
      if (field == f::kEventDropped) return uint32(type, out.dropped_attributes_count);
      return skip(type);
    });
  }

  bool link(Link& out) {
    bool has_trace = false, has_span = false;
    bool ok = fields([&](std::uint32_t field, WireType type) {
      switch (field) {
        case f::kLinkTraceId:
          has_trace = true;
          return id(type, out.context.trace_id, "link traceId", false);
        case f::kLinkSpanId:
          has_span = true;
          return id(type, out.context.span_id, "link spanId", false);
        case f::kLinkTraceState:
          return string(type, out.context.tracestate);
        case f::kLinkAttributes:
          return attribute(type, out.attributes);
        case f::kLinkDropped:
          return uint32(type, out.dropped_attributes_count);
        case f::kLinkFlags:
          return flags(type, out.context.flags);
        default:
          return skip(type);
      }
    });
    if (!ok) return false;
    if (!has_trace || !has_span) return bad("link without ids");
    out.context.remote = true;
    return true;
  }

  bool status(SpanData& out) {
    return fields([&](std::uint32_t field, WireType type) {
      if (field == f::kStatusMessage) return string(type, out.status_message);
      if (field == f::kStatusCode)
        return enumeration(type, out.status_code, 2, "status.code is out of range");
      return skip(type);
    });
  }

  bool span(SpanData& out) {
    out.kind = SpanKind::unspecified;  // proto3 default when the field is absent
    bool ok = fields([&](std::uint32_t field, WireType type) {
      switch (field) {
        case f::kTraceId:
          return id(type, out.trace_id, "traceId", false);
        case f::kSpanId:
          return id(type, out.span_id, "spanId", false);
        case f::kTraceState:
          return string(type, out.trace_state);
        case f::kParentSpanId:
          return id(type, out.parent_span_id, "parentSpanId", true);
        case f::kName:
          return string(type, out.name);
        case f::kKind:
          return enumeration(type, out.kind, 5, "kind is out of range");
        case f::kStart:
          return fixed(type, out.start_time_unix_nano);
        case f::kEnd:
          return fixed(type, out.end_time_unix_nano);
        case f::kAttributes:
          return attribute(type, out.attributes);
        case f::kDroppedAttributes:
          return uint32(type, out.dropped_attributes_count);
        case f::kEvents:
          return element(type, out.events, &Reader::event, "too many events");
        case f::kDroppedEvents:
          return uint32(type, out.dropped_events_count);
        case f::kLinks:
          return element(type, out.links, &Reader::link, "too many links");
        case f::kDroppedLinks:
          return uint32(type, out.dropped_links_count);
        case f::kStatus:
          return message(type, out, &Reader::status);
        case f::kFlags:
          return flags(type, out.flags);
        default:
          return skip(type);
      }
    });
    if (!ok) return false;
    if (!out.trace_id.is_valid()) return bad("traceId is missing or all zero");
    if (!out.span_id.is_valid()) return bad("spanId is missing or all zero");
    return true;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const OtlpDecodeLimits& limits_;
  std::size_t depth_ = 0;
  std::size_t span_count_ = 0;
};

}  // namespace

void Writer::resource_spans(const Resource& resource, const InstrumentationScope& scope,
                            std::span<const SpanData> spans, std::string_view resource_schema,
                            std::string_view scope_schema) {
  std::size_t rs = begin(f::kResourceSpans);
  this->resource(resource);
  scope_spans(scope, spans, scope_schema);
  bytes_nonempty(f::kResourceSchemaUrl, resource_schema);
  end(rs);
}

std::string encode_otlp_protobuf(std::span<const SpanData> spans, const Resource& resource,
                                 const InstrumentationScope& scope) {
  Writer w;
  w.out.reserve(256 + spans.size() * 160);
  w.resource_spans(resource, scope, spans, {}, {});
  return std::move(w.out);
}

std::string encode_otlp_protobuf(const TracesData& traces) {
  Writer w;
  for (const auto& rs : traces.resource_spans) {
    std::size_t m = w.begin(f::kResourceSpans);
    w.resource(rs.resource);
    for (const auto& ss : rs.scope_spans) w.scope_spans(ss.scope, ss.spans, ss.schema_url);
    w.bytes_nonempty(f::kResourceSchemaUrl, rs.schema_url);
    w.end(m);
  }
  return std::move(w.out);
}

std::optional<TracesData> decode_otlp_protobuf(std::string_view bytes,
                                               const OtlpDecodeLimits& limits, std::string* error) {
  if (bytes.size() > limits.max_bytes) {
    if (error) *error = "payload larger than " + std::to_string(limits.max_bytes) + " bytes";
    return std::nullopt;
  }
  Reader reader(bytes, limits);
  std::optional<TracesData> out;
  try {
    out = reader.decode();
  } catch (const std::exception& e) {
    reader.error = e.what();
    out.reset();
  }
  if (!out && error) *error = reader.error.empty() ? "invalid protobuf" : reader.error;
  return out;
}

}  // namespace glassbox::trace
