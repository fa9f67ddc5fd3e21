// JSON-RPC dispatch: bytes are framed and parsed as the stdio transport does, and every message
// goes straight into a glassbox mcp::Server session (tools of each kind, a resource, a template,
// a prompt, completion, the passback middleware) through a transport that delivers on the
// calling thread. One Server (and so one bounded worker pool) serves every input; each input
// gets a fresh session that is drained before the next, so nothing piles up.
// Invariants: no crash; every request that reaches the session is answered exactly once (a
// result or an error), unless the input cancelled it; no answer names an id that was not asked.
#include "glassbox/jsonrpc/framing.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "mcp/session.hpp"

#include <boost/describe.hpp>

#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace {

using namespace glassbox;

// Delivers on the caller's thread; records what the session sends.
class DirectTransport final : public transport::Transport {
 public:
  void start(transport::Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
  bool send(const jsonrpc::Message& message, const transport::SendOptions&) override {
    std::string line = jsonrpc::serialize(message);  // what a real transport would write
    std::lock_guard lock(mutex_);
    sent_.push_back(message);
    return true;
  }
  void close() override {}

  void deliver(jsonrpc::Message message) {
    if (callbacks_.on_message) callbacks_.on_message(std::move(message), {});
  }
  void end() {
    if (callbacks_.on_close) callbacks_.on_close();
  }
  std::vector<jsonrpc::Message> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  transport::Callbacks callbacks_;
  std::mutex mutex_;
  std::vector<jsonrpc::Message> sent_;
};

struct AddArgs {
  std::int64_t a;
  std::int64_t b;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b, note))

mcp::Server& server() {
  static mcp::Server* s = [] {
    using namespace mcp;
    auto* server = new Server({.name = "fuzz", .page_size = 2, .max_concurrent_requests = 4});
    enable_passback(
        *server,
        {.provider = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{})});
    server->add_tool({.name = "echo",
                      .input_schema = {{"type", "object"},
                                       {"properties", {{"message", {{"type", "string"}}}}},
                                       {"required", {"message"}}}},
                     [](const json::object& args, RequestContext&) {
                       return CallToolResult::text(std::string(args.at("message").as_string()));
                     });
    server->add_tool<AddArgs>({.name = "add"}, [](const AddArgs& args, RequestContext&) {
      return CallToolResult::text(std::to_string(args.a + args.b));
    });
    server->add_tool({.name = "throws"},
                     [](const json::object&, RequestContext&) -> CallToolResult {
                       throw std::runtime_error("boom");
                     });
    server->add_tool({.name = "protocol_error"},
                     [](const json::object&, RequestContext&) -> CallToolResult {
                       throw ProtocolError({-32003, "denied", json::object{{"why", "policy"}}});
                     });
    // Spans whose attributes come from the input: redaction and limits see hostile strings.
    server->add_tool({.name = "spans"}, [](const json::object& args, RequestContext& ctx) {
      trace::Span outer = ctx.span("outer");
      for (const auto& [key, value] : args) {
        trace::Span inner = ctx.span(key);
        if (value.is_string()) inner.set_attribute(key, std::string_view(value.get_string()));
        if (value.is_int64()) inner.set_attribute(key, value.get_int64());
      }
      ctx.progress(1, 2, "half");
      ctx.log(LogLevel::warning, args);
      return CallToolResult::text("ok");
    });
    server->add_resource({.uri = "test://hello", .name = "hello"},
                         [](const std::string& uri, RequestContext&) {
                           return std::vector<ResourceContents>{{uri, "text/plain", "hi", {}}};
                         });
    server->add_resource_template(
        {.uri_template = "test://items/{id}/data/{part}", .name = "item"},
        [](const std::string& uri, const std::map<std::string, std::string>& vars,
           RequestContext&) {
          return std::vector<ResourceContents>{{uri, "text/plain", vars.at("id"), {}}};
        });
    server->add_prompt({.name = "greet", .arguments = {{"name", "Who", true}}},
                       [](const std::map<std::string, std::string>& args, RequestContext&) {
                         return GetPromptResult{"", {{"user", content::text(args.at("name"))}}};
                       });
    server->set_completion_handler([](const CompletionRequest& request, RequestContext&) {
      CompletionResult r;
      r.values.push_back(request.argument_value);
      return r;
    });
    return server;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto transport = std::make_shared<DirectTransport>();
  mcp::ServerSession session = server().connect(transport);

  std::map<jsonrpc::Id, int> asked;  // requests delivered, by id
  std::set<jsonrpc::Id> cancelled;
  jsonrpc::LineFramer framer(64 * 1024);
  auto on_line = [&](std::string_view line) {
    jsonrpc::ParseResult parsed = jsonrpc::parse(line);
    if (!parsed.message) {
      if (!parsed.error) std::abort();  // a malformed line always has its error answer
      return;
    }
    if (auto* r = std::get_if<jsonrpc::Request>(&*parsed.message)) ++asked[r->id];
    if (auto* n = std::get_if<jsonrpc::Notification>(&*parsed.message);
        n && n->method == "notifications/cancelled") {
      // Whatever the shape, treat any id mentioned as possibly cancelled.
      const json::object& p = json::as_object_or_empty(n->params);
      if (auto it = p.find("requestId"); it != p.end()) {
        if (it->value().is_int64()) cancelled.insert(jsonrpc::Id{it->value().get_int64()});
        if (it->value().is_string())
          cancelled.insert(jsonrpc::Id{std::string(it->value().get_string())});
      }
    }
    transport->deliver(std::move(*parsed.message));
  };
  framer.feed(input, on_line, [](std::size_t) {});
  if (framer.pending_bytes() > 0) on_line(framer.take_pending());
  transport->end();
  session.wait();

  std::map<jsonrpc::Id, int> answered;
  for (const auto& m : transport->sent()) {
    if (auto* r = std::get_if<jsonrpc::Response>(&m)) ++answered[r->id];
    if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&m)) {
      if (!e->id) std::abort();  // the session always knows which request it answers
      ++answered[*e->id];
    }
  }
  for (const auto& [id, n] : answered) {
    auto it = asked.find(id);
    if (it == asked.end() || n > it->second) std::abort();
  }
  for (const auto& [id, n] : asked) {
    if (!cancelled.contains(id) && answered[id] != n) std::abort();
  }
  session.close();
  return 0;
}
