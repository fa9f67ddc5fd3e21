// OTLP JSON, the streaming encoder: spans straight to JSON text (encode_otlp_json_string), the
// same text serialize(encode_otlp_json(...)) gives (otlp_json.cpp), without the tree.
#include "trace/otlp_json_writer.hpp"

namespace glassbox::trace {

using otlp_json::JsonWriter;

std::string encode_otlp_json_string(std::span<const SpanData> spans, const Resource& resource,
                                    const InstrumentationScope& scope) {
  JsonWriter w;
  w.reserve(256 + spans.size() * 512);
  w.raw(R"({"resourceSpans":[)");
  w.resource_spans(resource, scope, spans, {}, {}, true, true);
  w.raw("]}");
  return w.take();
}

std::string encode_otlp_json_string(const TracesData& traces) {
  JsonWriter w;
  w.reserve(256 + traces.span_count() * 512);
  w.raw(R"({"resourceSpans":[)");
  for (std::size_t r = 0; r < traces.resource_spans.size(); ++r) {
    const ResourceSpans& rs = traces.resource_spans[r];
    if (r) w.put(',');
    if (rs.scope_spans.empty()) {
      w.raw(R"({"resource":)");
      w.resource_object(rs.resource);
      w.raw(R"(,"scopeSpans":[])");
      if (!rs.schema_url.empty()) {
        w.raw(R"(,"schemaUrl":)");
        w.str(rs.schema_url);
      }
      w.put('}');
    }
    for (std::size_t i = 0; i < rs.scope_spans.size(); ++i) {
      const ScopeSpans& ss = rs.scope_spans[i];
      w.resource_spans(rs.resource, ss.scope, ss.spans, rs.schema_url, ss.schema_url, i == 0,
                       i + 1 == rs.scope_spans.size());
    }
  }
  w.raw("]}");
  return w.take();
}

}  // namespace glassbox::trace
