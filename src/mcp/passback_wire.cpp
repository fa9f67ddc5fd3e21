#include "mcp/passback_wire.hpp"

#include "glassbox/jsonrpc/envelope.hpp"
#include "mcp/passback_forward.hpp"

#include <charconv>
#include <utility>

namespace glassbox::mcp::passback_wire {
namespace {

json::object& object_at(json::object& holder, std::string_view key) {
  json::value& v = holder[key];
  if (!v.is_object()) v = json::object{};
  return v.get_object();
}

// _meta.otel of `meta`'s owner, made an object when it is not one.
void put_traces(json::object& meta, json::value payload) {
  object_at(meta, "otel")["traces"] = std::move(payload);
}

}  // namespace

Ask read_ask(const json::object& meta) {
  // One pass over each object (keys are unique in a json::object) instead of a lookup per key:
  // every tools/call and resources/read reads its ask.
  Ask ask;
  auto is_true = [](const json::value& v) { return v.is_bool() && v.get_bool(); };
  const json::object* traces = nullptr;
  const json::value* traceparent = nullptr;
  const json::string* tracestate = nullptr;
  bool progress = false;
  for (const auto& member : meta) {
    const std::string_view key = member.key();
    if (key == "otel") {
      if (const json::object* otel = member.value().if_object())
        traces = json::find_object(*otel, "traces");
    } else if (key == "traceparent") {
      traceparent = &member.value();
    } else if (key == "tracestate") {
      tracestate = member.value().if_string();
    } else if (key == "progressToken") {
      progress = true;
    }
  }
  if (traces) {
    bool stream = false;
    for (const auto& member : *traces) {
      const std::string_view key = member.key();
      if (key == "request") {
        ask.stated = true;
        ask.requested = is_true(member.value());
      } else if (key == "detailed") {
        ask.detailed = is_true(member.value());
      } else if (key == "stream") {
        stream = is_true(member.value());
      }
    }
    ask.hops = read_hops(*traces);
    ask.stream = stream && progress;
  }
  if (traceparent) {
    ask.has_traceparent = true;
    if (const json::string* text = traceparent->if_string()) {
      ask.parent = trace::parse_traceparent(
          *text, tracestate ? std::string_view(*tracestate) : std::string_view());
    }
  }
  return ask;
}

void write_trace_context(json::object& meta, const trace::SpanContext& span) {
  meta["traceparent"] = trace::format_traceparent(span);
  if (!span.tracestate.empty()) meta["tracestate"] = span.tracestate;
}

void write_ask(json::object& meta, bool detailed, bool stream) {
  json::object traces{{"request", true}, {"detailed", detailed}};
  if (stream) traces["stream"] = true;  // S17
  object_at(meta, "otel")["traces"] = std::move(traces);
}

json::object build_payload(trace::Recorder& recorder, const trace::SpanId& root,
                           const trace::CurationOptions& curation) {
  trace::CurationReport report;
  const trace::TracerProvider& provider = *recorder.provider();
  json::object traces = trace::curate_to_otlp_json(recorder.take(), root, provider.resource(),
                                                   provider.scope(), curation, &report);
  finish_payload(traces, std::move(report), recorder.dropped_span_count());
  return traces;
}

void finish_payload(json::object& payload, trace::CurationReport report,
                    std::uint64_t recorder_dropped) {
  report.dropped_span_count += recorder_dropped;
  payload["truncated"] = report.truncated || recorder_dropped > 0;
  payload["droppedSpanCount"] = report.dropped_span_count;
  payload["policy"] = report.to_json();  // S15
}

std::string finish_payload_text(std::string curated, trace::CurationReport report,
                                std::uint64_t recorder_dropped) {
  report.dropped_span_count += recorder_dropped;
  curated.pop_back();  // the closing brace of {"resourceSpans":[...]}
  curated +=
      report.truncated || recorder_dropped > 0 ? R"(,"truncated":true)" : R"(,"truncated":false)";
  curated += R"(,"droppedSpanCount":)";
  char digits[24];
  curated.append(digits,
                 std::to_chars(digits, digits + sizeof digits, report.dropped_span_count).ptr);
  curated += R"(,"policy":)";
  report.append_json(curated);  // S15
  curated += '}';
  return curated;
}

void attach_text(Outcome& outcome, RequestContext& ctx, std::string payload) {
  if (outcome.index() != 0) {
    attach(outcome, std::move(boost::json::parse(payload).get_object()));
    return;
  }
  // A result without _meta (the usual one) gets the text where put_traces would have put
  // _meta, its last member for now, with no tree built for it; otherwise a null placeholder
  // keeps the text's place among what _meta already holds.
  const json::object* result = std::get<0>(outcome).if_object();
  std::size_t position = SIZE_MAX;
  if (result != nullptr && !result->contains("_meta")) {
    position = result->size();
  } else {
    put_traces(outcome_meta(outcome), nullptr);
  }
  static constexpr std::string_view kPath[] = {"_meta", "otel", "traces"};
  set_raw_result_member(ctx, {.path = kPath, .json = std::move(payload), .position = position});
}

void attach(Outcome& outcome, json::object payload) {
  put_traces(outcome_meta(outcome), std::move(payload));
}

void attach_to_error_data(json::object& data, json::object payload) {
  put_traces(object_at(data, "_meta"), std::move(payload));
}

const json::value* find_payload(const Outcome& outcome) {
  const json::value& holder =
      outcome.index() == 0 ? std::get<0>(outcome) : std::get<1>(outcome).data;
  const json::object* meta = json::find_object(json::as_object_or_empty(holder), "_meta");
  const json::object* otel = meta ? json::find_object(*meta, "otel") : nullptr;
  return otel ? otel->if_contains("traces") : nullptr;
}

PayloadClaims read_claims(const json::object& payload) {
  PayloadClaims claims;
  claims.discarded = json::find_string(payload, jsonrpc::kDiscardedKey);
  if (auto dropped = json::find_int(payload, "droppedSpanCount"); dropped && *dropped > 0)
    claims.dropped_span_count = static_cast<std::uint64_t>(*dropped);
  claims.policy = json::find_object(payload, "policy");
  return claims;
}

}  // namespace glassbox::mcp::passback_wire
