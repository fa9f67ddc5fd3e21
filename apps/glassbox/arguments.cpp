#include "commands.hpp"

#include "glassbox/json/non_finite.hpp"

#include <algorithm>

namespace glassbox::cli {

std::optional<json::object> parse_tool_arguments(const std::vector<std::string>& pairs,
                                                 const std::optional<std::string>& json_text,
                                                 std::string* error) {
  if (json_text) {
    if (!pairs.empty()) {
      *error = "give the arguments as k=v pairs or as --json, not both";
      return std::nullopt;
    }
    std::string reason;
    std::optional<json::value> parsed = json::parse(*json_text, {}, &reason);
    if (!parsed || !parsed->is_object()) {
      *error = "--json wants a JSON object" + (reason.empty() ? std::string() : ": " + reason);
      return std::nullopt;
    }
    if (auto at = json::find_non_finite(*parsed)) {
      *error = "--json: the number at " + *at + " is out of range";
      return std::nullopt;
    }
    return std::move(parsed->get_object());
  }
  json::object arguments;
  for (const std::string& pair : pairs) {
    std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "'" + pair + "' is not a k=v argument";
      return std::nullopt;
    }
    std::string_view value = std::string_view(pair).substr(eq + 1);
    // Numbers, booleans and objects as JSON; anything that does not parse stays a string.
    std::optional<json::value> parsed = json::parse(value);
    // 1e400 reads as an infinity, which no JSON writer can send: refused here, not mangled.
    if (parsed && json::find_non_finite(*parsed)) {
      *error = "'" + pair + "': the number is out of range";
      return std::nullopt;
    }
    arguments[pair.substr(0, eq)] = parsed ? std::move(*parsed) : json::value(json::string(value));
  }
  return arguments;
}

std::vector<std::string> parse_scopes(const std::string& text) {
  std::vector<std::string> scopes;
  std::string current;
  for (char c : text + " ") {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!current.empty() && std::find(scopes.begin(), scopes.end(), current) == scopes.end())
        scopes.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  return scopes;
}

}  // namespace glassbox::cli
