// A small server for protocol tests: one of each kind of tool, resource and prompt, with
// behaviour the tests can steer (slow, throwing, failing, sampling, progress, logging).
#pragma once

#include "glassbox/mcp/server.hpp"

#include <boost/describe.hpp>

#include <atomic>
#include <thread>

namespace glassbox::testing {

struct AddArgs {
  std::int64_t a;
  std::int64_t b;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b, note))

inline void add_test_fixtures(mcp::Server& server) {
  using namespace mcp;
  server.add_tool(
      {.name = "echo",
       .description = "Echoes a message",
       .input_schema = {{"type", "object"},
                        {"properties", {{"message", {{"type", "string"}}}}},
                        {"required", {"message"}}}},
      [](const json::object& args, RequestContext&) {
        return CallToolResult::text("Echo: " + std::string(args.at("message").as_string()));
      });
  server.add_tool<AddArgs>({.name = "add", .description = "Adds two integers"},
                           [](const AddArgs& args, RequestContext&) {
                             CallToolResult r =
                                 CallToolResult::text(std::to_string(args.a + args.b));
                             r.structured_content = json::object{{"sum", args.a + args.b}};
                             return r;
                           });
  server.add_tool({.name = "fail"}, [](const json::object&, RequestContext&) {
    return CallToolResult::error("the upstream said no");
  });
  server.add_tool({.name = "throws"}, [](const json::object&, RequestContext&) -> CallToolResult {
    throw std::runtime_error("boom");
  });
  server.add_tool({.name = "protocol_error"},
                  [](const json::object&, RequestContext&) -> CallToolResult {
                    throw ProtocolError({jsonrpc::error_code::kInvalidParams, "denied by policy",
                                         json::object{{"policy", "p1"}}});
                  });
  server.add_tool({.name = "slow"}, [](const json::object& args, RequestContext& ctx) {
    auto ms = json::find_int(args, "ms").value_or(2000);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ctx.cancelled()) return CallToolResult::text("cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return CallToolResult::text("done");
  });
  server.add_tool({.name = "progress"}, [](const json::object&, RequestContext& ctx) {
    for (int i = 1; i <= 3; ++i) ctx.progress(i, 3, "step " + std::to_string(i));
    return CallToolResult::text("progressed");
  });
  server.add_tool({.name = "log"}, [](const json::object&, RequestContext& ctx) {
    ctx.log(LogLevel::debug, "debug detail", "test");
    ctx.log(LogLevel::warning, "a warning", "test");
    return CallToolResult::text("logged");
  });
  server.add_tool({.name = "sample"}, [](const json::object&, RequestContext& ctx) {
    json::value answer = ctx.create_message(
        {{"messages", {{{"role", "user"}, {"content", {{"type", "text"}, {"text", "2+2?"}}}}}},
         {"maxTokens", 10}});
    return CallToolResult::text("model said: " +
                                std::string(answer.at("content").at("text").as_string()));
  });
  server.add_resource(
      {.uri = "test://hello", .name = "hello", .mime_type = "text/plain"},
      [](const std::string& uri, RequestContext&) {
        return std::vector<ResourceContents>{{uri, "text/plain", "hello world", {}}};
      });
  server.add_resource_template(
      {.uri_template = "test://items/{id}/data", .name = "item"},
      [](const std::string& uri, const std::map<std::string, std::string>& vars, RequestContext&) {
        return std::vector<ResourceContents>{
            {uri, "application/json", "{\"id\":\"" + vars.at("id") + "\"}", {}}};
      });
  server.add_prompt(
      {.name = "greet", .description = "Greets someone", .arguments = {{"name", "Who", true}}},
      [](const std::map<std::string, std::string>& args, RequestContext&) {
        return GetPromptResult{"A greeting",
                               {{"user", content::text("Hello, " + args.at("name"))}}};
      });
  server.set_completion_handler([](const CompletionRequest& req, RequestContext&) {
    CompletionResult r;
    for (const char* c : {"alice", "albert", "bob"}) {
      if (std::string_view(c).starts_with(req.argument_value)) r.values.emplace_back(c);
    }
    r.total = static_cast<std::int64_t>(r.values.size());
    return r;
  });
}

}  // namespace glassbox::testing
