// OTLP JSON, the bounded decoder: JSON (text or tree) to TracesData (decode_otlp_json), as the
// protobuf JSON mapping reads it.
#include "glassbox/trace/otlp.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace glassbox::trace {

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

  // A repeated message member: each element read by `read` into a new T and appended to `out`.
  template <typename T, typename Read>
  bool list_field(const json::object& o, std::string_view key, std::vector<T>& out, Read&& read) {
    bool ok;
    const json::array* items = array_field(o, key, ok);
    if (items == nullptr) return ok;
    out.reserve(out.size() + items->size());
    for (const auto& item : *items) {
      T decoded;
      if (!read(item, decoded)) return false;
      out.push_back(std::move(decoded));
    }
    return true;
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
    return list_field(
        *o, "scopeSpans", out.scope_spans,
        [&](const json::value& s, ScopeSpans& decoded) { return scope_spans(s, decoded); });
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
    return list_field(*o, "spans", out.spans, [&](const json::value& s, SpanData& decoded) {
      if (++span_count_ > limits_.max_spans) return bad("too many spans");
      return span(s, decoded);
    });
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
    auto read_event = [&](const json::value& e, Event& event) {
      const json::object* eo = e.if_object();
      if (!eo) return bad("event is not an object");
      return uint64_field(*eo, "timeUnixNano", event.time_unix_nano) &&
             string_field(*eo, "name", event.name) && attributes_field(*eo, event.attributes) &&
             uint32_field(*eo, "droppedAttributesCount", event.dropped_attributes_count);
    };
    auto read_link = [&](const json::value& l, Link& link) {
      const json::object* lo = l.if_object();
      if (!lo) return bad("link is not an object");
      std::uint32_t link_flags = 0;
      if (!id_field(*lo, "traceId", link.context.trace_id, true) ||
          !id_field(*lo, "spanId", link.context.span_id, true) ||
          !string_field(*lo, "traceState", link.context.tracestate) ||
          !attributes_field(*lo, link.attributes) ||
          !uint32_field(*lo, "droppedAttributesCount", link.dropped_attributes_count) ||
          !uint32_field(*lo, "flags", link_flags))
        return false;
      link.context.flags = static_cast<std::uint8_t>(link_flags & 0xff);
      link.context.remote = true;
      return true;
    };
    if (!list_field(*o, "events", out.events, read_event) ||
        !list_field(*o, "links", out.links, read_link))
      return false;
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
