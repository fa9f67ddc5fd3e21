// JSON Schema for tool arguments and results: derived from Boost.Describe'd structs for typed
// tools and prompts (with the conversions both ways), and a
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
                  "typed tool arguments and results must be BOOST_DESCRIBE_STRUCT'd");
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

// The value a typed tool returns, as its structuredContent: the shape schema_of<T>() describes
// (an absent optional member is left out, not null; an enumerator is its name).
template <class T>
json::value to_structured(const T& value) {
  using U = std::remove_cvref_t<T>;
  if constexpr (detail::is_optional<U>::value) {
    return value ? to_structured(*value) : json::value(nullptr);
  } else if constexpr (std::is_same_v<U, bool> || std::is_arithmetic_v<U>) {
    return json::value(value);
  } else if constexpr (std::is_convertible_v<U, std::string_view>) {
    return json::value(std::string_view(value));
  } else if constexpr (detail::is_vector<U>::value) {
    json::array out;
    out.reserve(value.size());
    for (const auto& item : value) out.push_back(to_structured(item));
    return out;
  } else if constexpr (boost::describe::has_describe_enumerators<U>::value) {
    const char* name = boost::describe::enum_to_string(value, nullptr);
    return name ? json::value(name) : json::value(nullptr);
  } else {
    static_assert(boost::describe::has_describe_members<U>::value,
                  "typed tool results must be BOOST_DESCRIBE_STRUCT'd");
    json::object out;
    boost::mp11::mp_for_each<boost::describe::describe_members<U, boost::describe::mod_public>>(
        [&](auto member) {
          const auto& field = value.*member.pointer;
          using M = std::remove_cvref_t<decltype(field)>;
          if constexpr (detail::is_optional<M>::value) {
            if (!field) return;
          }
          out[member.name] = to_structured(field);
        });
    return out;
  }
}

// A typed prompt's arguments, from its described struct: every member is a string (prompt
// arguments are strings on the wire); std::optional members are not required. A description
// found under the same name in `described` is kept.
template <class T>
std::vector<PromptArgument> prompt_arguments_of(const std::vector<PromptArgument>& described = {}) {
  std::vector<PromptArgument> out;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
        constexpr bool optional = detail::is_optional<M>::value;
        if constexpr (optional) {
          static_assert(std::is_same_v<typename M::value_type, std::string>,
                        "typed prompt arguments are std::string or std::optional<std::string>");
        } else {
          static_assert(std::is_same_v<M, std::string>,
                        "typed prompt arguments are std::string or std::optional<std::string>");
        }
        PromptArgument argument{member.name, {}, !optional};
        for (const auto& d : described) {
          if (d.name == argument.name) argument.description = d.description;
        }
        out.push_back(std::move(argument));
      });
  return out;
}

}  // namespace glassbox::mcp
