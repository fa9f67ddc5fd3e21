// The OTLP JSON direct writer: spans, resources and scopes straight to JSON text, the same text
// serialize() of the tree encoder (otlp_json.cpp) gives (same members, same order; doubles in
// shortest round-trip form), with no tree and no allocation per node. Its users: the streaming
// encoder (otlp_json_stream.cpp) and passback curation (curate.cpp), which measures each span's
// size as it writes it. Private to src/trace.
//
// Threads: a value; one thread at a time.
#pragma once

#include "glassbox/trace/otlp.hpp"

#include <charconv>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

namespace glassbox::trace::otlp_json {

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

  // [a,b,...], each element written by `write`.
  template <typename List, typename Write>
  void list(const List& items, Write write) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      write(items[i]);
    }
    out += ']';
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
        out += '}';
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
        out += '}';
      });
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

  // {"attributes":[...]} (and droppedAttributesCount), as resource_to_otlp_json has it.
  void resource_object(const Resource& resource) {
    raw(R"({"attributes":)");
    attributes(resource.attributes);
    count("droppedAttributesCount", resource.dropped_attributes_count);
    out += '}';
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
    out += '}';
  }

  void resource_spans(const Resource& resource, const InstrumentationScope& scope,
                      std::span<const SpanData> spans, std::string_view resource_schema,
                      std::string_view scope_schema, bool first_scope, bool last_scope) {
    if (first_scope) {
      raw(R"({"resource":)");
      resource_object(resource);
      raw(R"(,"scopeSpans":[)");
    } else {
      out += ',';
    }
    raw(R"({"scope":)");
    scope_object(scope);
    raw(R"(,"spans":[)");
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

}  // namespace glassbox::trace::otlp_json
