// Table dispatch with middleware (docs/architecture.md): a method name maps to a handler;
// middleware wraps every handler. Both run on the thread the session gives the request (the
// transport's reader on stdio, a pool worker on HTTP) and may throw: the session maps
// ProtocolError to its JSON-RPC error and any other exception to -32603 (or, for tools/call,
// the tool layer turns it into an isError result first).
#pragma once

#include "glassbox/mcp/request_context.hpp"
#include "glassbox/mcp/types.hpp"

#include <functional>

namespace glassbox::mcp {

using MethodHandler = std::function<Outcome(RequestContext&)>;
using Middleware = std::function<Outcome(RequestContext&, const MethodHandler& next)>;

// Runs a handler with the dispatch boundary's exception mapping: ProtocolError becomes its
// error, any other exception -32603. Exceptions never cross the dispatch boundary.
Outcome invoke_handler(const MethodHandler& handler, RequestContext& ctx) noexcept;

// The _meta object of an outcome, created when absent: result._meta for a result,
// error.data._meta for an error (data becomes an object when it was not one).
json::object& outcome_meta(Outcome& outcome);

}  // namespace glassbox::mcp
