// Numbers JSON cannot carry. Thread-safety: a free function, no shared state.
#pragma once

#include "glassbox/json/json.hpp"

#include <optional>
#include <string>

namespace glassbox::json {

// Where `v` holds a number JSON cannot carry (an infinity or a NaN, which a writer would put out
// as `Infinity`, not JSON): a path such as "structuredContent.sum" or "values[2]" ("" for `v`
// itself), or nullopt when every number is finite. Iterative: any nesting depth is fine.
std::optional<std::string> find_non_finite(const value& v);

}  // namespace glassbox::json
