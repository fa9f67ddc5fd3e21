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
  void fixed32(std::uint32_t field, std::uint32_t v) {
    tag(field, kFixed32);
    char buf[4];
    for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out.append(buf, 4);
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
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kResourceSpans) {
        std::string_view m;
        if (!len(type, m)) return std::nullopt;
        if (out.resource_spans.size() >= limits_.max_list_length)
          return fail("too many resourceSpans");
        ResourceSpans rs;
        if (!sub(m, [&](Reader& r) { return r.resource_spans(rs); })) return std::nullopt;
        out.resource_spans.push_back(std::move(rs));
      } else if (!skip(type)) {
        return std::nullopt;
      }
    }
    if (!error.empty()) return std::nullopt;
    return out;
  }

 private:
  std::nullopt_t fail(std::string reason) {
    if (error.empty()) error = std::move(reason);
    p_ = end_;
    return std::nullopt;
  }
  bool bad(std::string reason) {
    fail(std::move(reason));
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
  bool fixed64(WireType type, std::uint64_t& out) {
    if (type != kFixed64) return bad("wrong wire type for a fixed64 field");
    if (end_ - p_ < 8) return bad("truncated fixed64");
    out = 0;
    for (int i = 0; i < 8; ++i) out |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    return true;
  }
  bool fixed32(WireType type, std::uint32_t& out) {
    if (type != kFixed32) return bad("wrong wire type for a fixed32 field");
    if (end_ - p_ < 4) return bad("truncated fixed32");
    out = 0;
    for (int i = 0; i < 4; ++i) out |= static_cast<std::uint32_t>(p_[i]) << (8 * i);
    p_ += 4;
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

  bool key_value_into(std::string_view m, Attributes& out) {
    if (out.size() >= limits_.max_list_length) return bad("too many attributes");
    KeyValue kv;
    if (!sub(m, [&](Reader& r) { return r.key_value(kv); })) return false;
    out.push_back(std::move(kv));
    return true;
  }

  bool key_value(KeyValue& kv) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kKey) {
        if (!string(type, kv.key)) return false;
      } else if (field == f::kValue) {
        std::string_view m;
        if (!len(type, m)) return false;
        if (!sub(m, [&](Reader& r) { return r.any_value(kv.value); })) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool any_value(AttributeValue& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      switch (field) {
        case f::kString: {
          std::string s;
          if (!string(type, s)) return false;
          out = std::move(s);
          break;
        }
        case f::kBool: {
          std::uint64_t v = 0;
          if (!uint(type, v)) return false;
          out = v != 0;
          break;
        }
        case f::kInt: {
          std::uint64_t v = 0;
          if (!uint(type, v)) return false;
          out = static_cast<std::int64_t>(v);
          break;
        }
        case f::kDouble: {
          std::uint64_t bits = 0;
          if (!fixed64(type, bits)) return false;
          double d;
          std::memcpy(&d, &bits, 8);
          out = d;
          break;
        }
        case f::kBytes: {
          std::string s;
          if (!string(type, s)) return false;
          out = BytesValue{std::move(s)};
          break;
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
          if (!ok) return false;
          break;
        }
        default:
          if (!skip(type)) return false;
      }
    }
    return error.empty();
  }

  bool array_values(ArrayValue& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kValues) {
        std::string_view m;
        if (!len(type, m)) return false;
        if (out.values.size() >= limits_.max_list_length) return bad("array too long");
        AttributeValue v;
        if (!sub(m, [&](Reader& r) { return r.any_value(v); })) return false;
        out.values.push_back(std::move(v));
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool kvlist_values(KvlistValue& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kValues) {
        std::string_view m;
        if (!len(type, m) || !key_value_into(m, out.values)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool resource(Resource& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kResourceAttributes) {
        std::string_view m;
        if (!len(type, m) || !key_value_into(m, out.attributes)) return false;
      } else if (field == f::kResourceDropped) {
        if (!uint32(type, out.dropped_attributes_count)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool resource_spans(ResourceSpans& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      std::string_view m;
      if (field == f::kResource) {
        if (!len(type, m) || !sub(m, [&](Reader& r) { return r.resource(out.resource); }))
          return false;
      } else if (field == f::kScopeSpans) {
        if (!len(type, m)) return false;
        if (out.scope_spans.size() >= limits_.max_list_length) return bad("too many scopeSpans");
        ScopeSpans ss;
        if (!sub(m, [&](Reader& r) { return r.scope_spans(ss); })) return false;
        out.scope_spans.push_back(std::move(ss));
      } else if (field == f::kResourceSchemaUrl) {
        if (!string(type, out.schema_url)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool scope(InstrumentationScope& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      std::string_view m;
      if (field == f::kScopeName) {
        if (!string(type, out.name)) return false;
      } else if (field == f::kScopeVersion) {
        if (!string(type, out.version)) return false;
      } else if (field == f::kScopeAttributes) {
        if (!len(type, m) || !key_value_into(m, out.attributes)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool scope_spans(ScopeSpans& out) {
    out.scope.name.clear();
    out.scope.version.clear();
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      std::string_view m;
      if (field == f::kScope) {
        if (!len(type, m) || !sub(m, [&](Reader& r) { return r.scope(out.scope); })) return false;
      } else if (field == f::kSpans) {
        if (!len(type, m)) return false;
        if (++span_count_ > limits_.max_spans) return bad("too many spans");
        SpanData s;
        if (!sub(m, [&](Reader& r) { return r.span(s); })) return false;
        out.spans.push_back(std::move(s));
      } else if (field == f::kScopeSchemaUrl) {
        if (!string(type, out.schema_url)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool event(Event& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      std::string_view m;
      if (field == f::kEventTime) {
        if (!fixed64(type, out.time_unix_nano)) return false;
      } else if (field == f::kEventName) {
        if (!string(type, out.name)) return false;
      } else if (field == f::kEventAttributes) {
        if (!len(type, m) || !key_value_into(m, out.attributes)) return false;
      } else if (field == f::kEventDropped) {
        if (!uint32(type, out.dropped_attributes_count)) return false;
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool link(Link& out) {
    std::uint32_t field;
    WireType type;
    bool has_trace = false, has_span = false;
    while (next(field, type)) {
      std::string_view m;
      if (field == f::kLinkTraceId) {
        if (!id(type, out.context.trace_id, "link traceId", false)) return false;
        has_trace = true;
      } else if (field == f::kLinkSpanId) {
        if (!id(type, out.context.span_id, "link spanId", false)) return false;
        has_span = true;
      } else if (field == f::kLinkTraceState) {
        if (!string(type, out.context.tracestate)) return false;
      } else if (field == f::kLinkAttributes) {
        if (!len(type, m) || !key_value_into(m, out.attributes)) return false;
      } else if (field == f::kLinkDropped) {
        if (!uint32(type, out.dropped_attributes_count)) return false;
      } else if (field == f::kLinkFlags) {
        std::uint32_t flags = 0;
        if (!fixed32(type, flags)) return false;
        out.context.flags = static_cast<std::uint8_t>(flags & 0xff);
      } else if (!skip(type)) {
        return false;
      }
    }
    if (error.empty() && (!has_trace || !has_span)) return bad("link without ids");
    out.context.remote = true;
    return error.empty();
  }

  bool status(SpanData& out) {
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      if (field == f::kStatusMessage) {
        if (!string(type, out.status_message)) return false;
      } else if (field == f::kStatusCode) {
        std::uint64_t code = 0;
        if (!uint(type, code)) return false;
        if (code > 2) return bad("status.code is out of range");
        out.status_code = static_cast<StatusCode>(code);
      } else if (!skip(type)) {
        return false;
      }
    }
    return error.empty();
  }

  bool span(SpanData& out) {
    out.kind = SpanKind::unspecified;  // proto3 default when the field is absent
    std::uint32_t field;
    WireType type;
    while (next(field, type)) {
      std::string_view m;
      switch (field) {
        case f::kTraceId:
          if (!id(type, out.trace_id, "traceId", false)) return false;
          break;
        case f::kSpanId:
          if (!id(type, out.span_id, "spanId", false)) return false;
          break;
        case f::kTraceState:
          if (!string(type, out.trace_state)) return false;
          break;
        case f::kParentSpanId:
          if (!id(type, out.parent_span_id, "parentSpanId", true)) return false;
          break;
        case f::kName:
          if (!string(type, out.name)) return false;
          break;
        case f::kKind: {
          std::uint64_t kind = 0;
          if (!uint(type, kind)) return false;
          if (kind > 5) return bad("kind is out of range");
          out.kind = static_cast<SpanKind>(kind);
          break;
        }
        case f::kStart:
          if (!fixed64(type, out.start_time_unix_nano)) return false;
          break;
        case f::kEnd:
          if (!fixed64(type, out.end_time_unix_nano)) return false;
          break;
        case f::kAttributes:
          if (!len(type, m) || !key_value_into(m, out.attributes)) return false;
          break;
        case f::kDroppedAttributes:
          if (!uint32(type, out.dropped_attributes_count)) return false;
          break;
        case f::kEvents: {
          if (!len(type, m)) return false;
          if (out.events.size() >= limits_.max_list_length) return bad("too many events");
          Event e;
          if (!sub(m, [&](Reader& r) { return r.event(e); })) return false;
          out.events.push_back(std::move(e));
          break;
        }
        case f::kDroppedEvents:
          if (!uint32(type, out.dropped_events_count)) return false;
          break;
        case f::kLinks: {
          if (!len(type, m)) return false;
          if (out.links.size() >= limits_.max_list_length) return bad("too many links");
          Link l;
          if (!sub(m, [&](Reader& r) { return r.link(l); })) return false;
          out.links.push_back(std::move(l));
          break;
        }
        case f::kDroppedLinks:
          if (!uint32(type, out.dropped_links_count)) return false;
          break;
        case f::kStatus:
          if (!len(type, m) || !sub(m, [&](Reader& r) { return r.status(out); })) return false;
          break;
        case f::kFlags: {
          std::uint32_t flags = 0;
          if (!fixed32(type, flags)) return false;
          out.flags = static_cast<std::uint8_t>(flags & 0xff);
          break;
        }
        default:
          if (!skip(type)) return false;
      }
    }
    if (!error.empty()) return false;
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
  std::size_t r = begin(f::kResource);
  attributes(f::kResourceAttributes, resource.attributes);
  uint_field(f::kResourceDropped, resource.dropped_attributes_count);
  end(r);
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
    std::size_t r = w.begin(f::kResource);
    w.attributes(f::kResourceAttributes, rs.resource.attributes);
    w.uint_field(f::kResourceDropped, rs.resource.dropped_attributes_count);
    w.end(r);
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
