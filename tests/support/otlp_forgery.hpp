// OTLP JSON written by hand, for the tests that hand a client forged or hostile passback.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/trace/context.hpp"

#include <string>
#include <string_view>

namespace glassbox::testing {

// OTLP JSON of one span.
inline json::object span_json(const std::string& trace_id, const std::string& span_id,
                              const std::string& parent, std::string_view name = "forged") {
  json::object s{{"traceId", trace_id},
                 {"spanId", span_id},
                 {"name", name},
                 {"kind", 2},
                 {"startTimeUnixNano", "1710000000000000000"},
                 {"endTimeUnixNano", "1710000000004200000"}};
  if (!parent.empty()) s["parentSpanId"] = parent;
  return s;
}

// `spans` under one resource (service.name = `service`) and one scope.
inline json::object envelope(json::array spans, std::string_view service = "forger") {
  return {{"resourceSpans",
           json::array{json::object{
               {"resource",
                {{"attributes", json::array{json::object{{"key", "service.name"},
                                                         {"value", {{"stringValue", service}}}}}}}},
               {"scopeSpans", json::array{json::object{{"scope", {{"name", "forge"}}},
                                                       {"spans", std::move(spans)}}}}}}}};
}

inline std::string new_span_id() {
  return trace::generate_span_id().to_hex();
}

}  // namespace glassbox::testing
