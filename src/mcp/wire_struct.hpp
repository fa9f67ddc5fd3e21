// JSON conversion of the protocol's value types, derived from their Boost.Describe lists
// (types.cpp) instead of written out per type, so that a new field cannot be forgotten on one
// side. Wire rules, the same for every type:
// - keys are the members' names in camelCase ("mime_type" -> "mimeType"); "meta" is "_meta";
// - keys come in the order of the BOOST_DESCRIBE_STRUCT list (the golden transcripts hold it);
// - an empty string, object or array, a false bool and an empty optional are left out, except
//   the members the type's always_written() names (the spec requires them);
// - reading is lenient: a missing or mistyped key leaves the member at its empty value.
// Pure functions; any thread.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/schema.hpp"

#include <boost/describe.hpp>
#include <boost/mp11.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace glassbox::mcp::wire {

// "uri_template" -> "uriTemplate", "meta" -> "_meta".
inline std::string key_of(std::string_view member) {
  if (member == "meta") return "_meta";
  std::string key;
  key.reserve(member.size());
  bool upper = false;
  for (char c : member) {
    if (c == '_') {
      upper = true;
      continue;
    }
    key += upper ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return key;
}

// A described member's key, spelled once per member (each member's descriptor is a type of its
// own, so each gets its own copy), not once per conversion.
template <class Member>
const std::string& member_key(Member member) {
  static const std::string key = key_of(member.name);
  return key;
}

template <class T>
json::object to_object(const T& value);
template <class T>
T from_object(const json::object& object);

namespace detail {

using mcp::detail::is_optional;  // schema.hpp: one definition of each trait
using mcp::detail::is_vector;

template <class M>
bool is_empty(const M& v) {
  if constexpr (is_optional<M>::value) {
    return !v.has_value();
  } else if constexpr (std::is_same_v<M, bool>) {
    return !v;
  } else if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, json::object> ||
                       std::is_same_v<M, json::array> || is_vector<M>::value) {
    return v.empty();
  } else {
    return false;
  }
}

template <class M>
json::value write(const M& v) {
  if constexpr (is_optional<M>::value) {
    return write(*v);
  } else if constexpr (is_vector<M>::value) {
    json::array out;
    out.reserve(v.size());
    for (const auto& item : v) {
      if constexpr (std::is_same_v<typename M::value_type, std::string>) {
        out.emplace_back(item);
      } else {
        out.push_back(to_object(item));
      }
    }
    return out;
  } else {
    return json::value(v);
  }
}

template <class M>
void read(const json::object& o, std::string_view key, M& out) {
  if constexpr (is_optional<M>::value) {
    using V = typename M::value_type;
    if constexpr (std::is_same_v<V, json::value>) {
      if (auto it = o.find(key); it != o.end()) out = it->value();
    } else if constexpr (std::is_same_v<V, std::string>) {
      if (const json::string* s = json::find_string(o, key)) out = std::string(*s);
    } else if constexpr (std::is_same_v<V, json::object>) {
      if (const json::object* s = json::find_object(o, key)) out = *s;
    } else {
      static_assert(std::is_same_v<V, std::int64_t>, "no wire rule for this optional member");
      out = json::find_int(o, key);
    }
  } else if constexpr (std::is_same_v<M, std::string>) {
    const json::string* s = json::find_string(o, key);
    out = s ? std::string(*s) : std::string();
  } else if constexpr (std::is_same_v<M, json::object>) {
    const json::object* s = json::find_object(o, key);
    out = s ? *s : json::object();  // absent is empty, not the member's default
  } else if constexpr (std::is_same_v<M, json::array>) {
    const json::array* s = json::find_array(o, key);
    out = s ? *s : json::array();
  } else if constexpr (std::is_same_v<M, bool>) {
    out = json::find_bool(o, key).value_or(false);
  } else {
    static_assert(is_vector<M>::value, "no wire rule for this member");
    if (const json::array* items = json::find_array(o, key)) {
      for (const auto& item : *items) {
        if constexpr (std::is_same_v<typename M::value_type, std::string>) {
          if (item.is_string()) out.emplace_back(item.get_string());  // other items are skipped
        } else {
          out.push_back(from_object<typename M::value_type>(json::as_object_or_empty(item)));
        }
      }
    }
  }
}

}  // namespace detail

// always_written(const T*, member name) is found by ADL next to T's description; by default
// every member may be left out.
inline constexpr bool always_written(const void*, std::string_view) {
  return false;
}

template <class T>
json::object to_object(const T& value) {
  json::object out;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        const auto& field = value.*member.pointer;
        if (detail::is_empty(field) && !always_written(&value, member.name)) return;
        out[member_key(member)] = detail::write(field);
      });
  return out;
}

template <class T>
T from_object(const json::object& object) {
  T out{};
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) { detail::read(object, member_key(member), out.*member.pointer); });
  return out;
}

// The same, taking the JSON members (object, array, any value) out of `object` instead of
// copying them; what is left of `object` is for destruction only.
template <class T>
T from_object(json::object&& object) {
  T out{};
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        auto& field = out.*member.pointer;
        using M = std::remove_reference_t<decltype(field)>;
        constexpr bool json_member = std::is_same_v<M, json::object> ||
                                     std::is_same_v<M, json::array> ||
                                     std::is_same_v<M, std::optional<json::value>>;
        if constexpr (json_member) {
          auto it = object.find(member_key(member));
          json::value* v = it == object.end() ? nullptr : &it->value();
          // Absent, or an object or array member of another type: left empty, as read() does.
          if constexpr (std::is_same_v<M, std::optional<json::value>>) {
            if (v != nullptr) field = std::move(*v);
          } else if constexpr (std::is_same_v<M, json::object>) {
            if (v != nullptr && v->is_object()) field = std::move(v->get_object());
          } else {
            if (v != nullptr && v->is_array()) field = std::move(v->get_array());
          }
        } else {
          detail::read(object, member_key(member), field);
        }
      });
  return out;
}

}  // namespace glassbox::mcp::wire
