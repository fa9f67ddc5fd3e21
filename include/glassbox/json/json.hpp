// Boost.JSON helpers shared by every layer. Thread-safety: free functions, no shared state.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace glassbox::json {

using boost::json::array;
using boost::json::object;
using boost::json::string;
using boost::json::value;

struct ParseLimits {
  std::size_t max_depth = 64;  // deeper input is rejected, not recursed into
};

// Parses one JSON text. On failure returns nullopt and, if given, a short reason in *error.
// The tree is made in `storage` (the default resource when none is given).
std::optional<value> parse(std::string_view text, const ParseLimits& limits = {},
                           std::string* error = nullptr, boost::json::storage_ptr storage = {});

std::string serialize(const value& v);

// Member lookups that never throw: nullptr / nullopt when absent or of another type.
const object* find_object(const object& o, std::string_view key);
const array* find_array(const object& o, std::string_view key);
const string* find_string(const object& o, std::string_view key);
std::optional<bool> find_bool(const object& o, std::string_view key);
std::optional<std::int64_t> find_int(const object& o, std::string_view key);
std::optional<double> find_number(const object& o, std::string_view key);

// A number as JSON: an integer when it is integral (so 3.0 goes out as 3, not 3E0), else a double.
value number(double x);

// The object at `v`, or a shared empty object when `v` is not one.
const object& as_object_or_empty(const value& v);

}  // namespace glassbox::json
