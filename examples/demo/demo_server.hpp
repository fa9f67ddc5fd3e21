// The demo server: "Acme Support", a help-desk service that another organisation's agent
// calls. Each tool does what such a service does (validate the caller, evaluate policy, look in
// a cache, call upstream systems in parallel, invoke a sub-tool), with real waits, so that a
// trace of one call is worth looking at. Some stages record a (fake) bearer token and API key,
// to show redaction at work.
//
//   search_tickets   the happy path: auth, policy, cache miss, CRM and knowledge base in
//                    parallel on worker threads, then the summarize sub-tool. The knowledge
//                    base is a second MCP server (acme-kb, tool `search`) that the help desk
//                    calls through a glassbox Client, so passback spans a chain (S16)
//   delete_ticket    denied by policy: a JSON-RPC error carrying the spans of the stages that ran
//   escalate_ticket  the pager upstream fails: an isError result, root span status ERROR
//   export_report    a slow tool: five stages of about 300 ms, each a span and a progress
//                    notification (streamed passback shows them as they end, S17)
//   tickets://{id}   a resource read with an access check
#pragma once

#include "glassbox/mcp/server.hpp"

#include <string>
#include <vector>

namespace glassbox::examples {

struct DemoOptions {
  // The command that starts the knowledge base server over stdio (`glassbox serve demo-kb
  // --stdio`), spawned at the first search. Empty: the knowledge base server runs in this
  // process, behind an in-memory transport (the call is a real MCP call all the same).
  std::vector<std::string> kb_command;
};

mcp::ServerOptions demo_server_options();
void add_demo_fixtures(mcp::Server& server, DemoOptions options);

// The knowledge base ("acme-kb"): one tool, `search`, whose stages are spans.
mcp::ServerOptions demo_kb_server_options();
void add_demo_kb_fixtures(mcp::Server& server);

}  // namespace glassbox::examples
