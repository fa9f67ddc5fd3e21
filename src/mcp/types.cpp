#include "glassbox/mcp/types.hpp"

#include "mcp/wire_struct.hpp"

#include <algorithm>

namespace glassbox::mcp {

// The wire shapes (wire_struct.hpp): the members each type lists, in the order they go out,
// then the ones the spec requires even when empty.
#define GLASSBOX_WIRE_SHAPE(Type, members, ...)                         \
  BOOST_DESCRIBE_STRUCT(Type, (), members)                              \
  constexpr bool always_written(const Type*, std::string_view member) { \
    for (std::string_view required : {__VA_ARGS__})                     \
      if (member == required) return true;                              \
    return false;                                                       \
  }

GLASSBOX_WIRE_SHAPE(Implementation, (name, version, title), "name", "version")
GLASSBOX_WIRE_SHAPE(Tool,
                    (name, title, description, input_schema, output_schema, annotations, meta),
                    "name", "input_schema")
GLASSBOX_WIRE_SHAPE(CallToolResult, (content, structured_content, is_error, meta), "content")
GLASSBOX_WIRE_SHAPE(Resource, (uri, name, title, description, mime_type, size, annotations), "uri",
                    "name")
GLASSBOX_WIRE_SHAPE(ResourceTemplate, (uri_template, name, title, description, mime_type),
                    "uri_template", "name")
GLASSBOX_WIRE_SHAPE(ResourceContents, (uri, mime_type, text, blob), "uri")
GLASSBOX_WIRE_SHAPE(ReadResourceResult, (contents, meta), "contents")
GLASSBOX_WIRE_SHAPE(PromptArgument, (name, description, required), "name")
GLASSBOX_WIRE_SHAPE(Prompt, (name, title, description, arguments), "name")
GLASSBOX_WIRE_SHAPE(PromptMessage, (role, content), "role", "content")
// messages first: the order answers have always had.
GLASSBOX_WIRE_SHAPE(GetPromptResult, (messages, description), "messages")
// The members of result.completion.
GLASSBOX_WIRE_SHAPE(CompletionResult, (values, total, has_more), "values", "has_more")

// to_json and from_json of a described type: the same two lines for every one of them.
#define GLASSBOX_WIRE_CONVERSIONS(Type)                          \
  json::object Type::to_json() const {                           \
    return wire::to_object(*this);                               \
  }                                                              \
  Type Type::from_json(const json::value& v) {                   \
    return wire::from_object<Type>(json::as_object_or_empty(v)); \
  }

GLASSBOX_WIRE_CONVERSIONS(Implementation)
GLASSBOX_WIRE_CONVERSIONS(Tool)
GLASSBOX_WIRE_CONVERSIONS(CallToolResult)
GLASSBOX_WIRE_CONVERSIONS(Resource)
GLASSBOX_WIRE_CONVERSIONS(ResourceTemplate)
GLASSBOX_WIRE_CONVERSIONS(ResourceContents)
GLASSBOX_WIRE_CONVERSIONS(ReadResourceResult)
GLASSBOX_WIRE_CONVERSIONS(Prompt)
GLASSBOX_WIRE_CONVERSIONS(GetPromptResult)
#undef GLASSBOX_WIRE_CONVERSIONS

CallToolResult CallToolResult::from_json(json::value&& v) {
  if (json::object* o = v.if_object()) return wire::from_object<CallToolResult>(std::move(*o));
  return CallToolResult{};
}
#undef GLASSBOX_WIRE_SHAPE

bool is_supported_protocol_version(std::string_view version) {
  return std::find(kSupportedProtocolVersions.begin(), kSupportedProtocolVersions.end(), version) !=
         kSupportedProtocolVersions.end();
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
json::object CompletionResult::to_json() const {
  constexpr std::size_t kMaxValues = 100;  // the spec's cap per response
  if (values.size() <= kMaxValues) return {{"completion", wire::to_object(*this)}};
  CompletionResult capped{
      .values = {values.begin(), values.begin() + kMaxValues}, .total = total, .has_more = true};
  return {{"completion", wire::to_object(capped)}};
}
CompletionResult CompletionResult::from_json(const json::value& v) {
  const json::object* completion = json::find_object(json::as_object_or_empty(v), "completion");
  return completion ? wire::from_object<CompletionResult>(*completion) : CompletionResult{};
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
