#include "demo_server.hpp"

#include "glassbox/trace/tracer.hpp"

#include <future>
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

CallToolResult search_tickets(const json::object& args, RequestContext& ctx) {
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
  auto kb = std::async(std::launch::async, [here] {
    trace::ContextScope scope(here);
    trace::Span search = trace::start_span("kb.search");
    search.set_attribute("kb.index", "tickets-2026");
    work(25ms);
    trace::Span rank = trace::start_span("kb.rank");
    rank.set_attribute("kb.candidates", 48);
    work(12ms);
    return std::string("kb");
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

}  // namespace

mcp::ServerOptions demo_server_options() {
  return {.name = "acme-helpdesk", .version = "3.4.1", .title = "Acme Support help desk"};
}

void add_demo_fixtures(mcp::Server& server) {
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
      search_tickets);
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
