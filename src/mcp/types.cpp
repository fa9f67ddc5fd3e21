#include "glassbox/mcp/types.hpp"

#include "mcp/wire_struct.hpp"

#include <algorithm>

namespace glassbox::mcp {

// The wire shapes (wire_struct.hpp): the members each type lists, in the order they go out,
// and the ones the spec requires even when empty.
BOOST_DESCRIBE_STRUCT(Implementation, (), (name, version, title))
constexpr bool always_written(const Implementation*, std::string_view m) {
  return m == "name" || m == "version";
}
BOOST_DESCRIBE_STRUCT(Tool, (),
                      (name, title, description, input_schema, output_schema, annotations, meta))
constexpr bool always_written(const Tool*, std::string_view m) {
  return m == "name" || m == "input_schema";
}
BOOST_DESCRIBE_STRUCT(CallToolResult, (), (content, structured_content, is_error, meta))
constexpr bool always_written(const CallToolResult*, std::string_view m) {
  return m == "content";
}
BOOST_DESCRIBE_STRUCT(Resource, (), (uri, name, title, description, mime_type, size, annotations))
constexpr bool always_written(const Resource*, std::string_view m) {
  return m == "uri" || m == "name";
}
BOOST_DESCRIBE_STRUCT(ResourceTemplate, (), (uri_template, name, title, description, mime_type))
constexpr bool always_written(const ResourceTemplate*, std::string_view m) {
  return m == "uri_template" || m == "name";
}
BOOST_DESCRIBE_STRUCT(ResourceContents, (), (uri, mime_type, text, blob))
constexpr bool always_written(const ResourceContents*, std::string_view m) {
  return m == "uri";
}
BOOST_DESCRIBE_STRUCT(ReadResourceResult, (), (contents, meta))
constexpr bool always_written(const ReadResourceResult*, std::string_view m) {
  return m == "contents";
}
BOOST_DESCRIBE_STRUCT(PromptArgument, (), (name, description, required))
constexpr bool always_written(const PromptArgument*, std::string_view m) {
  return m == "name";
}
BOOST_DESCRIBE_STRUCT(Prompt, (), (name, title, description, arguments))
constexpr bool always_written(const Prompt*, std::string_view m) {
  return m == "name";
}
BOOST_DESCRIBE_STRUCT(PromptMessage, (), (role, content))
constexpr bool always_written(const PromptMessage*, std::string_view m) {
  return m == "role" || m == "content";
}
// messages first: the order answers have always had.
BOOST_DESCRIBE_STRUCT(GetPromptResult, (), (messages, description))
constexpr bool always_written(const GetPromptResult*, std::string_view m) {
  return m == "messages";
}

bool is_supported_protocol_version(std::string_view version) {
  return std::find(kSupportedProtocolVersions.begin(), kSupportedProtocolVersions.end(), version) !=
         kSupportedProtocolVersions.end();
}

json::object Implementation::to_json() const {
  return wire::to_object(*this);
}
Implementation Implementation::from_json(const json::value& v) {
  return wire::from_object<Implementation>(json::as_object_or_empty(v));
}

namespace content {
json::object text(std::string_view text) {
  return {{"type", "text"}, {"text", text}};
}
json::object image(std::string_view data, std::string_view mime_type) {
  return {{"type", "image"}, {"data", data}, {"mimeType", mime_type}};
}
json::object audio(std::string_view data, std::string_view mime_type) {
  return {{"type", "audio"}, {"data", data}, {"mimeType", mime_type}};
}
json::object embedded_text_resource(std::string_view uri, std::string_view text,
                                    std::string_view mime_type) {
  return {{"type", "resource"},
          {"resource", {{"uri", uri}, {"mimeType", mime_type}, {"text", text}}}};
}
json::object embedded_blob_resource(std::string_view uri, std::string_view blob,
                                    std::string_view mime_type) {
  return {{"type", "resource"},
          {"resource", {{"uri", uri}, {"mimeType", mime_type}, {"blob", blob}}}};
}
json::object resource_link(std::string_view uri, std::string_view name,
                           std::string_view mime_type) {
  json::object o{{"type", "resource_link"}, {"uri", uri}, {"name", name}};
  if (!mime_type.empty()) o["mimeType"] = mime_type;
  return o;
}
}  // namespace content

json::object Tool::to_json() const {
  return wire::to_object(*this);
}
Tool Tool::from_json(const json::value& v) {
  return wire::from_object<Tool>(json::as_object_or_empty(v));
}

CallToolResult CallToolResult::text(std::string_view text) {
  CallToolResult r;
  r.content.push_back(content::text(text));
  return r;
}
CallToolResult CallToolResult::error(std::string_view message) {
  CallToolResult r = text(message);
  r.is_error = true;
  return r;
}
CallToolResult CallToolResult::structured(json::value value) {
  CallToolResult r = text(json::serialize(value));
  r.structured_content = std::move(value);
  return r;
}
json::object CallToolResult::to_json() const {
  return wire::to_object(*this);
}
CallToolResult CallToolResult::from_json(const json::value& v) {
  return wire::from_object<CallToolResult>(json::as_object_or_empty(v));
}

json::object Resource::to_json() const {
  return wire::to_object(*this);
}
Resource Resource::from_json(const json::value& v) {
  return wire::from_object<Resource>(json::as_object_or_empty(v));
}

json::object ResourceTemplate::to_json() const {
  return wire::to_object(*this);
}
ResourceTemplate ResourceTemplate::from_json(const json::value& v) {
  return wire::from_object<ResourceTemplate>(json::as_object_or_empty(v));
}

json::object ResourceContents::to_json() const {
  return wire::to_object(*this);
}
ResourceContents ResourceContents::from_json(const json::value& v) {
  return wire::from_object<ResourceContents>(json::as_object_or_empty(v));
}

json::object ReadResourceResult::to_json() const {
  return wire::to_object(*this);
}
ReadResourceResult ReadResourceResult::from_json(const json::value& v) {
  return wire::from_object<ReadResourceResult>(json::as_object_or_empty(v));
}

json::object Prompt::to_json() const {
  return wire::to_object(*this);
}
Prompt Prompt::from_json(const json::value& v) {
  return wire::from_object<Prompt>(json::as_object_or_empty(v));
}

json::object GetPromptResult::to_json() const {
  return wire::to_object(*this);
}
GetPromptResult GetPromptResult::from_json(const json::value& v) {
  return wire::from_object<GetPromptResult>(json::as_object_or_empty(v));
}

json::object CompletionResult::to_json() const {
  constexpr std::size_t kMaxValues = 100;  // the spec's cap per response
  json::array vals;
  for (std::size_t i = 0; i < values.size() && i < kMaxValues; ++i) vals.emplace_back(values[i]);
  json::object c{{"values", std::move(vals)}};
  if (total) c["total"] = *total;
  c["hasMore"] = has_more || values.size() > kMaxValues;
  return {{"completion", std::move(c)}};
}

std::string_view to_string(LogLevel level) {
  static constexpr std::string_view kNames[] = {"debug", "info",     "notice", "warning",
                                                "error", "critical", "alert",  "emergency"};
  return kNames[static_cast<int>(level)];
}
std::optional<LogLevel> log_level_from_string(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(LogLevel::emergency); ++i) {
    if (to_string(static_cast<LogLevel>(i)) == s) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

}  // namespace glassbox::mcp
