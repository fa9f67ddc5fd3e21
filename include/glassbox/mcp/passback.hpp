// Server execution telemetry (SEP-2448), server side: one middleware on the dispatch chain.
//
//   glassbox::mcp::enable_passback(server, {});  // advertise, trace, and pass spans back
//
// For tools/call and resources/read it opens the SERVER span (parented to the caller's
// traceparent, S3-S5), binds the request's own recorder while the handler runs (S9), and, when
// the caller asked with _meta.otel.traces.request === true (S2), curates the recorded spans
// (top level or detailed, S6; limits, S12; redaction, S11) into _meta.otel.traces of the result,
// or of error.data on a JSON-RPC error (S10). Every span also goes to the provider's own
// processors (S13). On initialize it advertises serverExecutionTelemetry (S1).
//
// Threads: the middleware is stateless per request; it runs on whichever thread runs the
// request (the stdio reader or a pool worker), and the recorder it binds follows the request.
#pragma once

#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/tracer.hpp"

#include <memory>
#include <string_view>

namespace glassbox::mcp {

class Server;
struct ServerOptions;

inline constexpr std::string_view kPassbackCapability = "serverExecutionTelemetry";
inline constexpr std::string_view kPassbackCapabilityVersion = "2026-03-01";
inline constexpr std::string_view kPassbackExtension = kServerExecutionTelemetryExtension;

// Multi-hop passback (S16, docs/passback.md): what a server does with the MCP calls its
// handlers make through a glassbox Client while its own caller asked for passback.
struct PassbackForwarding {
  // Ask each nested server for passback (same `detailed`), check what it returns (C3-C5) and
  // add it to this server's passback. Off: nested calls only carry traceparent (S14).
  bool enabled = true;
  // How many servers a passback request may pass through. The ask carries the count
  // (_meta.otel.traces.hops); a request that arrives with more is refused with
  // kHopLimitErrorCode, and a nested call that would exceed it is not sent (it fails with the
  // same code), so that a loop of servers ends.
  std::size_t max_hops = 8;
  // Bounds on what one nested call may return before it is discarded whole (C3).
  std::size_t max_spans = 1000;
  std::size_t max_bytes = 1024 * 1024;
};

// The JSON-RPC error code of a refused hop (implementation-defined server error range).
inline constexpr int kHopLimitErrorCode = -32010;

struct PassbackOptions {
  // Bounds, redaction and the detailed policy applied to what leaves the server. The caller's
  // _meta.otel.traces.detailed fills in `detailed`; the rest is the server owner's.
  trace::CurationOptions curation;
  // The server's own telemetry (resource, processors, exporters; S8, S13). Null: a provider
  // whose resource names this server (service.name, service.version from ServerOptions,
  // overridden by OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES) and which exports to
  // OTEL_EXPORTER_OTLP_* when those are set.
  std::shared_ptr<trace::TracerProvider> provider;
  std::size_t max_recorded_spans = 4096;  // per request, before curation
  PassbackForwarding forwarding{};        // S16
};

// Installs the middleware on `server` (call before serving).
void enable_passback(Server& server, PassbackOptions options = {});

// S1 on an initialize outcome: adds the capability (and the extension identifier where the result
// has an extensions map). What enable_passback does; also for a proxy that answers passback on
// behalf of a server that does not implement it (P3). Leaves an error outcome alone.
void advertise_passback(Outcome& outcome);

// The middleware alone, for servers that compose their own chain.
Middleware make_passback_middleware(PassbackOptions options);

// The provider PassbackOptions::provider falls back to, described there.
std::shared_ptr<trace::TracerProvider> default_tracer_provider(const ServerOptions& server);

}  // namespace glassbox::mcp
