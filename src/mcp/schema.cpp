#include "glassbox/mcp/schema.hpp"

#include <cmath>

namespace glassbox::mcp {
namespace {

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  return v.is_double() && std::isfinite(v.get_double()) &&
         std::floor(v.get_double()) == v.get_double();
}

bool has_type(const json::value& v, std::string_view type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_bool();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_integer(v);
  return true;  // unknown type names constrain nothing
}

double number_of(const json::value& v) {
  return v.to_number<double>();
}

// UTF-8 code points, as JSON Schema counts string length.
std::size_t length_of(const json::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<std::string> fail(std::string_view path, std::string reason) {
  return std::string(path) + ": " + reason;
}

}  // namespace

std::optional<std::string> validate(const json::value& instance, const json::object& schema,
                                    std::string_view path) {
  if (auto it = schema.find("type"); it != schema.end()) {
    bool matched = false;
    std::string expected;
    if (const json::string* t = it->value().if_string()) {
      matched = has_type(instance, *t);
      expected = std::string(*t);
    } else if (const json::array* ts = it->value().if_array()) {
      for (const auto& t : *ts) {
        if (t.is_string()) {
          matched = matched || has_type(instance, t.get_string());
          expected += (expected.empty() ? "" : " or ") + std::string(t.get_string());
        }
      }
    } else {
      matched = true;
    }
    if (!matched) return fail(path, "expected " + expected);
  }
  if (auto it = schema.find("enum"); it != schema.end() && it->value().is_array()) {
    const json::array& options = it->value().get_array();
    if (std::find(options.begin(), options.end(), instance) == options.end())
      return fail(path, "must be one of " + json::serialize(options));
  }
  if (auto it = schema.find("const"); it != schema.end() && it->value() != instance) {
    return fail(path, "must be " + json::serialize(it->value()));
  }
  if (instance.is_number()) {
    double x = number_of(instance);
    if (auto m = json::find_number(schema, "minimum"); m && x < *m)
      return fail(path, "must be >= " + json::serialize(schema.at("minimum")));
    if (auto m = json::find_number(schema, "maximum"); m && x > *m)
      return fail(path, "must be <= " + json::serialize(schema.at("maximum")));
    if (auto m = json::find_number(schema, "exclusiveMinimum"); m && x <= *m)
      return fail(path, "must be > " + json::serialize(schema.at("exclusiveMinimum")));
    if (auto m = json::find_number(schema, "exclusiveMaximum"); m && x >= *m)
      return fail(path, "must be < " + json::serialize(schema.at("exclusiveMaximum")));
  }
  if (const json::string* s = instance.if_string()) {
    std::size_t len = length_of(*s);
    if (auto m = json::find_int(schema, "minLength"); m && len < static_cast<std::size_t>(*m))
      return fail(path, "must have at least " + std::to_string(*m) + " characters");
    if (auto m = json::find_int(schema, "maxLength"); m && len > static_cast<std::size_t>(*m))
      return fail(path, "must have at most " + std::to_string(*m) + " characters");
  }
  if (const json::array* a = instance.if_array()) {
    if (auto m = json::find_int(schema, "minItems"); m && a->size() < static_cast<std::size_t>(*m))
      return fail(path, "must have at least " + std::to_string(*m) + " items");
    if (auto m = json::find_int(schema, "maxItems"); m && a->size() > static_cast<std::size_t>(*m))
      return fail(path, "must have at most " + std::to_string(*m) + " items");
    if (const json::object* items = json::find_object(schema, "items")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (auto e = validate((*a)[i], *items, std::string(path) + "[" + std::to_string(i) + "]"))
          return e;
      }
    }
  }
  if (const json::object* o = instance.if_object()) {
    if (const json::array* required = json::find_array(schema, "required")) {
      for (const auto& r : *required) {
        if (r.is_string() && !o->contains(r.get_string()))
          return fail(path, "missing required property '" + std::string(r.get_string()) + "'");
      }
    }
    const json::object* properties = json::find_object(schema, "properties");
    auto additional = schema.find("additionalProperties");
    for (const auto& [key, member] : *o) {
      std::string member_path = std::string(path) + "." + std::string(key);
      if (properties != nullptr) {
        if (const json::object* sub = json::find_object(*properties, key)) {
          if (auto e = validate(member, *sub, member_path)) return e;
          continue;
        }
      }
      if (additional != schema.end()) {
        if (additional->value().is_bool() && !additional->value().get_bool())
          return fail(member_path, "is not an allowed property");
        if (const json::object* sub = additional->value().if_object()) {
          if (auto e = validate(member, *sub, member_path)) return e;
        }
      }
    }
  }
  if (const json::array* any = json::find_array(schema, "anyOf")) {
    bool matched = false;
    for (const auto& s : *any) {
      if (s.is_object() && !validate(instance, s.get_object(), path)) {
        matched = true;
        break;
      }
    }
    if (!matched) return fail(path, "matches none of anyOf");
  }
  if (const json::array* one = json::find_array(schema, "oneOf")) {
    int matches = 0;
    for (const auto& s : *one) {
      if (s.is_object() && !validate(instance, s.get_object(), path)) ++matches;
    }
    if (matches != 1) return fail(path, "must match exactly one of oneOf");
  }
  if (const json::array* all = json::find_array(schema, "allOf")) {
    for (const auto& s : *all) {
      if (s.is_object()) {
        if (auto e = validate(instance, s.get_object(), path)) return e;
      }
    }
  }
  return std::nullopt;
}

}  // namespace glassbox::mcp
