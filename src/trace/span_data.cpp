#include "glassbox/trace/span_data.hpp"

#include <cstdlib>

namespace glassbox::trace {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const AttributeValue* find_attribute(const Attributes& attributes, std::string_view key) noexcept {
  for (const auto& kv : attributes)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

Resource& Resource::set(std::string_view key, AttributeValue value) {
  for (auto& kv : attributes) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return *this;
    }
  }
  attributes.push_back({std::string(key), std::move(value)});
  return *this;
}

std::string_view Resource::service_name() const noexcept {
  const AttributeValue* v = find_attribute(attributes, "service.name");
  const std::string* s = v ? v->if_string() : nullptr;
  return s ? std::string_view(*s) : std::string_view();
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_digit(text[i + 1]);
      int lo = hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_otel_key_values(std::string_view list) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view rest = list;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // malformed pair: skipped
    std::string key = percent_decode(trim(pair.substr(0, eq)));
    if (key.empty()) continue;
    out.emplace_back(std::move(key), percent_decode(trim(pair.substr(eq + 1))));
  }
  return out;
}

Resource resource_from_strings(Resource resource, std::string_view otel_resource_attributes,
                               std::string_view otel_service_name) {
  for (auto& [key, value] : parse_otel_key_values(otel_resource_attributes))
    resource.set(key, std::move(value));
  std::string_view service = trim(otel_service_name);
  if (!service.empty()) resource.set("service.name", std::string(service));
  if (!find_attribute(resource.attributes, "service.name"))
    resource.set("service.name", "unknown_service");
  return resource;
}

Resource resource_from_environment(Resource defaults) {
  const char* attributes = std::getenv("OTEL_RESOURCE_ATTRIBUTES");
  const char* service = std::getenv("OTEL_SERVICE_NAME");
  return resource_from_strings(std::move(defaults), attributes ? attributes : "",
                               service ? service : "");
}

}  // namespace glassbox::trace
