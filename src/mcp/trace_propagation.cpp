#include "glassbox/mcp/trace_propagation.hpp"

#include "glassbox/trace/tracer.hpp"
#include "mcp/passback_forward.hpp"
#include "mcp/passback_wire.hpp"

namespace glassbox::mcp {

namespace {

// The CLIENT span of a call that carries no traceparent yet, written into its _meta.
trace::Span start_client_span(OutgoingRequest& request) {
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
  return span;
}

}  // namespace

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
    trace::Span span = start_client_span(request);
    Outcome outcome =
        nested ? forward_nested_call(request, send, *nested, span.context()) : send(request);
    if (outcome.index() == 1)
      span.set_status(trace::StatusCode::error, std::get<1>(outcome).message);
    return outcome;
  };
}

// The same for asynchronous calls: the span (and the nested call's ask) on the calling thread,
// its end (and the filing of the nested spans) when the outcome comes.
AsyncOutgoingMiddleware make_async_trace_propagation_middleware() {
  return [](OutgoingRequest& request, const AsyncOutgoingHandler& send, OutcomeCallback done) {
    if (trace::current_context().empty()) return send(request, std::move(done));
    // The PassbackCall lives as long as the request's recorder (it may share its allocation):
    // held here through the recorder, it outlives the handler.
    std::shared_ptr<PassbackCall> nested;
    if (request.method == "tools/call" || request.method == "resources/read") {
      if (PassbackCall* call = current_passback_call(); call && call->forwarding().enabled)
        nested = std::shared_ptr<PassbackCall>(trace::current_context().recorder(), call);
    }
    std::optional<trace::SpanContext> given;
    trace::Span span;
    if (const json::object* meta = json::find_object(request.params, "_meta");
        meta && meta->contains("traceparent")) {
      if (const json::string* tp = json::find_string(*meta, "traceparent"); tp && nested)
        given = trace::parse_traceparent(*tp, {});
      if (!given) return send(request, std::move(done));
    } else {
      span = start_client_span(request);
      given = span.context();
    }
    bool asked = false;
    if (nested) {
      if (std::optional<Outcome> refused = ask_nested(request, *nested, asked)) {
        return done(std::move(*refused));
      }
    }
    auto held = std::make_shared<trace::Span>(std::move(span));
    send(request, [&request, held, nested, asked, client_span = *given,
                   done = std::move(done)](Outcome outcome) {
      if (nested) file_nested(request, asked, *nested, client_span, outcome);
      if (outcome.index() == 1 && held->context().is_valid())
        held->set_status(trace::StatusCode::error, std::get<1>(outcome).message);
      held->end();
      done(std::move(outcome));
    });
  };
}

}  // namespace glassbox::mcp
