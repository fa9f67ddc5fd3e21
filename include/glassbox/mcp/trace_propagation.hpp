// Client-side trace propagation (SEP-414; passback rule S14): when a thread that calls through
// a glassbox Client has a trace context bound (a server handler serving a traced request does),
// each call gets a CLIENT span in that context and carries its traceparent/tracestate in
// params._meta, so the next server stitches its spans under it. A request whose _meta already
// has a traceparent (set by the caller, or by client telemetry's own CLIENT span) is left as is.
//
// Threads: the middleware runs on the calling thread; it keeps no state.
#pragma once

#include "glassbox/mcp/client.hpp"

namespace glassbox::mcp {

OutgoingMiddleware make_trace_propagation_middleware();
// Its form for asynchronous calls: the span starts on the calling thread, in its bound context,
// and ends when the outcome comes.
AsyncOutgoingMiddleware make_async_trace_propagation_middleware();

}  // namespace glassbox::mcp
