#include "glassbox/mcp/trace_propagation.hpp"

#include "glassbox/trace/tracer.hpp"
#include "mcp/passback_forward.hpp"
#include "mcp/passback_wire.hpp"

namespace glassbox::mcp {

OutgoingMiddleware make_trace_propagation_middleware() {
  return [](OutgoingRequest& request, const OutgoingHandler& send) -> Outcome {
    if (trace::current_context().empty()) return send(request);
    // S16: a passback call made on behalf of a request whose caller asked for passback.
    PassbackCall* nested = request.method == "tools/call" || request.method == "resources/read"
                               ? current_passback_call()
                               : nullptr;
    if (nested && !nested->forwarding().enabled) nested = nullptr;
    // A traceparent already there (the caller's, or an outer middleware's CLIENT span) wins.
    if (const json::object* meta = json::find_object(request.params, "_meta");
        meta && meta->contains("traceparent")) {
      std::optional<trace::SpanContext> given;
      if (const json::string* tp = json::find_string(*meta, "traceparent"); tp && nested)
        given = trace::parse_traceparent(*tp, {});
      return given ? forward_nested_call(request, send, *nested, *given) : send(request);
    }
    std::string name = request.method;
    if (const json::string* target =
            json::find_string(request.params, request.method == "tools/call" ? "name" : "uri")) {
      name += " " + std::string(*target);
    }
    trace::Span span = trace::start_span(name, trace::SpanKind::client);
    span.set_attribute("mcp.method.name", request.method);
    json::value& meta = request.params["_meta"];
    if (!meta.is_object()) meta = json::object{};
    passback_wire::write_trace_context(meta.get_object(), span.context());
    Outcome outcome =
        nested ? forward_nested_call(request, send, *nested, span.context()) : send(request);
    if (outcome.index() == 1)
      span.set_status(trace::StatusCode::error, std::get<1>(outcome).message);
    return outcome;
  };
}

}  // namespace glassbox::mcp
