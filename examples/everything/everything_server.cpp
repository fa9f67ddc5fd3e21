#include "everything_server.hpp"

#include "glassbox/mcp/protocol_revision.hpp"

#include <boost/describe.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::examples {

// Typed tools: their input schemas are derived from these descriptions.
struct AddArgs {
  double a = 0;
  double b = 0;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))

struct SleepArgs {
  std::int64_t ms = 0;
};
BOOST_DESCRIBE_STRUCT(SleepArgs, (), (ms))

namespace {

using json::array;
using json::object;
using mcp::CallToolResult;
using mcp::RequestContext;
using namespace std::chrono_literals;

// The conformance scenarios check the progress and logging notifications arrive *during* the
// call, spaced out: ~50 ms between them, as they specify.
constexpr auto kNotificationSpacing = 50ms;

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

json::value number_value(double v) {
  // Integral sums stay integers on the wire ("5", not "5E0").
  // Range first: converting a double outside int64's range (or NaN) is undefined.
  if (v > -9e15 && v < 9e15 && v == static_cast<double>(static_cast<std::int64_t>(v)))
    return static_cast<std::int64_t>(v);
  return v;
}

object string_property(std::string_view description) {
  return {{"type", "string"}, {"description", description}};
}

object object_schema(object properties, array required = {}) {
  object schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

// Arguments were validated against the tool's schema before the handler runs.
std::string string_arg(const object& args, std::string_view key) {
  const json::string* s = json::find_string(args, key);
  return s ? std::string(*s) : std::string();
}

bool client_declares(const RequestContext& ctx, std::string_view capability) {
  return ctx.client_capabilities().contains(capability);
}

// "accept", {"a":1} -> "action=accept, content={"a":1}"
std::string describe_elicitation(const json::value& result) {
  const object& o = json::as_object_or_empty(result);
  const json::string* action = json::find_string(o, "action");
  const object* content = json::find_object(o, "content");
  return "action=" + std::string(action ? std::string_view(*action) : "unknown") +
         ", content=" + json::serialize(content ? json::value(*content) : json::value(object{}));
}

// Sends elicitation/create and renders the answer with `prefix`; a client that cannot elicit, or
// that fails the request, gets an isError result saying so.
CallToolResult elicit(RequestContext& ctx, std::string_view prefix, std::string message,
                      object requested_schema) {
  if (!client_declares(ctx, "elicitation"))
    return CallToolResult::error("The client does not support elicitation");
  try {
    json::value answer = ctx.elicit(
        {{"message", std::move(message)}, {"requestedSchema", std::move(requested_schema)}});
    return CallToolResult::text(std::string(prefix) + describe_elicitation(answer));
  } catch (const mcp::ProtocolError& e) {
    return CallToolResult::error(std::string("Elicitation failed: ") + e.what());
  }
}

// The text of a sampling answer: content is one block (2025-06-18) or an array of them
// (2025-11-25 with tools).
std::string sampled_text(const json::value& result) {
  const object& o = json::as_object_or_empty(result);
  auto text_of = [](const json::value& block) -> std::string {
    const json::string* t = json::find_string(json::as_object_or_empty(block), "text");
    return t ? std::string(*t) : std::string();
  };
  if (auto it = o.find("content"); it != o.end()) {
    if (it->value().is_object()) return text_of(it->value());
    if (it->value().is_array()) {
      for (const json::value& block : it->value().get_array())
        if (std::string t = text_of(block); !t.empty()) return t;
    }
  }
  return {};
}

void add_content_tools(mcp::Server& server) {
  server.add_tool({.name = "test_simple_text", .description = "Returns one text block"},
                  [](const object&, RequestContext&) {
                    return CallToolResult::text("This is a simple text response for testing.");
                  });

  server.add_tool({.name = "test_image_content", .description = "Returns one PNG image block"},
                  [](const object&, RequestContext&) {
                    CallToolResult result;
                    result.content.emplace_back(mcp::content::image(kTinyPngBase64, "image/png"));
                    return result;
                  });

  server.add_tool({.name = "test_audio_content", .description = "Returns one WAV audio block"},
                  [](const object&, RequestContext&) {
                    CallToolResult result;
                    result.content.emplace_back(mcp::content::audio(kTinyWavBase64, "audio/wav"));
                    return result;
                  });

  server.add_tool(
      {.name = "test_embedded_resource", .description = "Returns one embedded text resource"},
      [](const object&, RequestContext&) {
        CallToolResult result;
        result.content.emplace_back(mcp::content::embedded_text_resource(
            "test://embedded-resource", "This is an embedded resource content.", "text/plain"));
        return result;
      });

  server.add_tool(
      {.name = "test_multiple_content_types",
       .description = "Returns text, image and embedded resource blocks in one result"},
      [](const object&, RequestContext&) {
        CallToolResult result;
        result.content.emplace_back(mcp::content::text("Multiple content types test:"));
        result.content.emplace_back(mcp::content::image(kTinyPngBase64, "image/png"));
        result.content.emplace_back(mcp::content::embedded_text_resource(
            "test://mixed-content-resource",
            json::serialize(object{{"test", "data"}, {"value", 123}}), "application/json"));
        return result;
      });

  server.add_tool(
      {.name = "test_error_handling",
       .description = "Always fails: the failure becomes an isError result"},
      [](const object&, RequestContext&) -> CallToolResult {
        // Thrown, not returned: exercises the dispatcher's exception-to-isError path.
        throw std::runtime_error("This tool intentionally returns an error for testing");
      });
}

void add_notification_tools(mcp::Server& server) {
  server.add_tool({.name = "test_tool_with_logging",
                   .description = "Sends three info log notifications while it runs"},
                  [](const object&, RequestContext& ctx) {
                    ctx.log(mcp::LogLevel::info, "Tool execution started", "everything");
                    std::this_thread::sleep_for(kNotificationSpacing);
                    ctx.log(mcp::LogLevel::info, "Tool processing data", "everything");
                    std::this_thread::sleep_for(kNotificationSpacing);
                    ctx.log(mcp::LogLevel::info, "Tool execution completed", "everything");
                    return CallToolResult::text("Tool with logging executed successfully");
                  });

  server.add_tool(
      {.name = "test_tool_with_progress",
       .description = "Reports progress 0, 50 and 100 of 100 when the request has a progressToken"},
      [](const object&, RequestContext& ctx) {
        for (int step : {0, 50, 100}) {
          ctx.progress(step, 100, "Completed step " + std::to_string(step) + " of 100");
          // Also after the last one: the TypeScript SDK client handles notifications a microtask
          // later than responses, so a progress notification read together with its response
          // finds its handler already gone.
          std::this_thread::sleep_for(kNotificationSpacing);
        }
        return CallToolResult::text("Tool with progress executed successfully");
      });
}

void add_client_request_tools(mcp::Server& server) {
  server.add_tool(
      {.name = "test_sampling",
       .description = "Asks the client's LLM (sampling/createMessage) and returns its answer",
       .input_schema = object_schema({{"prompt", string_property("The prompt to send to the LLM")}},
                                     {"prompt"})},
      [](const object& args, RequestContext& ctx) {
        if (!client_declares(ctx, "sampling"))
          return CallToolResult::error("The client does not support sampling");
        object message{{"role", "user"},
                       {"content", mcp::content::text(string_arg(args, "prompt"))}};
        try {
          json::value answer =
              ctx.create_message({{"messages", array{std::move(message)}}, {"maxTokens", 100}});
          return CallToolResult::text("LLM response: " + sampled_text(answer));
        } catch (const mcp::ProtocolError& e) {
          return CallToolResult::error(std::string("Sampling failed: ") + e.what());
        }
      });

  server.add_tool(
      {.name = "test_elicitation",
       .description = "Asks the user for a username and an email (elicitation/create)",
       .input_schema = object_schema({{"message", string_property("The message to show the user")}},
                                     {"message"})},
      [](const object& args, RequestContext& ctx) {
        object requested = object_schema({{"username", string_property("User's response")},
                                          {"email", string_property("User's email address")}},
                                         {"username", "email"});
        return elicit(ctx, "User response: ", string_arg(args, "message"), std::move(requested));
      });

  server.add_tool(
      {.name = "test_elicitation_sep1034_defaults",
       .description = "Elicits a form whose fields all carry defaults (SEP-1034)"},
      [](const object&, RequestContext& ctx) {
        object properties{
            {"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
            {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
            {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
            {"status",
             {{"type", "string"},
              {"description", "User status"},
              {"enum", {"active", "inactive", "pending"}},
              {"default", "active"}}},
            {"verified",
             {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
        object requested{
            {"type", "object"}, {"properties", std::move(properties)}, {"required", array{}}};
        return elicit(ctx, "Elicitation completed: ",
                      "Please review and update the form fields with defaults",
                      std::move(requested));
      });

  server.add_tool(
      {.name = "test_elicitation_sep1330_enums",
       .description = "Elicits a form with the five enum shapes of SEP-1330"},
      [](const object&, RequestContext& ctx) {
        auto titled = [](std::initializer_list<std::pair<const char*, const char*>> options) {
          array out;
          for (auto [value, title] : options)
            out.push_back(object{{"const", value}, {"title", title}});
          return out;
        };
        object properties{
            {"untitledSingle",
             {{"type", "string"},
              {"description", "Untitled single-select"},
              {"enum", {"option1", "option2", "option3"}}}},
            {"titledSingle",
             {{"type", "string"},
              {"description", "Titled single-select"},
              {"oneOf", titled({{"value1", "First Option"},
                                {"value2", "Second Option"},
                                {"value3", "Third Option"}})}}},
            {"legacyEnum",
             {{"type", "string"},
              {"description", "Legacy titled enum"},
              {"enum", {"opt1", "opt2", "opt3"}},
              {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
            {"untitledMulti",
             {{"type", "array"},
              {"description", "Untitled multi-select"},
              {"items", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}}}},
            {"titledMulti",
             {{"type", "array"},
              {"description", "Titled multi-select"},
              {"items",
               {{"anyOf", titled({{"value1", "First Choice"},
                                  {"value2", "Second Choice"},
                                  {"value3", "Third Choice"}})}}}}}};
        object requested{
            {"type", "object"}, {"properties", std::move(properties)}, {"required", array{}}};
        return elicit(ctx, "Elicitation completed: ", "Please choose options",
                      std::move(requested));
      });
}

void add_schema_and_transport_tools(mcp::Server& server) {
  // SEP-1613: the listing must keep $schema, $defs and additionalProperties as written.
  object address{
      {"type", "object"},
      {"properties", {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}};
  object schema{
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"type", "object"},
      {"$defs", {{"address", std::move(address)}}},
      {"properties", {{"name", {{"type", "string"}}}, {"address", {{"$ref", "#/$defs/address"}}}}},
      {"additionalProperties", false}};
  server.add_tool({.name = "json_schema_2020_12_tool",
                   .description = "Tool with JSON Schema 2020-12 features",
                   .input_schema = std::move(schema)},
                  [](const object& args, RequestContext&) {
                    return CallToolResult::text("Received: " + json::serialize(args));
                  });

  // SEP-2243: an argument mirrored in an Mcp-Param-Region header, which a 2026-07-28 HTTP
  // server checks against the body (http-custom-header-server-validation).
  object region_schema{
      {"type", "object"},
      {"properties",
       {{"region", {{"type", "string"}, {std::string(mcp::kXMcpHeaderAnnotation), "Region"}}}}},
      {"required", json::array{"region"}}};
  server.add_tool(
      {.name = "test_custom_header",
       .description = "Echoes its region, which travels in an Mcp-Param-Region header",
       .input_schema = std::move(region_schema)},
      [](const object& args, RequestContext&) {
        const json::string* region = json::find_string(args, "region");
        return CallToolResult::text("Region: " + std::string(region ? *region : json::string()));
      });

  // SEP-1699 asks the server to close the call's SSE stream mid-call and answer after the client
  // reconnects; closing is the HTTP transport's part, the tool only outlives the disconnect.
  server.add_tool({.name = "test_reconnection",
                   .description = "Answers after a pause, so an HTTP transport can close the "
                                  "call's SSE stream mid-call and resume it (SEP-1699)"},
                  [](const object&, RequestContext&) {
                    std::this_thread::sleep_for(100ms);
                    return CallToolResult::text("Reconnection test completed successfully");
                  });
}

void add_glassbox_tools(mcp::Server& server) {
  server.add_tool(
      {.name = "echo",
       .title = "Echo",
       .description = "Echoes back the message",
       .input_schema =
           object_schema({{"message", string_property("Message to echo")}}, {"message"}),
       .annotations = {{"readOnlyHint", true}, {"idempotentHint", true}, {"openWorldHint", false}}},
      [](const object& args, RequestContext&) {
        return CallToolResult::text("Echo: " + string_arg(args, "message"));
      });

  server.add_tool<AddArgs>(
      {.name = "add",
       .title = "Add",
       .description = "Adds two numbers",
       .output_schema = object_schema({{"sum", {{"type", "number"}}}}, {"sum"}),
       .annotations = {{"readOnlyHint", true}, {"idempotentHint", true}, {"openWorldHint", false}}},
      [](const AddArgs& args, RequestContext&) {
        double sum = args.a + args.b;
        CallToolResult result =
            CallToolResult::text("The sum of " + format_number(args.a) + " and " +
                                 format_number(args.b) + " is " + format_number(sum));
        result.structured_content = object{{"sum", number_value(sum)}};
        return result;
      });

  // Waits without holding a thread hostage to a cancelled call: wakes on cancellation.
  server.add_tool<SleepArgs>(
      {.name = "sleep", .description = "Waits ms milliseconds, or until the call is cancelled"},
      [](const SleepArgs& args, RequestContext& ctx) {
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        cv.wait_for(lock, ctx.stop_token(), std::chrono::milliseconds(args.ms),
                    [] { return false; });
        return ctx.cancelled() ? CallToolResult::error("Cancelled")
                               : CallToolResult::text("Slept " + std::to_string(args.ms) + " ms");
      });
}

struct WatchedResource {
  std::mutex mutex;
  int version = 0;

  std::string text() {
    std::lock_guard lock(mutex);
    if (version == 0) return "Watched resource content";
    return "Watched resource content, version " + std::to_string(version);
  }
};

void add_resources(mcp::Server& server) {
  server.add_resource({.uri = "test://static-text",
                       .name = "static-text",
                       .title = "Static text",
                       .description = "A static text resource",
                       .mime_type = "text/plain"},
                      [](const std::string& uri, RequestContext&) {
                        return std::vector<mcp::ResourceContents>{
                            {.uri = uri,
                             .mime_type = "text/plain",
                             .text = "This is the content of the static text resource."}};
                      });

  server.add_resource(
      {.uri = "test://static-binary",
       .name = "static-binary",
       .title = "Static binary",
       .description = "A static binary resource (a 1x1 PNG)",
       .mime_type = "image/png"},
      [](const std::string& uri, RequestContext&) {
        return std::vector<mcp::ResourceContents>{
            {.uri = uri, .mime_type = "image/png", .blob = std::string(kTinyPngBase64)}};
      });

  server.add_resource_template(
      {.uri_template = "test://template/{id}/data",
       .name = "template-data",
       .title = "Data by id",
       .description = "A JSON document for any id",
       .mime_type = "application/json"},
      [](const std::string& uri, const std::map<std::string, std::string>& variables,
         RequestContext&) {
        auto it = variables.find("id");
        std::string id = it == variables.end() ? std::string() : it->second;
        object data{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
        return std::vector<mcp::ResourceContents>{
            {.uri = uri, .mime_type = "application/json", .text = json::serialize(data)}};
      });

  auto watched = std::make_shared<WatchedResource>();
  server.add_resource(
      {.uri = std::string(kWatchedResourceUri),
       .name = "watched-resource",
       .title = "Watched resource",
       .description = "A resource to subscribe to; update_watched_resource changes it",
       .mime_type = "text/plain"},
      [watched](const std::string& uri, RequestContext&) {
        return std::vector<mcp::ResourceContents>{
            {.uri = uri, .mime_type = "text/plain", .text = watched->text()}};
      });
  server.add_tool({.name = "update_watched_resource",
                   .description = "Changes test://watched-resource and notifies its subscribers"},
                  [watched, &server](const object&, RequestContext&) {
                    int version;
                    {
                      std::lock_guard lock(watched->mutex);
                      version = ++watched->version;
                    }
                    server.notify_resource_updated(std::string(kWatchedResourceUri));
                    return CallToolResult::text("Updated to version " + std::to_string(version));
                  });
}

mcp::GetPromptResult user_messages(std::string description, std::vector<object> contents) {
  mcp::GetPromptResult result{.description = std::move(description)};
  for (object& content : contents) result.messages.push_back({"user", std::move(content)});
  return result;
}

void add_prompts(mcp::Server& server) {
  server.add_prompt({.name = "test_simple_prompt", .description = "A prompt without arguments"},
                    [](const std::map<std::string, std::string>&, RequestContext&) {
                      return user_messages(
                          "A simple prompt",
                          {mcp::content::text("This is a simple prompt for testing.")});
                    });

  server.add_prompt({.name = "test_prompt_with_arguments",
                     .description = "A prompt with two required arguments",
                     .arguments = {{"arg1", "First test argument", true},
                                   {"arg2", "Second test argument", true}}},
                    [](const std::map<std::string, std::string>& args, RequestContext&) {
                      auto arg = [&](const char* name) {
                        auto it = args.find(name);
                        return it == args.end() ? std::string() : it->second;
                      };
                      return user_messages(
                          "A prompt with arguments",
                          {mcp::content::text("Prompt with arguments: arg1='" + arg("arg1") +
                                              "', arg2='" + arg("arg2") + "'")});
                    });

  server.add_prompt({.name = "test_prompt_with_embedded_resource",
                     .description = "A prompt that embeds a resource",
                     .arguments = {{"resourceUri", "URI of the resource to embed", true}}},
                    [](const std::map<std::string, std::string>& args, RequestContext&) {
                      auto it = args.find("resourceUri");
                      std::string uri = it == args.end() ? std::string() : it->second;
                      return user_messages(
                          "A prompt with an embedded resource",
                          {mcp::content::embedded_text_resource(
                               uri, "Embedded resource content for testing.", "text/plain"),
                           mcp::content::text("Please process the embedded resource above.")});
                    });

  server.add_prompt({.name = "test_prompt_with_image", .description = "A prompt with an image"},
                    [](const std::map<std::string, std::string>&, RequestContext&) {
                      return user_messages("A prompt with an image",
                                           {mcp::content::image(kTinyPngBase64, "image/png"),
                                            mcp::content::text("Please analyze the image above.")});
                    });
}

// Values offered for prompt arguments and template variables, filtered by the typed prefix.
mcp::CompletionResult complete(const mcp::CompletionRequest& request, RequestContext&) {
  static const std::vector<std::string> kPromptValues = {"paris", "park",       "party",
                                                         "test",  "testValue1", "testValue2"};
  static const std::vector<std::string> kIdValues = {"1", "2", "3", "42", "123"};
  const json::string* type = json::find_string(request.ref, "type");
  const std::vector<std::string>* candidates = nullptr;
  if (type && *type == "ref/prompt") {
    const json::string* name = json::find_string(request.ref, "name");
    if (name && *name == "test_prompt_with_arguments" &&
        (request.argument_name == "arg1" || request.argument_name == "arg2"))
      candidates = &kPromptValues;
  } else if (type && *type == "ref/resource") {
    const json::string* uri = json::find_string(request.ref, "uri");
    if (uri && *uri == "test://template/{id}/data" && request.argument_name == "id")
      candidates = &kIdValues;
  }
  mcp::CompletionResult result;
  if (!candidates) return result;
  for (const std::string& value : *candidates)
    if (value.starts_with(request.argument_value)) result.values.push_back(value);
  result.total = static_cast<std::int64_t>(result.values.size());
  return result;
}

}  // namespace

mcp::ServerOptions everything_server_options() {
  return {.name = "glassbox-everything",
          .version = "0.1.0",
          .title = "glassbox everything server",
          .instructions = "Every MCP feature, as the conformance suite checks it."};
}

void add_everything_fixtures(mcp::Server& server) {
  add_content_tools(server);
  add_notification_tools(server);
  add_client_request_tools(server);
  add_schema_and_transport_tools(server);
  add_glassbox_tools(server);
  add_resources(server);
  add_prompts(server);
  add_input_required_fixtures(server);
  server.set_completion_handler(complete);
}

}  // namespace glassbox::examples
