// An MCP server: a table of tools, resources and prompts shared by every connected session.
//
//   glassbox::mcp::Server server({.name = "hello", .version = "1.0"});
//   server.add_tool({.name = "greet", .description = "Say hello"},
//                   [](const json::object& args, RequestContext&) {
//                     return CallToolResult::text("hello");
//                   });
//   server.serve_stdio();
//
// Threads: register tools, resources, prompts and middleware before the first connect();
// after that the registries may still change from any thread (each change notifies the
// sessions with */list_changed). connect() and notify_*() are thread-safe. Handlers run
// concurrently, on the thread that read the request when the transport lets callbacks block
// (stdio: its leader/follower readers hand reading on when a handler runs long) or else on the
// server's worker pool (HTTP, in-memory): either way a slow tool never delays ping or another call.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/mcp/request_context.hpp"
#include "glassbox/mcp/schema.hpp"
#include "glassbox/mcp/types.hpp"
#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace glassbox::mcp {

using ToolHandler = std::function<CallToolResult(const json::object& arguments, RequestContext&)>;
using ResourceHandler =
    std::function<std::vector<ResourceContents>(const std::string& uri, RequestContext&)>;
using ResourceTemplateHandler = std::function<std::vector<ResourceContents>(
    const std::string& uri, const std::map<std::string, std::string>& variables, RequestContext&)>;
using PromptHandler = std::function<GetPromptResult(
    const std::map<std::string, std::string>& arguments, RequestContext&)>;
using CompletionHandler =
    std::function<CompletionResult(const CompletionRequest&, RequestContext&)>;

// Who may call a tool or read a resource when the server requires OAuth tokens
// (mcp/auth.hpp): every scope listed here must be granted, on top of the server-wide ones, or
// the HTTP request is refused with 403 insufficient_scope before it reaches the handler.
// Without authorization configured it has no effect.
struct AccessPolicy {
  std::vector<std::string> required_scopes;
};

// MCP 2026-07-28 (stateless requests, served beside 2025-11-25 sessions).
struct StatelessOptions {
  // Cache hints (ttlMs, cacheScope) on server/discover, the list results and resources/read,
  // where the handler set none. cache_scope: "private" or "public".
  std::chrono::milliseconds cache_ttl{0};
  std::string cache_scope = "private";
  // requestState of multi round-trip requests: how long a client may take to answer, its size
  // bound, and its HMAC key. Empty key: a random one per Server (states do not survive a restart;
  // servers behind one load balancer share a key).
  std::chrono::seconds request_state_ttl{600};
  std::size_t max_request_state_bytes = 256 * 1024;
  std::string request_state_key;
  // subscriptions/listen streams open at once (each holds a worker while open).
  std::size_t max_listeners = 64;
};

struct ServerOptions {
  std::string name = "glassbox-server";
  std::string version = "0.1.0";
  std::string title;
  std::string instructions;
  std::size_t page_size = 100;  // items per page of tools/resources/prompts list
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  std::size_t max_concurrent_requests = 256;  // per session; beyond it, requests queue
  std::chrono::milliseconds client_request_timeout = std::chrono::seconds(60);
  // Extra capabilities merged into the initialize result (middleware such as passback
  // also adds its own).
  json::object extra_capabilities;
  StatelessOptions stateless;
};

// One connected session, as the caller of Server::connect() holds it. Copies share the session;
// dropping them does not end it (the server keeps it until its transport closes). Any thread.
class ServerSession {
 public:
  // Blocks until the peer's input has ended and every request it sent has been answered.
  void wait() const;
  // Closes the transport; handlers still running see cancellation.
  void close() const;

 private:
  friend class Server;
  explicit ServerSession(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  std::shared_ptr<Session> session_;
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const ServerOptions& options() const;

  // Every add_* replaces what is registered under the same key (a tool's or prompt's name, a
  // resource's uri, a template's uriTemplate) and every add_* and remove_* sends the matching
  // notifications/*/list_changed to the initialized sessions (templates are resources).
  // remove_* returns false, and notifies nobody, when nothing had that key.

  // Raw tool: JSON arguments in, result out. Arguments are validated against
  // tool.input_schema first; a mismatch becomes an isError result naming the problem.
  void add_tool(Tool tool, ToolHandler handler);
  // The same, with the scopes a caller needs (AccessPolicy).
  void add_tool(Tool tool, ToolHandler handler, AccessPolicy access);

  // Typed tool: a Boost.Describe'd struct in; its input schema is derived and the arguments
  // converted before the handler runs. F: CallToolResult(const Args&, RequestContext&).
  template <class Args, class F>
  void add_tool(Tool tool, F handler, AccessPolicy access = {}) {
    tool.input_schema = schema_of<Args>();
    add_tool(std::move(tool),
             ToolHandler([h = std::move(handler)](const json::object& args, RequestContext& ctx) {
               return h(from_arguments<Args>(args), ctx);
             }),
             std::move(access));
  }

  // Typed tool with a typed result: F is Out(const Args&, RequestContext&). Both schemas are
  // derived (outputSchema from Out); the result carries Out as structuredContent and, for
  // clients that read only content, the same JSON as one text block (as the 2025-11-25 spec
  // recommends). Throwing gives an isError result, as for any tool.
  template <class Args, class Out, class F>
  void add_tool(Tool tool, F handler, AccessPolicy access = {}) {
    static_assert(std::is_invocable_r_v<Out, F&, const Args&, RequestContext&>,
                  "a typed tool with a typed result is Out(const Args&, RequestContext&)");
    tool.input_schema = schema_of<Args>();
    tool.output_schema = schema_of<Out>();
    add_tool(
        std::move(tool),
        ToolHandler([h = std::move(handler)](const json::object& args, RequestContext& ctx) {
          return CallToolResult::structured(to_structured<Out>(h(from_arguments<Args>(args), ctx)));
        }),
        std::move(access));
  }

  bool remove_tool(std::string_view name);

  void add_resource(Resource resource, ResourceHandler handler);
  void add_resource(Resource resource, ResourceHandler handler, AccessPolicy access);
  bool remove_resource(std::string_view uri);
  void add_resource_template(ResourceTemplate resource_template, ResourceTemplateHandler handler);
  void add_resource_template(ResourceTemplate resource_template, ResourceTemplateHandler handler,
                             AccessPolicy access);
  bool remove_resource_template(std::string_view uri_template);

  // The scopes a request needs beyond the server-wide ones: a tools/call's tool, a
  // resources/read's resource (or the template it matches), from their AccessPolicy; empty for
  // anything else or anything unknown. Any thread (authorizers call it on I/O threads).
  std::vector<std::string> required_scopes(std::string_view method,
                                           const json::object& params) const;
  // A registered tool's inputSchema (nullopt for an unknown name). Any thread (the HTTP
  // admission checks Mcp-Param-* headers against its x-mcp-header annotations on I/O threads).
  std::optional<json::object> tool_input_schema(std::string_view name) const;

  // Raw prompt: the arguments the client sent (strings; each of prompt.arguments marked
  // required must be present, or prompts/get fails with invalid params).
  void add_prompt(Prompt prompt, PromptHandler handler);
  // Typed prompt: prompt.arguments derived from a Boost.Describe'd struct of std::string
  // (required) and std::optional<std::string> members (descriptions given in prompt.arguments
  // under the same name are kept). F: GetPromptResult(const Args&, RequestContext&).
  template <class Args, class F>
  void add_prompt(Prompt prompt, F handler) {
    prompt.arguments = prompt_arguments_of<Args>(prompt.arguments);
    add_prompt(std::move(prompt), PromptHandler([h = std::move(handler)](
                                                    const std::map<std::string, std::string>& args,
                                                    RequestContext& ctx) {
                 json::object object;
                 for (const auto& [k, v] : args) object[k] = v;
                 return h(from_arguments<Args>(object), ctx);
               }));
  }
  bool remove_prompt(std::string_view name);

  void set_completion_handler(CompletionHandler handler);

  // Middleware wraps every request handler, outermost first (passback, auth, logging...).
  void use(Middleware middleware);
  // Adds or replaces a method in the dispatch table (for extensions and tests).
  void set_method(std::string method, MethodHandler handler);

  // Serves one connection until its transport closes (a one-shot one's session is recycled).
  ServerSession connect(std::shared_ptr<transport::Transport> transport);

  // Serves on this process's stdin/stdout until end of input; returns when the session ended.
  void serve_stdio();

  // Notifications to every connected session.
  void notify_tools_changed();
  void notify_resources_changed();
  void notify_prompts_changed();
  void notify_resource_updated(const std::string& uri);  // only sessions subscribed to uri

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace glassbox::mcp
