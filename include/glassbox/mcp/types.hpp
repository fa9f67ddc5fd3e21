// MCP protocol types (protocol 2025-11-25; 2025-06-18 and 2025-03-26 negotiated). Value types:
// copy and move them freely between threads. to_json/from_json give the exact wire shapes.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/jsonrpc/message.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace glassbox::mcp {

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
inline constexpr std::array<std::string_view, 3> kSupportedProtocolVersions = {
    "2025-11-25", "2025-06-18", "2025-03-26"};
bool is_supported_protocol_version(std::string_view version);

// A request's outcome: its result, or the protocol error that answers it.
using Outcome = std::variant<json::value, jsonrpc::Error>;
inline bool ok(const Outcome& o) {
  return o.index() == 0;
}

// Thrown by the client API when the peer answers with a JSON-RPC error (or the call times out,
// or the connection closes). Inside a server handler, throwing it answers with that error.
class ProtocolError : public std::runtime_error {
 public:
  explicit ProtocolError(jsonrpc::Error error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const jsonrpc::Error& error() const { return error_; }

 private:
  jsonrpc::Error error_;
};

struct Implementation {
  std::string name;
  std::string version;
  std::string title;  // optional
  json::object to_json() const;
  static Implementation from_json(const json::value& v);
};

// Content blocks (text, image, audio, resource, resource_link) are kept as JSON objects; these
// build the exact shapes.
namespace content {
json::object text(std::string_view text);
json::object image(std::string_view base64_data, std::string_view mime_type);
json::object audio(std::string_view base64_data, std::string_view mime_type);
json::object embedded_text_resource(std::string_view uri, std::string_view text,
                                    std::string_view mime_type = "text/plain");
json::object embedded_blob_resource(std::string_view uri, std::string_view base64_blob,
                                    std::string_view mime_type);
json::object resource_link(std::string_view uri, std::string_view name,
                           std::string_view mime_type = {});
}  // namespace content

// ---- tools ----

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json::object input_schema = {{"type", "object"}};
  std::optional<json::object> output_schema;
  json::object annotations;  // readOnlyHint, destructiveHint, idempotentHint, openWorldHint, title
  json::object meta;
  json::object to_json() const;
  static Tool from_json(const json::value& v);
};

struct CallToolResult {
  json::array content;
  std::optional<json::value> structured_content;
  bool is_error = false;
  json::object meta;

  static CallToolResult text(std::string_view text);
  static CallToolResult error(std::string_view message);  // isError: true, one text block
  // structuredContent, and the same JSON serialized in one text block for clients that read
  // only content (the 2025-11-25 spec's advice for compatibility).
  static CallToolResult structured(json::value value);
  json::object to_json() const;
  static CallToolResult from_json(const json::value& v);
  // The same, taking content, structuredContent and _meta out of `v` instead of copying them.
  static CallToolResult from_json(json::value&& v);
};

struct ListToolsResult {
  std::vector<Tool> tools;
  std::optional<std::string> next_cursor;
};

// ---- resources ----

struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::optional<std::int64_t> size;
  json::object annotations;
  json::object to_json() const;
  static Resource from_json(const json::value& v);
};

struct ResourceTemplate {
  std::string uri_template;  // RFC 6570 level 1: "test://template/{id}/data"
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  json::object to_json() const;
  static ResourceTemplate from_json(const json::value& v);
};

struct ResourceContents {
  std::string uri;
  std::string mime_type;
  std::optional<std::string> text;
  std::optional<std::string> blob;  // base64
  json::object to_json() const;
  static ResourceContents from_json(const json::value& v);
};

struct ReadResourceResult {
  std::vector<ResourceContents> contents;
  json::object meta;
  json::object to_json() const;
  static ReadResourceResult from_json(const json::value& v);
};

// ---- prompts ----

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  json::object to_json() const;
  static Prompt from_json(const json::value& v);
};

struct PromptMessage {
  std::string role;  // "user" | "assistant"
  json::object content;
};

struct GetPromptResult {
  std::string description;
  std::vector<PromptMessage> messages;
  json::object to_json() const;
  static GetPromptResult from_json(const json::value& v);
};

// ---- completion ----

struct CompletionRequest {
  json::object ref;  // {"type":"ref/prompt","name":..} or {"type":"ref/resource","uri":..}
  std::string argument_name;
  std::string argument_value;
  std::map<std::string, std::string> context_arguments;
};

struct CompletionResult {
  std::vector<std::string> values;  // at most 100 go on the wire
  std::optional<std::int64_t> total;
  bool has_more = false;
  json::object to_json() const;  // {"completion": {...}}
  static CompletionResult from_json(const json::value& v);
};

// ---- logging ----

enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency };
std::string_view to_string(LogLevel level);
std::optional<LogLevel> log_level_from_string(std::string_view s);

// ---- initialize ----

struct InitializeResult {
  std::string protocol_version;
  json::object capabilities;
  Implementation server_info;
  std::string instructions;
  json::object raw;  // the result as received, including keys this version does not model
};

}  // namespace glassbox::mcp
