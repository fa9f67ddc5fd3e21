#include "glassbox/mcp/passback.hpp"

#include "glassbox/mcp/server.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/transport/otlp_http_exporter.hpp"
#include "mcp/passback_forward.hpp"
#include "mcp/passback_stream.hpp"
#include "mcp/passback_wire.hpp"

#include <charconv>
#include <cstdlib>
#include <iterator>

namespace glassbox::mcp {
namespace {

json::object capability() {
  return {{"version", kPassbackCapabilityVersion},
          {"signals", {{"traces", {{"supported", true}}}}}};
}

// What a tools/call or resources/read is about: the tool's name or the resource's URI (null
// when absent), looked up once for the span's name and its attributes.
const json::string* call_target(const RequestContext& ctx, bool tool) {
  return json::find_string(ctx.params(), tool ? "name" : "uri");
}

std::string span_name(const RequestContext& ctx, const json::string* target) {
  if (!target) return ctx.method();
  std::string name;  // one string built once (every call names its SERVER span)
  name.reserve(ctx.method().size() + 1 + target->size());
  name.append(ctx.method()).append(1, ' ').append(target->data(), target->size());
  return name;
}

void describe_request(trace::Span& span, const RequestContext& ctx, bool tool,
                      const json::string* target) {
  span.set_attribute("mcp.method.name", ctx.method());
  if (target && tool) {
    span.set_attribute("gen_ai.tool.name", std::string_view(*target));
    span.set_attribute("gen_ai.operation.name", "execute_tool");
  } else if (target) {
    span.set_attribute("mcp.resource.uri", std::string_view(*target));
  }
  if (const auto* id = std::get_if<std::int64_t>(&ctx.request_id())) {
    char digits[24];  // the usual id: written where the attribute keeps it, no string between
    span.set_attribute("jsonrpc.request.id",
                       std::string_view(digits, std::to_chars(digits, std::end(digits), *id).ptr));
  } else {
    span.set_attribute("jsonrpc.request.id", jsonrpc::to_string(ctx.request_id()));
  }
  // 2026-07-28 has no session (OTel MCP semantic conventions: no mcp.session.id there).
  if (const auto& session = ctx.message_context().session_id;
      session && ctx.revision() == ProtocolRevision::k2025_11_25)
    span.set_attribute("mcp.session.id", *session);
  span.set_attribute("mcp.protocol.version", ctx.protocol_version());
}

// S10: a tool's own failure and a protocol error both mark the SERVER span as failed.
void describe_outcome(trace::Span& span, const Outcome& outcome) {
  if (outcome.index() == 1) {
    const jsonrpc::Error& e = std::get<1>(outcome);
    span.set_attribute("error.type", std::to_string(e.code));
    span.set_attribute("rpc.jsonrpc.error_code", static_cast<std::int64_t>(e.code));
    span.set_status(trace::StatusCode::error, e.message);
    return;
  }
  const json::object& result = json::as_object_or_empty(std::get<0>(outcome));
  if (json::find_bool(result, "isError").value_or(false)) {
    span.set_attribute("error.type", "tool_error");
    span.set_status(trace::StatusCode::error, "tool reported isError");
  }
}

// A passback call and the recorder it observes, made in one allocation: the recorder's pointer
// to its observer does not own it (an owning one would hold their block alive forever), and the
// block lives as long as anyone holds the recorder (see trace::RecorderOptions::observer).
struct RecordedCall {
  RecordedCall(const PassbackOptions& o, const passback_wire::Ask& asked)
      : call(asked.detailed && o.curation.allow_detailed, asked.hops, o.forwarding),
        recorder({.provider = o.provider,
                  .observer = std::shared_ptr<trace::RecorderObserver>(
                      std::shared_ptr<void>(), static_cast<trace::RecorderObserver*>(&call)),
                  .max_spans = o.max_recorded_spans}) {}

  PassbackCall call;  // made first, destroyed last: the recorder tells it of spans until then
  trace::Recorder recorder;
};

}  // namespace

Middleware make_passback_middleware(PassbackOptions options) {
  auto shared = std::make_shared<const PassbackOptions>(std::move(options));
  return [shared](RequestContext& ctx, const MethodHandler& next) -> Outcome {
    const PassbackOptions& o = *shared;
    if (ctx.method() == "initialize" || ctx.method() == kMethodServerDiscover) {
      Outcome outcome = next(ctx);
      advertise_passback(outcome);
      return outcome;
    }
    const bool tool = ctx.method() == "tools/call";
    if (!tool && ctx.method() != "resources/read") return next(ctx);

    const passback_wire::Ask asked = passback_wire::read_ask(ctx.meta());
    // Nobody wants these spans: no passback, no exporter of the server's own, and no caller's
    // trace for an outgoing call to continue (S14). Recording them would cost more than the call.
    if (!asked.requested && !o.provider->has_processors() && !asked.has_traceparent)
      return next(ctx);
    // S16: a loop of servers ends at the hop limit; nested calls inherit the ask.
    if (asked.requested && asked.hops >= o.forwarding.max_hops) {
      return jsonrpc::Error{kHopLimitErrorCode,
                            "passback hop limit (" + std::to_string(o.forwarding.max_hops) +
                                " servers) reached: is this a loop of MCP servers?",
                            json::object{{"hops", asked.hops}}};
    }
    std::shared_ptr<trace::Recorder> recorder;
    PassbackCall* call = nullptr;
    if (asked.requested) {
      auto both = std::make_shared<RecordedCall>(o, asked);
      call = &both->call;
      trace::Recorder* kept = &both->recorder;
      recorder = std::shared_ptr<trace::Recorder>(std::move(both), kept);
    } else {
      recorder = std::make_shared<trace::Recorder>(
          trace::RecorderOptions{.provider = o.provider, .max_spans = o.max_recorded_spans});
    }
    // S4, S5: one SERVER span under the caller's span, whatever its sampled flag.
    const json::string* target = call_target(ctx, tool);
    trace::Span root = trace::start_root_span(recorder, span_name(ctx, target),
                                              trace::SpanKind::server, asked.parent);
    describe_request(root, ctx, tool, target);
    std::shared_ptr<PassbackStream> stream;
    if (asked.requested && asked.stream) {
      trace::CurationOptions curation = o.curation;
      curation.detailed = asked.detailed;
      stream = std::make_shared<PassbackStream>(
          PassbackStreamOptions{.recorder = recorder.get(),
                                .root = root.context().span_id,
                                .curation = std::move(curation),
                                .send = [&ctx](json::object traces) {
                                  ctx.progress_meta({{"otel", {{"traces", std::move(traces)}}}});
                                }});
      call->stream_to(stream);
    }
    Outcome outcome;
    {
      trace::ContextScope scope(root);
      outcome = invoke_handler(next, ctx);
    }
    describe_outcome(root, outcome);
    if (stream) stream->stop();  // what is left goes with the response
    trace::SpanId root_id = root.context().span_id;
    root.end();
    if (!asked.requested) return outcome;

    // The server's options as they are unless the ask changes them (no copy of the redaction
    // rules per call).
    std::optional<trace::CurationOptions> changed;
    if (asked.detailed != o.curation.detailed) {
      changed = o.curation;
      changed->detailed = asked.detailed;
    }
    const trace::CurationOptions& curation = changed ? *changed : o.curation;
    trace::CurationReport report;
    const trace::TracerProvider& provider = *recorder->provider();
    std::vector<NestedHop> nested = call->take();
    if (!stream && nested.empty()) {
      // The common case: written straight as text, spliced into the response as it is.
      std::string text = trace::curate_to_otlp_json_string(recorder->take_in_place(), root_id,
                                                           provider, curation, &report);
      passback_wire::attach_text(
          outcome, ctx,
          passback_wire::finish_payload_text(std::move(text), std::move(report),
                                             recorder->dropped_span_count()));
      return outcome;
    }
    json::object nested_report;
    json::object traces = stream ? finish_streamed(*stream, recorder->take(), root_id, provider,
                                                   std::move(nested), &report, &nested_report)
                                 : curate_with_nested(recorder->take(), root_id, provider, curation,
                                                      std::move(nested), &report, &nested_report);
    passback_wire::finish_payload(traces, report, recorder->dropped_span_count());
    if (!nested_report.empty()) traces["policy"].get_object()["nested"] = std::move(nested_report);
    passback_wire::attach(outcome, std::move(traces));
    return outcome;
  };
}

std::shared_ptr<trace::TracerProvider> default_tracer_provider(const ServerOptions& server) {
  trace::Resource defaults;
  defaults.set("service.name", server.name);
  defaults.set("service.version", server.version);
  trace::TracerProviderOptions options;
  options.resource = trace::resource_from_environment(std::move(defaults));
  // S13: the server's full telemetry goes to its own backend when one is configured.
  if (std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") ||
      std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    auto exporter =
        std::make_shared<transport::OtlpHttpExporter>(transport::otlp_options_from_environment());
    options.processors.push_back(std::make_shared<trace::BatchSpanProcessor>(
        trace::batch_options_from_environment({.exporter = std::move(exporter)})));
  }
  return std::make_shared<trace::TracerProvider>(std::move(options));
}

void enable_passback(Server& server, PassbackOptions options) {
  if (!options.provider) options.provider = default_tracer_provider(server.options());
  server.use(make_passback_middleware(std::move(options)));
}

// S1: the capability in initialize; the extension identifier too where the negotiated protocol
// has an extensions map (2026-07-28 and later put one in the result).
void advertise_passback(Outcome& outcome) {
  if (outcome.index() != 0 || !std::get<0>(outcome).is_object()) return;
  json::object& result = std::get<0>(outcome).get_object();
  json::value& caps = result["capabilities"];
  if (!caps.is_object()) caps = json::object{};
  caps.get_object()[kPassbackCapability] = capability();
  if (json::value* extensions = caps.get_object().if_contains("extensions");
      extensions && extensions->is_object()) {
    extensions->get_object()[kPassbackExtension] = json::object{};
  }
}

}  // namespace glassbox::mcp
