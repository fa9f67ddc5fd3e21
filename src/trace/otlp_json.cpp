// OTLP JSON, the tree encoder: spans to a Boost.JSON tree (encode_otlp_json). The streaming
// encoder that writes the same text without a tree is otlp_json_stream.cpp, the decoder
// otlp_json_decode.cpp; base64 is json/base64.cpp.
#include "glassbox/trace/otlp.hpp"

#include "json/base64.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace glassbox::trace {
namespace {

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

std::string base64_encode(std::string_view bytes) {
  return json::base64_encode(bytes);
}

std::optional<std::string> base64_decode(std::string_view text) {
  return json::base64_decode(text);
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

}  // namespace glassbox::trace
