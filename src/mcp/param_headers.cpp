#include "mcp/param_headers.hpp"

#include "glassbox/json/ascii.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/trace/otlp.hpp"  // base64

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

namespace glassbox::mcp {
namespace {

// RFC 9110 tchar.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (std::isalnum(c) != 0 && c < 0x80) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  }
  return true;
}

struct Scan {
  std::vector<ParamHeader> found;
  std::set<std::string> seen;  // lower-cased names
  std::string error;
};

// `reachable`: the node sits at the end of a chain of `properties` keys from the root, the only
// place where the client can find an argument statically.
void scan(const json::value& node, bool reachable, std::vector<std::string>& path, Scan& s) {
  if (!s.error.empty()) return;
  if (const json::array* a = node.if_array()) {
    for (const auto& item : *a) scan(item, false, path, s);
    return;
  }
  const json::object* o = node.if_object();
  if (o == nullptr) return;
  if (auto it = o->find(kXMcpHeaderAnnotation); it != o->end()) {
    const std::string where = path.empty() ? std::string("the schema root") : path.back();
    if (!reachable || path.empty()) {
      s.error = "x-mcp-header on " + where + " is not reachable through properties alone";
      return;
    }
    const json::string* name = it->value().if_string();
    if (name == nullptr || !is_token(*name)) {
      s.error = "x-mcp-header of property '" + where +
                "' is not a non-empty HTTP token (letters, digits, !#$%&'*+-.^_`|~)";
      return;
    }
    const json::string* type = json::find_string(*o, "type");
    if (type == nullptr || (*type != "string" && *type != "integer" && *type != "boolean")) {
      s.error = "x-mcp-header '" + std::string(*name) + "' is on property '" + where +
                "', whose type is not string, integer or boolean";
      return;
    }
    if (!s.seen.insert(json::ascii_lower(*name)).second) {
      s.error = "x-mcp-header '" + std::string(*name) + "' is used twice (names ignore case)";
      return;
    }
    s.found.push_back({std::string(*name), path});
  }
  for (const auto& [key, child] : *o) {
    if (key == kXMcpHeaderAnnotation) continue;
    if (key == "properties" && child.is_object()) {
      for (const auto& [property, schema] : child.get_object()) {
        path.emplace_back(property);
        scan(schema, reachable, path, s);
        path.pop_back();
      }
    } else if (child.is_object() || child.is_array()) {
      scan(child, false, path, s);
    }
  }
}

bool needs_base64(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7e) return true;
  if (!v.empty() && (v.front() == ' ' || v.back() == ' ')) return true;
  // A literal value shaped like the Base64 form would be read back as Base64.
  return v.starts_with(kHeaderBase64Prefix) && v.ends_with(kHeaderBase64Suffix);
}

}  // namespace

std::variant<std::vector<ParamHeader>, std::string> read_param_headers(
    const json::object& input_schema) {
  Scan s;
  std::vector<std::string> path;
  scan(input_schema, true, path, s);
  if (!s.error.empty()) return s.error;
  return std::move(s.found);
}

std::string encode_header_value(std::string_view value) {
  if (!needs_base64(value)) return std::string(value);
  return std::string(kHeaderBase64Prefix) + trace::base64_encode(value) +
         std::string(kHeaderBase64Suffix);
}

std::optional<std::string> decode_header_value(std::string_view value) {
  if (value.size() < kHeaderBase64Prefix.size() + kHeaderBase64Suffix.size() ||
      !value.starts_with(kHeaderBase64Prefix) || !value.ends_with(kHeaderBase64Suffix)) {
    return std::string(value);
  }
  value.remove_prefix(kHeaderBase64Prefix.size());
  value.remove_suffix(kHeaderBase64Suffix.size());
  // SEP-2243 wants padded RFC 4648 Base64: a length that is not a multiple of 4 is invalid.
  if (value.size() % 4 != 0) return std::nullopt;
  return trace::base64_decode(value);
}

std::optional<std::string> header_text(const json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      return std::string(value.get_string());
    case boost::json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case boost::json::kind::int64:
      return std::to_string(value.get_int64());
    case boost::json::kind::uint64:
      return std::to_string(value.get_uint64());
    case boost::json::kind::double_: {
      double d = value.get_double();
      if (!std::isfinite(d)) return std::nullopt;
      if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0)
        return std::to_string(static_cast<std::int64_t>(d));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return std::string(buf);
    }
    default:
      return std::nullopt;
  }
}

namespace {

// The argument an annotation points at, or nullptr when the body lacks it.
const json::value* argument_at(const json::object& arguments, const ParamHeader& a) {
  const json::object* at = &arguments;
  for (std::size_t i = 0; i < a.path.size() && at != nullptr; ++i) {
    auto it = at->find(a.path[i]);
    if (it == at->end()) return nullptr;
    if (i + 1 == a.path.size()) return &it->value();
    at = it->value().if_object();
  }
  return nullptr;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void append_param_headers(const std::vector<ParamHeader>& annotations,
                          const json::object& arguments, transport::HeaderList& out) {
  for (const ParamHeader& a : annotations) {
    const json::value* value = argument_at(arguments, a);
    if (value == nullptr) continue;
    if (auto text = header_text(*value))
      out.emplace_back(std::string(kHeaderParamPrefix) + a.name, encode_header_value(*text));
  }
}

std::optional<std::string> check_param_headers(
    const std::vector<ParamHeader>& annotations, const json::object& arguments,
    const std::vector<std::pair<std::string_view, std::string_view>>& headers) {
  for (const ParamHeader& a : annotations) {
    const std::string name = std::string(kHeaderParamPrefix) + a.name;
    std::optional<std::string_view> raw;
    for (const auto& [n, v] : headers) {
      if (json::ascii_iequals(n, name)) raw = v;
    }
    const json::value* value = argument_at(arguments, a);
    std::optional<std::string> body = value ? header_text(*value) : std::nullopt;
    if (!raw && !body) continue;
    if (!raw) return "missing " + name + " header (params.arguments has its value)";
    if (!body) return name + " header has no value in params.arguments to agree with";
    std::optional<std::string> sent = decode_header_value(trim_ows(*raw));
    if (!sent) return name + " header holds invalid Base64";
    if (*sent != *body) return name + " header does not match params.arguments";
  }
  return std::nullopt;
}

}  // namespace glassbox::mcp
