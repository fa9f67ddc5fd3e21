// The multi round-trip fixtures of the conformance suite 0.2.0-alpha.12 (SEP-2322, scenarios
// input-required-result-*): each asks the client through the ordinary RequestContext calls, so
// the same tool asks with a server-to-client request in 2025-11-25 and answers with an
// InputRequiredResult in 2026-07-28.
#include "everything_server.hpp"

namespace glassbox::examples {
namespace {

using json::array;
using json::object;
using mcp::CallToolResult;
using mcp::RequestContext;

object string_question(std::string message, std::string_view field) {
  return {{"message", std::move(message)},
          {"requestedSchema",
           {{"type", "object"},
            {"properties", {{field, {{"type", "string"}}}}},
            {"required", array{field}}}}};
}

object sampling_question(std::string text, int max_tokens) {
  return {{"messages", array{object{{"role", "user"},
                                    {"content", {{"type", "text"}, {"text", std::move(text)}}}}}},
          {"maxTokens", max_tokens}};
}

// The accepted elicitation's content[field], or "" when declined or absent.
std::string answered(const json::value& answer, std::string_view field) {
  const object* content = json::find_object(json::as_object_or_empty(answer), "content");
  const json::string* value = content ? json::find_string(*content, field) : nullptr;
  return value ? std::string(*value) : std::string();
}

std::string sampled(const json::value& answer) {
  const json::value* content = json::as_object_or_empty(answer).if_contains("content");
  if (content && content->is_object()) {
    if (const json::string* t = json::find_string(content->get_object(), "text"))
      return std::string(*t);
  }
  return {};
}

object no_arguments() {
  return {{"type", "object"}, {"properties", object{}}};
}

}  // namespace

void add_input_required_fixtures(mcp::Server& server) {
  server.add_tool({.name = "test_input_required_result_elicitation",
                   .description = "Asks the user's name, then greets them",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    json::value a =
                        ctx.elicit(string_question("What is your name?", "name"), "user_name");
                    return CallToolResult::text("Hello, " + answered(a, "name") + "!");
                  });
  server.add_tool({.name = "test_input_required_result_sampling",
                   .description = "Asks the client's model a question",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    json::value a =
                        ctx.create_message(sampling_question("What is the capital of France?", 100),
                                           "capital_question");
                    return CallToolResult::text("The model said: " + sampled(a));
                  });
  server.add_tool(
      {.name = "test_input_required_result_list_roots",
       .description = "Lists the client's roots",
       .input_schema = no_arguments()},
      [](const object&, RequestContext& ctx) {
        json::value a = ctx.list_roots("client_roots");
        const json::array* roots = json::find_array(json::as_object_or_empty(a), "roots");
        std::string text = "Roots:";
        for (const json::value& r : roots ? *roots : json::array{}) {
          const json::string* uri = json::find_string(json::as_object_or_empty(r), "uri");
          if (uri) text += " " + std::string(*uri);
        }
        return CallToolResult::text(text);
      });
  server.add_tool({.name = "test_input_required_result_request_state",
                   .description = "Asks for a confirmation; the answer travels in requestState",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    ctx.elicit({{"message", "Please confirm"},
                                {"requestedSchema",
                                 {{"type", "object"},
                                  {"properties", {{"ok", {{"type", "boolean"}}}}},
                                  {"required", array{"ok"}}}}},
                               "confirm");
                    // Reached only with a verified state (or the answer in this very request).
                    return CallToolResult::text("state-ok");
                  });
  server.add_tool(
      {.name = "test_input_required_result_multiple_inputs",
       .description = "Asks three questions at once (elicitation, sampling, roots)",
       .input_schema = no_arguments()},
      [](const object&, RequestContext& ctx) {
        object answers = ctx.request_all(
            {{"user_name", "elicitation/create", string_question("What is your name?", "name")},
             {"greeting", "sampling/createMessage", sampling_question("Generate a greeting", 50)},
             {"client_roots", "roots/list", {}}});
        return CallToolResult::text("Got " + std::to_string(answers.size()) + " answers, name " +
                                    answered(answers["user_name"], "name"));
      });
  server.add_tool(
      {.name = "test_input_required_result_multi_round",
       .description = "Asks two questions, one after the other",
       .input_schema = no_arguments()},
      [](const object&, RequestContext& ctx) {
        json::value name =
            ctx.elicit(string_question("Step 1: What is your name?", "name"), "step1");
        json::value color =
            ctx.elicit(string_question("Step 2: What is your favorite color?", "color"), "step2");
        return CallToolResult::text(answered(name, "name") + " likes " + answered(color, "color"));
      });
  server.add_tool({.name = "test_input_required_result_tampered_state",
                   .description = "Asks a question; its requestState is HMAC-sealed",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    ctx.elicit(string_question("Anything to add?", "note"), "note");
                    return CallToolResult::text("state verified");
                  });
  server.add_tool({.name = "test_input_required_result_capabilities",
                   .description = "Asks only what the client declared it can answer",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    object caps = ctx.client_capabilities();
                    std::vector<mcp::InputRequest> questions;
                    if (caps.contains("elicitation"))
                      questions.push_back({"user_name", "elicitation/create",
                                           string_question("What is your name?", "name")});
                    if (caps.contains("sampling"))
                      questions.push_back({"greeting", "sampling/createMessage",
                                           sampling_question("Generate a greeting", 50)});
                    if (caps.contains("roots"))
                      questions.push_back({"client_roots", "roots/list", {}});
                    object answers = ctx.request_all(std::move(questions));
                    return CallToolResult::text("Answered: " + std::to_string(answers.size()));
                  });
  // The server-stateless scenario's diagnostics.
  server.add_tool({.name = "test_missing_capability",
                   .description = "Needs sampling: -32021 for a client that did not declare it",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    json::value a =
                        ctx.create_message(sampling_question("Say something", 20), "say");
                    return CallToolResult::text("The model said: " + sampled(a));
                  });
  server.add_tool({.name = "test_streaming_elicitation",
                   .description = "Reports progress, then asks the user a question",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    ctx.progress(0, 1, "asking");
                    json::value a =
                        ctx.elicit(string_question("What is your name?", "name"), "user_name");
                    return CallToolResult::text("Hello, " + answered(a, "name") + "!");
                  });
  server.add_tool({.name = "test_logging_tool",
                   .description = "Logs one message at info level, then answers",
                   .input_schema = no_arguments()},
                  [](const object&, RequestContext& ctx) {
                    ctx.log(mcp::LogLevel::info, "test_logging_tool ran", "everything");
                    return CallToolResult::text("logged");
                  });
  // What the subscriptions/listen checks use to make the lists change.
  server.add_tool({.name = "test_trigger_tool_change",
                   .description = "Announces a change of the tool list",
                   .input_schema = no_arguments()},
                  [&server](const object&, RequestContext&) {
                    server.notify_tools_changed();
                    return CallToolResult::text("tools/list_changed sent");
                  });
  server.add_tool({.name = "test_trigger_prompt_change",
                   .description = "Announces a change of the prompt list",
                   .input_schema = no_arguments()},
                  [&server](const object&, RequestContext&) {
                    server.notify_prompts_changed();
                    return CallToolResult::text("prompts/list_changed sent");
                  });
  server.add_prompt({.name = "test_input_required_result_prompt",
                     .description = "A prompt that asks the user for its context first"},
                    [](const std::map<std::string, std::string>&, RequestContext& ctx) {
                      json::value a = ctx.elicit(
                          string_question("What context should the prompt use?", "context"),
                          "user_context");
                      mcp::GetPromptResult result{.description = "A prompt with user context"};
                      result.messages.push_back(
                          {"user", mcp::content::text("Context: " + answered(a, "context"))});
                      return result;
                    });
}

}  // namespace glassbox::examples
