// Request admission of the MCP endpoint (http_admission.hpp).
#include "transport/http_admission.hpp"

#include "transport/http_common.hpp"
#include "transport/http_server_arena.hpp"

#include <algorithm>
#include <cctype>

namespace glassbox::transport::http_detail {

std::string error_body(int code, std::string_view message) {
  return jsonrpc::serialize(
      jsonrpc::ErrorResponse{std::nullopt, jsonrpc::Error{code, std::string(message), nullptr}});
}

Refusal refusal(int status, int code, std::string_view message) {
  return Refusal{status, error_body(code, message)};
}

std::variant<jsonrpc::Message, Refusal> admit_post(std::string_view content_type,
                                                   std::string_view accept, std::string_view body) {
  if (!media_type_is(content_type, "application/json")) {
    return refusal(415, jsonrpc::error_code::kInvalidRequest,
                   "Content-Type must be application/json");
  }
  if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream")) {
    return refusal(406, jsonrpc::error_code::kInvalidRequest,
                   "Accept must list application/json and text/event-stream");
  }
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  if (!trimmed.empty() && trimmed.front() == '[') {
    // Batches left the protocol in 2025-06-18; glassbox does not take them for any version.
    return refusal(400, jsonrpc::error_code::kInvalidRequest, "JSON-RPC batches are not supported");
  }
  // The tree in one block: params live as long as the handler keeps them (http_server_arena.hpp).
  jsonrpc::ParseResult parsed = jsonrpc::parse(body, {}, RequestArena::make());
  if (!parsed.message) {
    jsonrpc::ErrorResponse error =
        parsed.error ? *parsed.error
                     : jsonrpc::ErrorResponse{
                           std::nullopt, {jsonrpc::error_code::kParseError, "parse error", {}}};
    return Refusal{400, jsonrpc::serialize(error)};
  }
  return std::move(*parsed.message);
}

std::optional<Refusal> admit_get(std::string_view accept) {
  if (!accepts(accept, "text/event-stream")) {
    return refusal(406, jsonrpc::error_code::kInvalidRequest, "Accept must list text/event-stream");
  }
  return std::nullopt;
}

bool version_supported(const std::vector<std::string>& supported, std::string_view version) {
  return std::find(supported.begin(), supported.end(), version) != supported.end();
}

std::variant<std::optional<std::string>, Refusal> post_protocol_version(
    std::optional<std::string_view> header, bool is_initialize,
    const std::vector<std::string>& supported) {
  if (header) {
    std::string v(*header);
    if (!is_initialize && !version_supported(supported, v)) {
      return refusal(400, jsonrpc::error_code::kInvalidRequest,
                     "unsupported MCP-Protocol-Version: " + v);
    }
    return std::optional(std::move(v));
  }
  if (!is_initialize) return std::optional(std::string(kFallbackProtocolVersion));
  return std::optional<std::string>();
}

std::optional<Refusal> admit_get_protocol_version(std::optional<std::string_view> header,
                                                  const std::vector<std::string>& supported) {
  if (header && !version_supported(supported, *header)) {
    return refusal(400, jsonrpc::error_code::kInvalidRequest, "unsupported MCP-Protocol-Version");
  }
  return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  if (authorization.size() > 7 && json::ascii_lower(authorization.substr(0, 7)) == "bearer ") {
    return std::string(trim(authorization.substr(7)));
  }
  return std::nullopt;
}

}  // namespace glassbox::transport::http_detail
