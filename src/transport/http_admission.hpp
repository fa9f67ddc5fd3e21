// Request admission of the Streamable HTTP server's MCP endpoint (private to src/transport):
// what a request must carry before it reaches a session. The framing and Host/Origin screens
// are http_guard's (shared with the collector) and run first; these are the endpoint's own
// rules, in the order the server applies them. Each refusal is the HTTP status and the JSON-RPC
// error body the server answers with.
//
// Threads: pure functions, no shared state.
#pragma once

#include "glassbox/jsonrpc/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace glassbox::transport::http_detail {

// A JSON-RPC error response without an id, as the body of an HTTP error answer.
std::string error_body(int code, std::string_view message);

struct Refusal {
  int status = 400;  // HTTP
  std::string body;  // a JSON-RPC error response (application/json)
};
Refusal refusal(int status, int code, std::string_view message);

// POST: 415 unless Content-Type is application/json; 406 unless Accept lists both
// application/json and text/event-stream; 400 for a batch (gone from the protocol since
// 2025-06-18) or a body that is no JSON-RPC message (the body then carries the parse error).
std::variant<jsonrpc::Message, Refusal> admit_post(std::string_view content_type,
                                                   std::string_view accept, std::string_view body);

// GET: 406 unless Accept lists text/event-stream.
std::optional<Refusal> admit_get(std::string_view accept);

bool version_supported(const std::vector<std::string>& supported, std::string_view version);

// The protocol version a POST runs under: its MCP-Protocol-Version header (nullopt: absent),
// which must be supported unless the request is initialize (400), or, after initialize
// without the header, the fallback the transport specification names (2025-03-26).
std::variant<std::optional<std::string>, Refusal> post_protocol_version(
    std::optional<std::string_view> header, bool is_initialize,
    const std::vector<std::string>& supported);

// GET: an MCP-Protocol-Version header, when present, must be supported (400).
std::optional<Refusal> admit_get_protocol_version(std::optional<std::string_view> header,
                                                  const std::vector<std::string>& supported);

// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

}  // namespace glassbox::transport::http_detail
