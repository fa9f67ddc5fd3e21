// HTTP admission of 2026-07-28 requests: the standard headers must agree with the body
// (MCP-Protocol-Version with _meta, Mcp-Method with the method, Mcp-Name with the name or uri,
// Mcp-Param-* with the tool's x-mcp-header arguments), else 400 with -32020; an unknown version
// gets 400 with -32022.
#include "glassbox/json/ascii.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "mcp/param_headers.hpp"
#include "mcp/stateless.hpp"

namespace glassbox::mcp {
namespace {

std::optional<std::string_view> header(const transport::HeaderViews& headers,
                                       std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (json::ascii_iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

transport::AuthorizationDecision refusal(const jsonrpc::Message& message, jsonrpc::Error error) {
  std::optional<jsonrpc::Id> id;
  if (const auto* r = std::get_if<jsonrpc::Request>(&message)) id = r->id;
  return {.status = 400, .body = jsonrpc::serialize(jsonrpc::ErrorResponse{id, std::move(error)})};
}

transport::AuthorizationDecision mismatch(const jsonrpc::Message& message, std::string text) {
  return refusal(message, jsonrpc::Error{kHeaderMismatch, std::move(text), nullptr});
}

}  // namespace

int sessionless_error_status(const jsonrpc::Error& error) {
  switch (error.code) {
    case kHeaderMismatch:
    case kMissingRequiredClientCapability:
    case kUnsupportedProtocolVersion:
      return 400;
    case jsonrpc::error_code::kMethodNotFound:
      return 404;
    default:
      return 0;
  }
}

std::optional<transport::AuthorizationDecision> validate_http_request(
    const transport::HeaderViews& headers, const jsonrpc::Message& message) {
  const std::string* method = nullptr;
  const json::value* params = nullptr;
  if (const auto* r = std::get_if<jsonrpc::Request>(&message)) {
    method = &r->method;
    params = &r->params;
  } else if (const auto* n = std::get_if<jsonrpc::Notification>(&message)) {
    method = &n->method;
    params = &n->params;
  } else {
    return std::nullopt;  // a response to a server request: no headers to agree with
  }
  const json::object& p = json::as_object_or_empty(*params);
  const json::object* meta = json::find_object(p, "_meta");
  const json::value* body_version = meta ? meta->if_contains(kMetaProtocolVersion) : nullptr;
  std::optional<std::string_view> header_version = header(headers, kHeaderProtocolVersion);
  bool stateless_header = header_version && is_stateless_version(trim(*header_version));
  if (body_version == nullptr && !stateless_header) return std::nullopt;  // 2025-11-25 form
  if (!header_version) {
    return mismatch(message, "missing MCP-Protocol-Version header");
  }
  if (body_version == nullptr) {
    return refusal(message, jsonrpc::Error{jsonrpc::error_code::kInvalidParams,
                                           "params._meta." + std::string(kMetaProtocolVersion) +
                                               " is required in " + std::string(*header_version),
                                           nullptr});
  }
  if (!body_version->is_string() || body_version->get_string() != trim(*header_version)) {
    return mismatch(message, "MCP-Protocol-Version header does not match _meta." +
                                 std::string(kMetaProtocolVersion));
  }
  if (!is_stateless_version(body_version->get_string())) {
    return refusal(message,
                   jsonrpc::Error{kUnsupportedProtocolVersion, "Unsupported protocol version",
                                  json::object{{"supported", supported_versions()},
                                               {"requested", body_version->get_string()}}});
  }
  if (!json::find_object(*meta, kMetaClientCapabilities)) {
    return refusal(message, jsonrpc::Error{jsonrpc::error_code::kInvalidParams,
                                           "params._meta." + std::string(kMetaClientCapabilities) +
                                               " must be an object",
                                           nullptr});
  }
  std::optional<std::string_view> header_method = header(headers, kHeaderMethod);
  if (!header_method) return mismatch(message, "missing Mcp-Method header");
  if (trim(*header_method) != *method) {
    return mismatch(message, "Mcp-Method header does not match the body's method");
  }
  if (is_removed_method(*method)) {
    auto refused = refusal(message, jsonrpc::Error{jsonrpc::error_code::kMethodNotFound,
                                                   "method not found: " + *method, nullptr});
    refused.status = 404;
    return refused;
  }
  std::string_view name_key;
  if (*method == "tools/call" || *method == "prompts/get") name_key = "name";
  if (*method == "resources/read") name_key = "uri";
  if (!name_key.empty()) {
    const json::string* body_name = json::find_string(p, name_key);
    std::optional<std::string_view> header_name = header(headers, kHeaderName);
    if (body_name && !header_name) return mismatch(message, "missing Mcp-Name header");
    if (body_name) {
      std::optional<std::string> text = decode_header_value(trim(*header_name));
      if (!text || *text != std::string_view(*body_name)) {
        return mismatch(message, "Mcp-Name header does not match params." + std::string(name_key));
      }
    }
  }
  return std::nullopt;
}

std::optional<transport::AuthorizationDecision> validate_param_headers(
    const transport::HeaderViews& headers, const jsonrpc::Message& message,
    const std::function<std::optional<json::object>(std::string_view)>& input_schema_of) {
  const auto* request = std::get_if<jsonrpc::Request>(&message);
  if (request == nullptr || request->method != "tools/call") return std::nullopt;
  std::optional<std::string_view> version = header(headers, kHeaderProtocolVersion);
  if (!version || !is_stateless_version(trim(*version))) return std::nullopt;  // 2025-11-25
  const json::object& params = json::as_object_or_empty(request->params);
  const json::string* name = json::find_string(params, "name");
  if (name == nullptr) return std::nullopt;
  std::optional<json::object> schema = input_schema_of(*name);
  if (!schema) return std::nullopt;  // an unknown tool: tools/call itself says so
  auto annotations = read_param_headers(*schema);
  // A tool whose annotations break the rules gets no header check (clients exclude it).
  if (annotations.index() != 0) return std::nullopt;
  const json::value* arguments = params.if_contains("arguments");
  if (auto problem = check_param_headers(std::get<0>(annotations),
                                         json::as_object_or_empty(arguments ? *arguments : nullptr),
                                         headers)) {
    return mismatch(message, std::move(*problem));
  }
  return std::nullopt;
}

}  // namespace glassbox::mcp
