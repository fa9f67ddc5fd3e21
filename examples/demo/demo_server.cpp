#include "demo_server.hpp"

#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/trace/tracer.hpp"
#include "glassbox/transport/memory.hpp"
#include "glassbox/transport/stdio.hpp"

#include <future>
#include <mutex>
#include <thread>

namespace glassbox::examples {
namespace {

using namespace std::chrono_literals;
using mcp::CallToolResult;
using mcp::RequestContext;

// Fake credentials, as a careless stage would record them; passback redacts them (S11).
constexpr std::string_view kCallerToken =
    "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImRlbW8ifQ.eyJzdWIiOiJhZ2VudC03In0.ZmFrZS1zaWduYXR1cmU";
constexpr std::string_view kCrmApiKey = "sk-demo-4f9c2b7e1a8d6c3b5e0f";

void work(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

// auth.validate: every tool starts here.
void validate_caller(RequestContext& ctx) {
  trace::Span span = ctx.span("auth.validate");
  span.set_attribute("http.request.header.authorization", kCallerToken);
  span.set_attribute("enduser.id", "agent-7");
  span.set_attribute("auth.outcome", "valid");
  {
    trace::Span jwks = ctx.span("auth.jwks.lookup");
    jwks.set_attribute("cache.hit", true);
    work(2ms);
  }
  work(3ms);
}

// policy.evaluate: returns whether the action is allowed.
bool evaluate_policy(RequestContext& ctx, std::string_view action, bool allowed) {
  trace::Span span = ctx.span("policy.evaluate");
  span.set_attribute("policy.action", action);
  span.set_attribute("policy.decision", allowed ? "allow" : "deny");
  if (!allowed) span.set_attribute("policy.rule", "tickets.delete requires role admin");
  work(4ms);
  return allowed;
}

// An upstream HTTP call, as a CLIENT span with the attributes of the HTTP conventions.
std::string call_upstream(std::string_view name, std::string_view url,
                          std::chrono::milliseconds latency, int status = 200) {
  trace::Span span = trace::start_span(name, trace::SpanKind::client);
  span.set_attribute("http.request.method", "GET");
  span.set_attribute("url.full", url);
  span.set_attribute("http.response.status_code", status);
  if (name == "crm.lookup_customer") span.set_attribute("crm.api_key", kCrmApiKey);
  work(latency);
  if (status >= 500)
    span.set_status(trace::StatusCode::error, "upstream returned " + std::to_string(status));
  return std::string(name);
}

// The help desk's connection to the knowledge base server, opened at the first search and
// shared by every request (the Client is thread-safe).
class KnowledgeBase {
 public:
  explicit KnowledgeBase(DemoOptions options) : options_(std::move(options)) {}
  ~KnowledgeBase() {
    if (client_) client_->close();
  }

  // tools/call search on the knowledge base: the caller's trace context goes with it (S14), and
  // the caller's passback ask too when it made one (S16).
  std::string search(const std::string& query) {
    mcp::Client& client = connected();
    CallToolResult result = client.call_tool("search", {{"query", query}});
    const json::object* first =
        result.content.empty() ? nullptr : result.content.front().if_object();
    const json::string* text = first ? json::find_string(*first, "text") : nullptr;
    return text ? std::string(*text) : std::string();
  }

 private:
  mcp::Client& connected() {
    std::lock_guard lock(mutex_);
    if (client_) return *client_;
    auto client = std::make_unique<mcp::Client>(mcp::ClientOptions{.name = "acme-helpdesk"});
    if (options_.kb_command.empty()) {
      server_ = std::make_unique<mcp::Server>(demo_kb_server_options());
      add_demo_kb_fixtures(*server_);
      mcp::enable_passback(*server_);
      auto [client_end, server_end] = transport::make_memory_pair();
      session_.emplace(server_->connect(server_end));
      client->connect(client_end);
    } else {
      client->connect(transport::spawn_process({.argv = options_.kb_command}));
    }
    client_ = std::move(client);
    return *client_;
  }

  DemoOptions options_;
  std::mutex mutex_;
  std::unique_ptr<mcp::Server> server_;  // in-process mode only
  std::optional<mcp::ServerSession> session_;
  std::unique_ptr<mcp::Client> client_;
};

CallToolResult search_tickets(KnowledgeBase& knowledge_base, const json::object& args,
                              RequestContext& ctx) {
  std::string customer = std::string(
      json::find_string(args, "customer") ? *json::find_string(args, "customer") : "acme-corp");
  std::string query =
      std::string(json::find_string(args, "query") ? *json::find_string(args, "query") : "");
  validate_caller(ctx);
  evaluate_policy(ctx, "tickets.search", true);
  {
    trace::Span cache = ctx.span("cache.lookup");
    cache.set_attribute("cache.key", "tickets:" + customer + ":" + query);
    cache.set_attribute("cache.hit", false);
    work(1ms);
  }
  // The CRM and the knowledge base are asked in parallel, on worker threads; the explicit
  // context hand-off keeps their spans in this request (S9).
  trace::Context here = trace::current_context();
  auto crm = std::async(std::launch::async, [here] {
    trace::ContextScope scope(here);
    return call_upstream("crm.lookup_customer",
                         "https://crm.internal.example/v2/customers/acme-corp", 35ms);
  });
  auto kb = std::async(std::launch::async, [here, &knowledge_base, query] {
    trace::ContextScope scope(here);
    trace::Span search = trace::start_span("kb.search");
    search.set_attribute("kb.index", "tickets-2026");
    try {
      return knowledge_base.search(query);
    } catch (const std::exception& e) {  // the tickets are still worth returning without it
      search.set_status(trace::StatusCode::error, e.what());
      return std::string();
    }
  });
  crm.get();
  kb.get();
  {
    trace::Span sub = ctx.span("tool.summarize");  // a sub-tool invocation
    sub.set_attribute("gen_ai.tool.name", "summarize");
    work(15ms);
  }
  CallToolResult result = CallToolResult::text(
      "3 open tickets for " + customer + (query.empty() ? "" : " matching '" + query + "'") +
      ": #4711 login loop (high), #4720 invoice PDF blank (medium), #4733 SSO setup (low)");
  result.structured_content = json::object{{"customer", customer}, {"open", 3}};
  return result;
}

CallToolResult delete_ticket(const json::object& args, RequestContext& ctx) {
  validate_caller(ctx);
  if (!evaluate_policy(ctx, "tickets.delete", false)) {
    throw mcp::ProtocolError({-32003, "denied by policy: tickets.delete requires role admin",
                              json::object{{"ticket", json::find_int(args, "id").value_or(0)}}});
  }
  return CallToolResult::text("deleted");
}

CallToolResult escalate_ticket(const json::object& args, RequestContext& ctx) {
  validate_caller(ctx);
  evaluate_policy(ctx, "tickets.escalate", true);
  call_upstream("pager.create_incident", "https://pager.internal.example/v1/incidents", 20ms, 503);
  return CallToolResult::error("could not escalate ticket #" +
                               std::to_string(json::find_int(args, "id").value_or(0)) +
                               ": the paging service is unavailable (503)");
}

// A long tool (S17): five stages of about 300 ms, each a span, each reported as progress.
CallToolResult export_report(const json::object& args, RequestContext& ctx) {
  validate_caller(ctx);
  constexpr std::string_view kStages[] = {"report.query", "report.aggregate", "report.render",
                                          "report.compress", "report.upload"};
  std::string customer = std::string(
      json::find_string(args, "customer") ? *json::find_string(args, "customer") : "acme-corp");
  for (std::size_t i = 0; i < std::size(kStages); ++i) {
    {
      trace::Span stage = ctx.span(kStages[i]);
      stage.set_attribute("report.customer", customer);
      stage.set_attribute("report.stage", static_cast<std::int64_t>(i + 1));
      work(300ms);
    }
    ctx.progress(static_cast<double>(i + 1), 5.0, kStages[i]);
    if (ctx.cancelled()) return CallToolResult::error("export cancelled");
  }
  return CallToolResult::text("report for " + customer +
                              " exported: tickets-2026-q4.pdf (14 pages, 212 KB)");
}

CallToolResult kb_search(const json::object& args, RequestContext& ctx) {
  const json::string* query = json::find_string(args, "query");
  {
    trace::Span parse = ctx.span("kb.query.parse");
    parse.set_attribute("kb.query.terms", query && !query->empty() ? 1 : 0);
    work(2ms);
  }
  {
    trace::Span lookup = ctx.span("kb.index.lookup");
    lookup.set_attribute("kb.index", "tickets-2026");
    lookup.set_attribute("kb.shards", 2);
    for (int shard = 0; shard < 2; ++shard) {
      trace::Span read = ctx.span("kb.shard.read");  // below the top level: detailed only
      read.set_attribute("kb.shard", shard);
      work(8ms);
    }
  }
  {
    trace::Span rank = ctx.span("kb.rank");
    rank.set_attribute("kb.candidates", 48);
    work(10ms);
  }
  return CallToolResult::text(
      "3 articles: KB-101 login loops after password reset, KB-117 SSO "
      "redirect settings, KB-230 clearing session cookies");
}

}  // namespace

mcp::ServerOptions demo_server_options() {
  return {.name = "acme-helpdesk", .version = "3.4.1", .title = "Acme Support help desk"};
}

mcp::ServerOptions demo_kb_server_options() {
  return {.name = "acme-kb", .version = "1.9.0", .title = "Acme knowledge base"};
}

void add_demo_kb_fixtures(mcp::Server& server) {
  server.add_tool(
      {.name = "search",
       .description = "Search the knowledge base articles",
       .input_schema = {{"type", "object"},
                        {"properties",
                         {{"query", {{"type", "string"}, {"description", "Words to look for"}}}}}},
       .annotations = {{"readOnlyHint", true}}},
      kb_search);
}

void add_demo_fixtures(mcp::Server& server, DemoOptions options) {
  auto knowledge_base = std::make_shared<KnowledgeBase>(std::move(options));
  json::object id_schema{
      {"type", "object"},
      {"properties", {{"id", {{"type", "integer"}, {"description", "Ticket number"}}}}},
      {"required", {"id"}}};
  server.add_tool(
      {.name = "search_tickets",
       .title = "Search tickets",
       .description = "Search a customer's open support tickets",
       .input_schema = {{"type", "object"},
                        {"properties",
                         {{"customer", {{"type", "string"}, {"description", "Customer account"}}},
                          {"query", {{"type", "string"}, {"description", "Words to look for"}}}}}},
       .annotations = {{"readOnlyHint", true}}},
      [knowledge_base](const json::object& args, RequestContext& ctx) {
        return search_tickets(*knowledge_base, args, ctx);
      });
  server.add_tool(
      {.name = "export_report",
       .title = "Export a report",
       .description = "Export a customer's ticket report (slow: about 1.5 s in five stages)",
       .input_schema = {{"type", "object"},
                        {"properties",
                         {{"customer",
                           {{"type", "string"}, {"description", "Customer account"}}}}}}},
      export_report);
  server.add_tool({.name = "delete_ticket",
                   .description = "Delete a ticket (needs the admin role)",
                   .input_schema = id_schema,
                   .annotations = {{"destructiveHint", true}}},
                  delete_ticket);
  server.add_tool({.name = "escalate_ticket",
                   .description = "Page the on-call engineer about a ticket",
                   .input_schema = id_schema},
                  escalate_ticket);
  server.add_resource_template(
      {.uri_template = "tickets://{id}",
       .name = "ticket",
       .description = "One support ticket",
       .mime_type = "application/json"},
      [](const std::string& uri, const std::map<std::string, std::string>& vars,
         RequestContext& ctx) {
        const std::string& id = vars.at("id");
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
          throw mcp::ProtocolError({jsonrpc::error_code::kResourceNotFound, "no such ticket",
                                    json::object{{"uri", uri}}});
        }
        validate_caller(ctx);
        {
          trace::Span access = ctx.span("access.check");
          access.set_attribute("ticket.id", id);
          access.set_attribute("access.decision", "allow");
          work(2ms);
        }
        return std::vector<mcp::ResourceContents>{
            {uri,
             "application/json",
             R"({"id":)" + id + R"(,"title":"login loop","priority":"high","status":"open"})",
             {}}};
      });
}

}  // namespace glassbox::examples
