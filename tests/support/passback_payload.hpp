// Reading a passback payload in tests: the `_meta.otel.traces` of a result, and its spans in
// order. Both throw (std::out_of_range, std::invalid_argument) when the shape is not there.
#pragma once

#include "glassbox/json/json.hpp"

#include <vector>

namespace glassbox::test {

inline const json::object& traces_of(const json::object& meta) {
  return meta.at("otel").at("traces").as_object();
}

inline std::vector<json::object> spans_of(const json::object& traces) {
  std::vector<json::object> out;
  for (const auto& rs : traces.at("resourceSpans").as_array())
    for (const auto& ss : rs.at("scopeSpans").as_array())
      for (const auto& sp : ss.at("spans").as_array()) out.push_back(sp.as_object());
  return out;
}

}  // namespace glassbox::test
