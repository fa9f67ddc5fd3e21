// OTLP JSON encoding and decoding, and base64.
#include "glassbox/trace/otlp.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace glassbox::trace {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json::string decimal(std::uint64_t v, const boost::json::storage_ptr& sp) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return json::string(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), sp);
}
json::string decimal(std::int64_t v, const boost::json::storage_ptr& sp) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return json::string(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), sp);
}

template <std::size_t N>
json::string hex(const Id<N>& id, const boost::json::storage_ptr& sp) {
  char buf[2 * N];
  id.to_hex(buf);
  return json::string(std::string_view(buf, 2 * N), sp);
}

json::value double_to_json(double d) {
  // JSON has no NaN or infinities; the protobuf JSON mapping spells them as strings.
  if (std::isnan(d)) return json::string("NaN");
  if (std::isinf(d)) return json::string(d > 0 ? "Infinity" : "-Infinity");
  return d;
}

}  // namespace

std::size_t TracesData::span_count() const noexcept {
  std::size_t n = 0;
  for (const auto& rs : resource_spans)
    for (const auto& ss : rs.scope_spans) n += ss.spans.size();
  return n;
}

// ---------------------------------------------------------------------------------------------
// base64

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (bytes.size() - i == 1) {
    std::uint32_t v = b[i] << 16;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += "==";
  } else if (bytes.size() - i == 2) {
    std::uint32_t v = b[i] << 16 | b[i + 1] << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // The protobuf JSON mapping accepts the standard and the URL-safe alphabet, padded or not.
  std::size_t pad = 0;
  while (pad < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad != 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON encoding

json::value any_value_to_otlp_json(const AttributeValue& value, boost::json::storage_ptr sp) {
  json::object o(sp);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          o.emplace("stringValue", v);
        } else if constexpr (std::is_same_v<T, bool>) {
          o.emplace("boolValue", v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          o.emplace("intValue", decimal(v, sp));
        } else if constexpr (std::is_same_v<T, double>) {
          o.emplace("doubleValue", double_to_json(v));
        } else if constexpr (std::is_same_v<T, ArrayValue>) {
          json::array values(sp);
          values.reserve(v.values.size());
          for (const auto& e : v.values) values.push_back(any_value_to_otlp_json(e, sp));
          json::object array(sp);
          array.emplace("values", std::move(values));
          o.emplace("arrayValue", std::move(array));
        } else if constexpr (std::is_same_v<T, KvlistValue>) {
          json::object kvlist(sp);
          kvlist.emplace("values", attributes_to_otlp_json(v.values, sp));
          o.emplace("kvlistValue", std::move(kvlist));
        } else if constexpr (std::is_same_v<T, BytesValue>) {
          o.emplace("bytesValue", base64_encode(v.data));  // copied into o's storage
        }
        // monostate: the empty AnyValue {}
      },
      value.value);
  return o;
}

json::array attributes_to_otlp_json(const Attributes& attributes, boost::json::storage_ptr sp) {
  json::array out(sp);
  out.reserve(attributes.size());
  for (const auto& kv : attributes) {
    json::object o(sp);
    o.reserve(2);
    o.emplace("key", kv.key);
    o.emplace("value", any_value_to_otlp_json(kv.value, sp));
    out.push_back(std::move(o));
  }
  return out;
}

json::object span_to_otlp_json(const SpanData& s, boost::json::storage_ptr sp) {
  json::object o(sp);
  o.reserve(16);
  o.emplace("traceId", hex(s.trace_id, sp));
  o.emplace("spanId", hex(s.span_id, sp));
  if (!s.trace_state.empty()) o.emplace("traceState", s.trace_state);
  if (s.parent_span_id.is_valid()) o.emplace("parentSpanId", hex(s.parent_span_id, sp));
  o.emplace("name", s.name);
  o.emplace("kind", static_cast<int>(s.kind));
  o.emplace("startTimeUnixNano", decimal(s.start_time_unix_nano, sp));
  o.emplace("endTimeUnixNano", decimal(s.end_time_unix_nano, sp));
  if (!s.attributes.empty()) o.emplace("attributes", attributes_to_otlp_json(s.attributes, sp));
  if (s.dropped_attributes_count) o.emplace("droppedAttributesCount", s.dropped_attributes_count);
  if (!s.events.empty()) {
    json::array events(sp);
    events.reserve(s.events.size());
    for (const auto& e : s.events) {
      json::object eo(sp);
      eo.emplace("timeUnixNano", decimal(e.time_unix_nano, sp));
      eo.emplace("name", e.name);
      if (!e.attributes.empty())
        eo.emplace("attributes", attributes_to_otlp_json(e.attributes, sp));
      if (e.dropped_attributes_count)
        eo.emplace("droppedAttributesCount", e.dropped_attributes_count);
      events.push_back(std::move(eo));
    }
    o.emplace("events", std::move(events));
  }
  if (s.dropped_events_count) o.emplace("droppedEventsCount", s.dropped_events_count);
  if (!s.links.empty()) {
    json::array links(sp);
    links.reserve(s.links.size());
    for (const auto& l : s.links) {
      json::object lo(sp);
      lo.emplace("traceId", hex(l.context.trace_id, sp));
      lo.emplace("spanId", hex(l.context.span_id, sp));
      if (!l.context.tracestate.empty()) lo.emplace("traceState", l.context.tracestate);
      if (!l.attributes.empty())
        lo.emplace("attributes", attributes_to_otlp_json(l.attributes, sp));
      if (l.dropped_attributes_count)
        lo.emplace("droppedAttributesCount", l.dropped_attributes_count);
      links.push_back(std::move(lo));
    }
    o.emplace("links", std::move(links));
  }
  if (s.dropped_links_count) o.emplace("droppedLinksCount", s.dropped_links_count);
  json::object status(sp);
  if (!s.status_message.empty()) status.emplace("message", s.status_message);
  // status.code is written even when 0 (Unset), as the passback examples show.
  status.emplace("code", static_cast<int>(s.status_code));
  o.emplace("status", std::move(status));
  return o;
}

json::object resource_to_otlp_json(const Resource& resource, boost::json::storage_ptr sp) {
  json::object o(sp);
  o.emplace("attributes", attributes_to_otlp_json(resource.attributes, sp));
  if (resource.dropped_attributes_count)
    o.emplace("droppedAttributesCount", resource.dropped_attributes_count);
  return o;
}

json::object scope_to_otlp_json(const InstrumentationScope& scope, boost::json::storage_ptr sp) {
  json::object o(sp);
  o.emplace("name", scope.name);
  if (!scope.version.empty()) o.emplace("version", scope.version);
  if (!scope.attributes.empty())
    o.emplace("attributes", attributes_to_otlp_json(scope.attributes, sp));
  return o;
}

namespace {

json::object resource_spans_json(const Resource& resource, json::array scope_spans,
                                 std::string_view schema_url, const boost::json::storage_ptr& sp) {
  json::object rs(sp);
  rs.emplace("resource", resource_to_otlp_json(resource, sp));
  rs.emplace("scopeSpans", std::move(scope_spans));
  if (!schema_url.empty()) rs.emplace("schemaUrl", schema_url);
  return rs;
}

json::object scope_spans_json(const InstrumentationScope& scope, std::span<const SpanData> spans,
                              std::string_view schema_url, const boost::json::storage_ptr& sp) {
  json::object ss(sp);
  ss.emplace("scope", scope_to_otlp_json(scope, sp));
  json::array arr(sp);
  arr.reserve(spans.size());
  for (const auto& s : spans) arr.push_back(span_to_otlp_json(s, sp));
  ss.emplace("spans", std::move(arr));
  if (!schema_url.empty()) ss.emplace("schemaUrl", schema_url);
  return ss;
}

}  // namespace

json::object encode_otlp_json(std::span<const SpanData> spans, const Resource& resource,
                              const InstrumentationScope& scope, boost::json::storage_ptr sp) {
  json::array scope_spans(sp);
  scope_spans.push_back(scope_spans_json(scope, spans, {}, sp));
  json::array resource_spans(sp);
  resource_spans.push_back(resource_spans_json(resource, std::move(scope_spans), {}, sp));
  json::object out(sp);
  out.emplace("resourceSpans", std::move(resource_spans));
  return out;
}

json::object encode_otlp_json(const TracesData& traces, boost::json::storage_ptr sp) {
  json::array resource_spans(sp);
  for (const auto& rs : traces.resource_spans) {
    json::array scope_spans(sp);
    for (const auto& ss : rs.scope_spans)
      scope_spans.push_back(scope_spans_json(ss.scope, ss.spans, ss.schema_url, sp));
    resource_spans.push_back(
        resource_spans_json(rs.resource, std::move(scope_spans), rs.schema_url, sp));
  }
  json::object out(sp);
  out.emplace("resourceSpans", std::move(resource_spans));
  return out;
}

namespace {

// Writes the same JSON as serialize(encode_otlp_json(...)) would (same members, same order;
// doubles in shortest round-trip form), straight into a string: no tree, no allocation per node.
class JsonWriter {
 public:
  std::string out;

  void raw(std::string_view s) { out.append(s); }
  void str(std::string_view s) {
    out += '"';
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(s.data() + start, i - start);
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(esc, 6);
        }
      }
      start = i + 1;
    }
    out.append(s.data() + start, s.size() - start);
    out += '"';
  }
  template <typename T>
  void number(T v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
  template <typename T>
  void quoted_number(T v) {
    out += '"';
    number(v);
    out += '"';
  }
  template <std::size_t N>
  void id(const Id<N>& id) {
    char buf[2 * N + 2];
    buf[0] = buf[2 * N + 1] = '"';
    id.to_hex(buf + 1);
    out.append(buf, sizeof buf);
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
              if (i) out += ',';
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
            out += '{';
          }
        },
        value.value);
    out += '}';
  }

  void attributes(const Attributes& attributes) {
    out += '[';
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      if (i) out += ',';
      raw(R"({"key":)");
      str(attributes[i].key);
      raw(R"(,"value":)");
      any_value(attributes[i].value);
      out += '}';
    }
    out += ']';
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
    if (!s.attributes.empty()) {
      raw(R"(,"attributes":)");
      attributes(s.attributes);
    }
    count("droppedAttributesCount", s.dropped_attributes_count);
    if (!s.events.empty()) {
      raw(R"(,"events":[)");
      for (std::size_t i = 0; i < s.events.size(); ++i) {
        const Event& e = s.events[i];
        if (i) out += ',';
        raw(R"({"timeUnixNano":)");
        quoted_number(e.time_unix_nano);
        raw(R"(,"name":)");
        str(e.name);
        if (!e.attributes.empty()) {
          raw(R"(,"attributes":)");
          attributes(e.attributes);
        }
        count("droppedAttributesCount", e.dropped_attributes_count);
        out += '}';
      }
      out += ']';
    }
    count("droppedEventsCount", s.dropped_events_count);
    if (!s.links.empty()) {
      raw(R"(,"links":[)");
      for (std::size_t i = 0; i < s.links.size(); ++i) {
        const Link& l = s.links[i];
        if (i) out += ',';
        raw(R"({"traceId":)");
        id(l.context.trace_id);
        raw(R"(,"spanId":)");
        id(l.context.span_id);
        if (!l.context.tracestate.empty()) {
          raw(R"(,"traceState":)");
          str(l.context.tracestate);
        }
        if (!l.attributes.empty()) {
          raw(R"(,"attributes":)");
          attributes(l.attributes);
        }
        count("droppedAttributesCount", l.dropped_attributes_count);
        out += '}';
      }
      out += ']';
    }
    count("droppedLinksCount", s.dropped_links_count);
    raw(R"(,"status":{)");
    if (!s.status_message.empty()) {
      raw(R"("message":)");
      str(s.status_message);
      out += ',';
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

  void resource_spans(const Resource& resource, const InstrumentationScope& scope,
                      std::span<const SpanData> spans, std::string_view resource_schema,
                      std::string_view scope_schema, bool first_scope, bool last_scope) {
    if (first_scope) {
      raw(R"({"resource":{"attributes":)");
      attributes(resource.attributes);
      count("droppedAttributesCount", resource.dropped_attributes_count);
      raw(R"(},"scopeSpans":[)");
    } else {
      out += ',';
    }
    raw(R"({"scope":{"name":)");
    str(scope.name);
    if (!scope.version.empty()) {
      raw(R"(,"version":)");
      str(scope.version);
    }
    if (!scope.attributes.empty()) {
      raw(R"(,"attributes":)");
      attributes(scope.attributes);
    }
    raw(R"(},"spans":[)");
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (i) out += ',';
      span(spans[i]);
    }
    out += ']';
    if (!scope_schema.empty()) {
      raw(R"(,"schemaUrl":)");
      str(scope_schema);
    }
    out += '}';
    if (last_scope) {
      out += ']';
      if (!resource_schema.empty()) {
        raw(R"(,"schemaUrl":)");
        str(resource_schema);
      }
      out += '}';
    }
  }
};

}  // namespace

std::string encode_otlp_json_string(std::span<const SpanData> spans, const Resource& resource,
                                    const InstrumentationScope& scope) {
  JsonWriter w;
  w.out.reserve(256 + spans.size() * 512);
  w.raw(R"({"resourceSpans":[)");
  w.resource_spans(resource, scope, spans, {}, {}, true, true);
  w.raw("]}");
  return std::move(w.out);
}

std::string encode_otlp_json_string(const TracesData& traces) {
  JsonWriter w;
  w.out.reserve(256 + traces.span_count() * 512);
  w.raw(R"({"resourceSpans":[)");
  for (std::size_t r = 0; r < traces.resource_spans.size(); ++r) {
    const ResourceSpans& rs = traces.resource_spans[r];
    if (r) w.out += ',';
    if (rs.scope_spans.empty()) {
      w.raw(R"({"resource":{"attributes":)");
      w.attributes(rs.resource.attributes);
      w.count("droppedAttributesCount", rs.resource.dropped_attributes_count);
      w.raw(R"(},"scopeSpans":[])");
      if (!rs.schema_url.empty()) {
        w.raw(R"(,"schemaUrl":)");
        w.str(rs.schema_url);
      }
      w.out += '}';
    }
    for (std::size_t i = 0; i < rs.scope_spans.size(); ++i) {
      const ScopeSpans& ss = rs.scope_spans[i];
      w.resource_spans(rs.resource, ss.scope, ss.spans, rs.schema_url, ss.schema_url, i == 0,
                       i + 1 == rs.scope_spans.size());
    }
  }
  w.raw("]}");
  return std::move(w.out);
}

// ---------------------------------------------------------------------------------------------
// JSON decoding

namespace {

class JsonDecoder {
 public:
  JsonDecoder(const OtlpDecodeLimits& limits) : limits_(limits) {}

  std::optional<TracesData> decode(const json::value& payload) {
    const json::object* top = payload.if_object();
    if (!top) return fail("payload is not a JSON object");
    TracesData out;
    const json::value* rs = member(*top, "resourceSpans");
    if (!rs) return out;  // no spans: valid, empty
    const json::array* arr = rs->if_array();
    if (!arr) return fail("resourceSpans is not an array");
    if (arr->size() > limits_.max_list_length) return fail("too many resourceSpans");
    for (const auto& r : *arr) {
      ResourceSpans decoded;
      if (!resource_spans(r, decoded)) return std::nullopt;
      out.resource_spans.push_back(std::move(decoded));
    }
    return out;
  }

  std::string error;

 private:
  std::nullopt_t fail(std::string reason) {
    if (error.empty()) error = std::move(reason);
    return std::nullopt;
  }
  bool bad(std::string reason) {
    fail(std::move(reason));
    return false;
  }

  // A member that is absent or null counts as absent (the protobuf JSON mapping allows null).
  static const json::value* member(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }

  bool string_field(const json::object& o, std::string_view key, std::string& out) {
    const json::value* v = member(o, key);
    if (!v) return true;
    const json::string* s = v->if_string();
    if (!s) return bad(std::string(key) + " is not a string");
    out.assign(s->data(), s->size());
    return true;
  }

  // uint64 from a decimal string or a non-negative JSON integer.
  bool uint64_field(const json::object& o, std::string_view key, std::uint64_t& out) {
    const json::value* v = member(o, key);
    if (!v) return true;
    if (v->is_uint64()) {
      out = v->get_uint64();
      return true;
    }
    if (v->is_int64() && v->get_int64() >= 0) {
      out = static_cast<std::uint64_t>(v->get_int64());
      return true;
    }
    if (const json::string* s = v->if_string()) {
      auto r = std::from_chars(s->data(), s->data() + s->size(), out);
      if (r.ec == std::errc() && r.ptr == s->data() + s->size() && !s->empty()) return true;
    }
    return bad(std::string(key) + " is not an unsigned 64-bit integer");
  }

  bool uint32_field(const json::object& o, std::string_view key, std::uint32_t& out) {
    std::uint64_t v = 0;
    if (!uint64_field(o, key, v)) return false;
    if (v > std::numeric_limits<std::uint32_t>::max())
      return bad(std::string(key) + " is out of range");
    out = static_cast<std::uint32_t>(v);
    return true;
  }

  // An enum: an integer in [0, max], or one of its names.
  bool enum_field(const json::object& o, std::string_view key, int max,
                  std::span<const std::string_view> names, int& out) {
    const json::value* v = member(o, key);
    if (!v) return true;
    if (v->is_int64() || v->is_uint64()) {
      std::int64_t i = v->is_int64() ? v->get_int64() : -1;
      if (i < 0 || i > max) return bad(std::string(key) + " is out of range");
      out = static_cast<int>(i);
      return true;
    }
    if (const json::string* s = v->if_string()) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (*s == names[i]) {
          out = static_cast<int>(i);
          return true;
        }
      }
    }
    return bad(std::string(key) + " is not a valid enum value");
  }

  template <std::size_t N>
  bool id_field(const json::object& o, std::string_view key, Id<N>& out, bool required) {
    const json::value* v = member(o, key);
    if (!v || (v->is_string() && v->get_string().empty())) {
      if (required) return bad(std::string(key) + " is missing");
      return true;
    }
    const json::string* s = v->if_string();
    if (!s || s->size() != 2 * N)
      return bad(std::string(key) + " is not " + std::to_string(2 * N) + " hex digits");
    char lower[2 * N];
    for (std::size_t i = 0; i < 2 * N; ++i) {
      char c = (*s)[i];
      lower[i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    auto id = Id<N>::from_hex(std::string_view(lower, 2 * N));
    if (!id) return bad(std::string(key) + " is not " + std::to_string(2 * N) + " hex digits");
    if (required && !id->is_valid()) return bad(std::string(key) + " is all zero");
    out = *id;
    return true;
  }

  const json::array* array_field(const json::object& o, std::string_view key, bool& ok) {
    ok = true;
    const json::value* v = member(o, key);
    if (!v) return nullptr;
    const json::array* a = v->if_array();
    if (!a) {
      ok = bad(std::string(key) + " is not an array");
      return nullptr;
    }
    if (a->size() > limits_.max_list_length) {
      ok = bad(std::string(key) + " has too many elements");
      return nullptr;
    }
    return a;
  }

  bool any_value(const json::value& v, AttributeValue& out, std::size_t depth) {
    const json::object* o = v.if_object();
    if (!o) return bad("AnyValue is not an object");
    if (o->empty()) return true;  // the empty AnyValue
    for (const auto& member : *o) {
      std::string_view key = member.key();
      const json::value& x = member.value();
      if (x.is_null()) continue;
      if (key == "stringValue") {
        const json::string* s = x.if_string();
        if (!s) return bad("stringValue is not a string");
        out = std::string(s->data(), s->size());
        return true;
      }
      if (key == "boolValue") {
        if (!x.is_bool()) return bad("boolValue is not a boolean");
        out = x.get_bool();
        return true;
      }
      if (key == "intValue") {
        std::int64_t i = 0;
        if (x.is_int64()) {
          i = x.get_int64();
        } else if (x.is_uint64() && x.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
          i = static_cast<std::int64_t>(x.get_uint64());
        } else if (const json::string* s = x.if_string()) {
          auto r = std::from_chars(s->data(), s->data() + s->size(), i);
          if (r.ec != std::errc() || r.ptr != s->data() + s->size() || s->empty())
            return bad("intValue is not a 64-bit integer");
        } else {
          return bad("intValue is not a 64-bit integer");
        }
        out = i;
        return true;
      }
      if (key == "doubleValue") {
        if (x.is_number()) {
          out = x.to_number<double>();
          return true;
        }
        if (const json::string* s = x.if_string()) {
          if (*s == "NaN")
            out = std::numeric_limits<double>::quiet_NaN();
          else if (*s == "Infinity")
            out = std::numeric_limits<double>::infinity();
          else if (*s == "-Infinity")
            out = -std::numeric_limits<double>::infinity();
          else
            return bad("doubleValue is not a number");
          return true;
        }
        return bad("doubleValue is not a number");
      }
      if (key == "bytesValue") {
        const json::string* s = x.if_string();
        if (!s) return bad("bytesValue is not a string");
        auto bytes = base64_decode(std::string_view(s->data(), s->size()));
        if (!bytes) return bad("bytesValue is not base64");
        out = BytesValue{std::move(*bytes)};
        return true;
      }
      if (key == "arrayValue" || key == "kvlistValue") {
        if (depth >= limits_.max_depth) return bad("AnyValue nested too deeply");
        const json::object* inner = x.if_object();
        if (!inner) return bad(std::string(key) + " is not an object");
        bool ok;
        const json::array* values = array_field(*inner, "values", ok);
        if (!ok) return false;
        if (key == "arrayValue") {
          ArrayValue array;
          if (values) {
            array.values.reserve(values->size());
            for (const auto& e : *values) {
              AttributeValue element;
              if (!any_value(e, element, depth + 1)) return false;
              array.values.push_back(std::move(element));
            }
          }
          out = std::move(array);
        } else {
          KvlistValue kvlist;
          if (values && !key_values(*values, kvlist.values, depth + 1)) return false;
          out = std::move(kvlist);
        }
        return true;
      }
      // Unknown member: ignored (a later AnyValue kind).
    }
    return true;
  }

  bool key_values(const json::array& arr, Attributes& out, std::size_t depth) {
    out.reserve(arr.size());
    for (const auto& e : arr) {
      const json::object* o = e.if_object();
      if (!o) return bad("attribute is not an object");
      KeyValue kv;
      if (!string_field(*o, "key", kv.key)) return false;
      if (const json::value* v = member(*o, "value")) {
        if (!any_value(*v, kv.value, depth)) return false;
      }
      out.push_back(std::move(kv));
    }
    return true;
  }

  bool attributes_field(const json::object& o, Attributes& out) {
    bool ok;
    const json::array* a = array_field(o, "attributes", ok);
    if (!ok) return false;
    return !a || key_values(*a, out, 0);
  }

  bool resource_spans(const json::value& v, ResourceSpans& out) {
    const json::object* o = v.if_object();
    if (!o) return bad("resourceSpans element is not an object");
    if (const json::value* r = member(*o, "resource")) {
      const json::object* ro = r->if_object();
      if (!ro) return bad("resource is not an object");
      if (!attributes_field(*ro, out.resource.attributes)) return false;
      if (!uint32_field(*ro, "droppedAttributesCount", out.resource.dropped_attributes_count))
        return false;
    }
    if (!string_field(*o, "schemaUrl", out.schema_url)) return false;
    bool ok;
    const json::array* ss = array_field(*o, "scopeSpans", ok);
    if (!ok) return false;
    if (!ss) return true;
    for (const auto& s : *ss) {
      ScopeSpans decoded;
      if (!scope_spans(s, decoded)) return false;
      out.scope_spans.push_back(std::move(decoded));
    }
    return true;
  }

  bool scope_spans(const json::value& v, ScopeSpans& out) {
    const json::object* o = v.if_object();
    if (!o) return bad("scopeSpans element is not an object");
    out.scope.name.clear();
    out.scope.version.clear();
    if (const json::value* sv = member(*o, "scope")) {
      const json::object* so = sv->if_object();
      if (!so) return bad("scope is not an object");
      if (!string_field(*so, "name", out.scope.name) ||
          !string_field(*so, "version", out.scope.version) ||
          !attributes_field(*so, out.scope.attributes))
        return false;
    }
    if (!string_field(*o, "schemaUrl", out.schema_url)) return false;
    bool ok;
    const json::array* spans = array_field(*o, "spans", ok);
    if (!ok) return false;
    if (!spans) return true;
    for (const auto& s : *spans) {
      if (++span_count_ > limits_.max_spans) return bad("too many spans");
      SpanData decoded;
      if (!span(s, decoded)) return false;
      out.spans.push_back(std::move(decoded));
    }
    return true;
  }

  bool span(const json::value& v, SpanData& out) {
    static constexpr std::string_view kKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                                  "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                                  "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
    static constexpr std::string_view kCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                  "STATUS_CODE_ERROR"};
    const json::object* o = v.if_object();
    if (!o) return bad("span is not an object");
    int kind = 0;
    if (!id_field(*o, "traceId", out.trace_id, true) ||
        !id_field(*o, "spanId", out.span_id, true) ||
        !id_field(*o, "parentSpanId", out.parent_span_id, false) ||
        !string_field(*o, "traceState", out.trace_state) || !string_field(*o, "name", out.name) ||
        !enum_field(*o, "kind", 5, kKinds, kind) ||
        !uint64_field(*o, "startTimeUnixNano", out.start_time_unix_nano) ||
        !uint64_field(*o, "endTimeUnixNano", out.end_time_unix_nano) ||
        !attributes_field(*o, out.attributes) ||
        !uint32_field(*o, "droppedAttributesCount", out.dropped_attributes_count) ||
        !uint32_field(*o, "droppedEventsCount", out.dropped_events_count) ||
        !uint32_field(*o, "droppedLinksCount", out.dropped_links_count))
      return false;
    out.kind = static_cast<SpanKind>(kind);
    std::uint32_t flags = 0;
    if (!uint32_field(*o, "flags", flags)) return false;
    out.flags = static_cast<std::uint8_t>(flags & 0xff);
    bool ok;
    if (const json::array* events = array_field(*o, "events", ok)) {
      out.events.reserve(events->size());
      for (const auto& e : *events) {
        const json::object* eo = e.if_object();
        if (!eo) return bad("event is not an object");
        Event event;
        if (!uint64_field(*eo, "timeUnixNano", event.time_unix_nano) ||
            !string_field(*eo, "name", event.name) || !attributes_field(*eo, event.attributes) ||
            !uint32_field(*eo, "droppedAttributesCount", event.dropped_attributes_count))
          return false;
        out.events.push_back(std::move(event));
      }
    } else if (!ok) {
      return false;
    }
    if (const json::array* links = array_field(*o, "links", ok)) {
      out.links.reserve(links->size());
      for (const auto& l : *links) {
        const json::object* lo = l.if_object();
        if (!lo) return bad("link is not an object");
        Link link;
        if (!id_field(*lo, "traceId", link.context.trace_id, true) ||
            !id_field(*lo, "spanId", link.context.span_id, true) ||
            !string_field(*lo, "traceState", link.context.tracestate) ||
            !attributes_field(*lo, link.attributes) ||
            !uint32_field(*lo, "droppedAttributesCount", link.dropped_attributes_count))
          return false;
        std::uint32_t link_flags = 0;
        if (!uint32_field(*lo, "flags", link_flags)) return false;
        link.context.flags = static_cast<std::uint8_t>(link_flags & 0xff);
        link.context.remote = true;
        out.links.push_back(std::move(link));
      }
    } else if (!ok) {
      return false;
    }
    if (const json::value* st = member(*o, "status")) {
      const json::object* so = st->if_object();
      if (!so) return bad("status is not an object");
      int code = 0;
      if (!enum_field(*so, "code", 2, kCodes, code) ||
          !string_field(*so, "message", out.status_message))
        return false;
      out.status_code = static_cast<StatusCode>(code);
    }
    return true;
  }

  const OtlpDecodeLimits& limits_;
  std::size_t span_count_ = 0;
};

}  // namespace

std::optional<TracesData> decode_otlp_json(const json::value& payload,
                                           const OtlpDecodeLimits& limits, std::string* error) {
  JsonDecoder decoder(limits);
  std::optional<TracesData> out;
  try {
    out = decoder.decode(payload);
  } catch (const std::exception& e) {  // allocation failure, mostly
    decoder.error = e.what();
    out.reset();
  }
  if (!out && error) *error = decoder.error;
  return out;
}

std::optional<TracesData> decode_otlp_json(std::string_view text, const OtlpDecodeLimits& limits,
                                           std::string* error) {
  if (text.size() > limits.max_bytes) {
    if (error) *error = "payload larger than " + std::to_string(limits.max_bytes) + " bytes";
    return std::nullopt;
  }
  // Each AnyValue level is up to four JSON levels ({"kvlistValue":{"values":[{"value":..}]}}),
  // plus the envelope (resourceSpans, scopeSpans, spans, attributes, value).
  std::string parse_error;
  auto parsed = json::parse(text, {.max_depth = 4 * limits.max_depth + 12}, &parse_error);
  if (!parsed) {
    if (error) *error = "invalid JSON: " + parse_error;
    return std::nullopt;
  }
  return decode_otlp_json(*parsed, limits, error);
}

}  // namespace glassbox::trace
