#include "glassbox/mcp/types.hpp"

#include <algorithm>

namespace glassbox::mcp {
namespace {

void put_if(json::object& o, std::string_view key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}
void put_if(json::object& o, std::string_view key, const json::object& v) {
  if (!v.empty()) o[key] = v;
}
std::string str(const json::object& o, std::string_view key) {
  const json::string* s = json::find_string(o, key);
  return s ? std::string(*s) : std::string();
}
json::object obj(const json::object& o, std::string_view key) {
  const json::object* v = json::find_object(o, key);
  return v ? *v : json::object();
}

}  // namespace

bool is_supported_protocol_version(std::string_view version) {
  return std::find(kSupportedProtocolVersions.begin(), kSupportedProtocolVersions.end(), version) !=
         kSupportedProtocolVersions.end();
}

json::object Implementation::to_json() const {
  json::object o{{"name", name}, {"version", version}};
  put_if(o, "title", title);
  return o;
}
Implementation Implementation::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  return {str(o, "name"), str(o, "version"), str(o, "title")};
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
  json::object o{{"name", name}};
  put_if(o, "title", title);
  put_if(o, "description", description);
  o["inputSchema"] = input_schema;
  if (output_schema) o["outputSchema"] = *output_schema;
  put_if(o, "annotations", annotations);
  put_if(o, "_meta", meta);
  return o;
}
Tool Tool::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  Tool t;
  t.name = str(o, "name");
  t.title = str(o, "title");
  t.description = str(o, "description");
  t.input_schema = obj(o, "inputSchema");
  if (const json::object* s = json::find_object(o, "outputSchema")) t.output_schema = *s;
  t.annotations = obj(o, "annotations");
  t.meta = obj(o, "_meta");
  return t;
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
json::object CallToolResult::to_json() const {
  json::object o{{"content", content}};
  if (structured_content) o["structuredContent"] = *structured_content;
  if (is_error) o["isError"] = true;
  put_if(o, "_meta", meta);
  return o;
}
CallToolResult CallToolResult::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  CallToolResult r;
  if (const json::array* c = json::find_array(o, "content")) r.content = *c;
  if (auto it = o.find("structuredContent"); it != o.end()) r.structured_content = it->value();
  r.is_error = json::find_bool(o, "isError").value_or(false);
  r.meta = obj(o, "_meta");
  return r;
}

json::object Resource::to_json() const {
  json::object o{{"uri", uri}, {"name", name}};
  put_if(o, "title", title);
  put_if(o, "description", description);
  put_if(o, "mimeType", mime_type);
  if (size) o["size"] = *size;
  put_if(o, "annotations", annotations);
  return o;
}
Resource Resource::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  Resource r;
  r.uri = str(o, "uri");
  r.name = str(o, "name");
  r.title = str(o, "title");
  r.description = str(o, "description");
  r.mime_type = str(o, "mimeType");
  r.size = json::find_int(o, "size");
  r.annotations = obj(o, "annotations");
  return r;
}

json::object ResourceTemplate::to_json() const {
  json::object o{{"uriTemplate", uri_template}, {"name", name}};
  put_if(o, "title", title);
  put_if(o, "description", description);
  put_if(o, "mimeType", mime_type);
  return o;
}
ResourceTemplate ResourceTemplate::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  return {str(o, "uriTemplate"), str(o, "name"), str(o, "title"), str(o, "description"),
          str(o, "mimeType")};
}

json::object ResourceContents::to_json() const {
  json::object o{{"uri", uri}};
  put_if(o, "mimeType", mime_type);
  if (text) o["text"] = *text;
  if (blob) o["blob"] = *blob;
  return o;
}
ResourceContents ResourceContents::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  ResourceContents c;
  c.uri = str(o, "uri");
  c.mime_type = str(o, "mimeType");
  if (const json::string* t = json::find_string(o, "text")) c.text = std::string(*t);
  if (const json::string* b = json::find_string(o, "blob")) c.blob = std::string(*b);
  return c;
}

json::object ReadResourceResult::to_json() const {
  json::array a;
  for (const auto& c : contents) a.push_back(c.to_json());
  json::object o{{"contents", std::move(a)}};
  put_if(o, "_meta", meta);
  return o;
}
ReadResourceResult ReadResourceResult::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  ReadResourceResult r;
  if (const json::array* a = json::find_array(o, "contents")) {
    for (const auto& c : *a) r.contents.push_back(ResourceContents::from_json(c));
  }
  r.meta = obj(o, "_meta");
  return r;
}

json::object Prompt::to_json() const {
  json::object o{{"name", name}};
  put_if(o, "title", title);
  put_if(o, "description", description);
  if (!arguments.empty()) {
    json::array args;
    for (const auto& a : arguments) {
      json::object arg{{"name", a.name}};
      put_if(arg, "description", a.description);
      if (a.required) arg["required"] = true;
      args.push_back(std::move(arg));
    }
    o["arguments"] = std::move(args);
  }
  return o;
}
Prompt Prompt::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  Prompt p;
  p.name = str(o, "name");
  p.title = str(o, "title");
  p.description = str(o, "description");
  if (const json::array* args = json::find_array(o, "arguments")) {
    for (const auto& a : *args) {
      const json::object& ao = json::as_object_or_empty(a);
      p.arguments.push_back({str(ao, "name"), str(ao, "description"),
                             json::find_bool(ao, "required").value_or(false)});
    }
  }
  return p;
}

json::object GetPromptResult::to_json() const {
  json::array msgs;
  for (const auto& m : messages)
    msgs.push_back(json::object{{"role", m.role}, {"content", m.content}});
  json::object o{{"messages", std::move(msgs)}};
  put_if(o, "description", description);
  return o;
}
GetPromptResult GetPromptResult::from_json(const json::value& v) {
  const json::object& o = json::as_object_or_empty(v);
  GetPromptResult r;
  r.description = str(o, "description");
  if (const json::array* msgs = json::find_array(o, "messages")) {
    for (const auto& m : *msgs) {
      const json::object& mo = json::as_object_or_empty(m);
      r.messages.push_back({str(mo, "role"), obj(mo, "content")});
    }
  }
  return r;
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
