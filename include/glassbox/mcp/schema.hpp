// JSON Schema for tool arguments: derived from Boost.Describe'd structs for typed tools, and a
// validator for the keywords tool schemas use (type, properties, required, enum, const, items,
// minimum/maximum, minLength/maxLength, minItems/maxItems, additionalProperties, anyOf/oneOf).
// Unknown keywords are ignored, as JSON Schema says. Pure functions: thread-safe.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/types.hpp"

#include <boost/describe.hpp>
#include <boost/mp11.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace glassbox::mcp {

// The first violation, as "arguments.path: reason", or nullopt when `instance` is valid.
std::optional<std::string> validate(const json::value& instance, const json::object& schema,
                                    std::string_view path = "arguments");

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
}  // namespace detail

template <class T>
json::object schema_of() {
  using U = std::remove_cvref_t<T>;
  if constexpr (detail::is_optional<U>::value) {
    return schema_of<typename U::value_type>();
  } else if constexpr (std::is_same_v<U, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<U>) {
    return {{"type", "integer"}};
  } else if constexpr (std::is_floating_point_v<U>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_convertible_v<U, std::string_view>) {
    return {{"type", "string"}};
  } else if constexpr (detail::is_vector<U>::value) {
    return {{"type", "array"}, {"items", schema_of<typename U::value_type>()}};
  } else if constexpr (boost::describe::has_describe_enumerators<U>::value) {
    json::array names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<U>>(
        [&](auto e) { names.emplace_back(e.name); });
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else {
    static_assert(boost::describe::has_describe_members<U>::value,
                  "typed tool arguments must be BOOST_DESCRIBE_STRUCT'd");
    json::object properties;
    json::array required;
    boost::mp11::mp_for_each<boost::describe::describe_members<U, boost::describe::mod_public>>(
        [&](auto member) {
          using M = std::remove_cvref_t<decltype(std::declval<U&>().*member.pointer)>;
          properties[member.name] = schema_of<M>();
          if constexpr (!detail::is_optional<M>::value) required.emplace_back(member.name);
        });
    json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) schema["required"] = std::move(required);
    return schema;
  }
}

// Converts validated arguments to the described struct (Boost.JSON's described-class support;
// absent optional members become nullopt).
template <class T>
T from_arguments(const json::object& arguments) {
  T out{};
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        using M = std::remove_cvref_t<decltype(out.*member.pointer)>;
        auto it = arguments.find(member.name);
        if (it == arguments.end() || it->value().is_null()) return;
        if constexpr (detail::is_optional<M>::value) {
          out.*member.pointer = boost::json::value_to<typename M::value_type>(it->value());
        } else {
          out.*member.pointer = boost::json::value_to<M>(it->value());
        }
      });
  return out;
}

}  // namespace glassbox::mcp
