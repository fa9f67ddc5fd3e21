#include "glassbox/json/json.hpp"

#include <cmath>
#include <cstdint>

namespace glassbox::json {

std::optional<value> parse(std::string_view text, const ParseLimits& limits, std::string* error,
                           boost::json::storage_ptr storage) {
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  value v = boost::json::parse(text, ec, std::move(storage), options);
  if (ec) {
    if (error) *error = ec.message();
    return std::nullopt;
  }
  return v;
}

std::string serialize(const value& v) {
  return boost::json::serialize(v);
}

const object* find_object(const object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() ? it->value().if_object() : nullptr;
}
const array* find_array(const object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() ? it->value().if_array() : nullptr;
}
const string* find_string(const object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() ? it->value().if_string() : nullptr;
}
std::optional<bool> find_bool(const object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}
std::optional<std::int64_t> find_int(const object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const value& v = it->value();
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}
std::optional<double> find_number(const object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const value& v = it->value();
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

value number(double x) {
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  if (x <= kMaxExactInteger && x >= -kMaxExactInteger && x == std::trunc(x)) {
    return static_cast<std::int64_t>(x);
  }
  return x;
}

const object& as_object_or_empty(const value& v) {
  static const object kEmpty;
  const object* o = v.if_object();
  return o ? *o : kEmpty;
}

}  // namespace glassbox::json
