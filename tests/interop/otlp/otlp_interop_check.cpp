// Writes OTLP payloads (JSON, protobuf, curated passback JSON) and checks that an independent
// decoder (tests/interop/otlp_decode.mjs, on @opentelemetry/otlp-transformer's generated code)
// accepts them and reads back exactly what was encoded. Also checks that it rejects a corrupted
// payload, so that a decoder accepting anything cannot pass.
//
//   otlp_interop_check <node> <otlp_decode.mjs>
#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/tracer.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace gt = glassbox::trace;
namespace json = glassbox::json;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  } else {
    std::cout << "ok: " << what << "\n";
  }
}

std::string hex_bytes(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

json::value summarize_value(const gt::AttributeValue& v);

json::array summarize_attributes(const gt::Attributes& attributes) {
  json::array out;
  for (const auto& kv : attributes)
    out.push_back(json::array{json::value(kv.key), summarize_value(kv.value)});
  return out;
}

json::value summarize_value(const gt::AttributeValue& v) {
  json::object o;
  if (auto* s = v.if_string())
    o["string"] = *s;
  else if (auto* b = v.if_bool())
    o["bool"] = *b;
  else if (auto* i = v.if_int())
    o["int"] = std::to_string(*i);
  else if (auto* d = v.if_double())
    o["double"] = *d;
  else if (auto* bytes = v.if_bytes())
    o["bytes"] = hex_bytes(bytes->data);
  else if (auto* a = v.if_array()) {
    json::array values;
    for (const auto& e : a->values) values.push_back(summarize_value(e));
    o["array"] = std::move(values);
  } else if (auto* k = v.if_kvlist()) {
    o["kvlist"] = summarize_attributes(k->values);
  } else {
    return nullptr;
  }
  return o;
}

// The summary otlp_decode.mjs prints, computed from what glassbox encoded.
json::value expected_summary(const gt::TracesData& traces) {
  json::array resource_spans;
  for (const auto& rs : traces.resource_spans) {
    json::array scopes;
    for (const auto& ss : rs.scope_spans) {
      json::array spans;
      for (const auto& s : ss.spans) {
        json::array events, links;
        for (const auto& e : s.events)
          events.push_back(
              json::object{{"name", e.name}, {"attributes", summarize_attributes(e.attributes)}});
        for (const auto& l : s.links)
          links.push_back(json::object{{"traceId", l.context.trace_id.to_hex()},
                                       {"spanId", l.context.span_id.to_hex()}});
        spans.push_back(json::object{
            {"traceId", s.trace_id.to_hex()},
            {"spanId", s.span_id.to_hex()},
            {"parentSpanId", s.parent_span_id.is_valid() ? s.parent_span_id.to_hex() : ""},
            {"name", s.name},
            {"kind", static_cast<int>(s.kind)},
            {"startTimeUnixNano", std::to_string(s.start_time_unix_nano)},
            {"endTimeUnixNano", std::to_string(s.end_time_unix_nano)},
            {"attributes", summarize_attributes(s.attributes)},
            {"events", std::move(events)},
            {"links", std::move(links)},
            {"status", json::object{{"code", static_cast<int>(s.status_code)},
                                    {"message", s.status_message}}},
        });
      }
      scopes.push_back(json::object{
          {"name", ss.scope.name}, {"version", ss.scope.version}, {"spans", std::move(spans)}});
    }
    std::string_view service = rs.resource.service_name();
    resource_spans.push_back(
        json::object{{"serviceName", service.empty() ? json::value(nullptr) : json::value(service)},
                     {"resource", summarize_attributes(rs.resource.attributes)},
                     {"scopes", std::move(scopes)}});
  }
  return json::object{{"spanCount", traces.span_count()},
                      {"resourceSpans", std::move(resource_spans)}};
}

struct Run {
  int status = -1;
  std::string out;
};

Run run_decoder(const std::string& node, const std::string& script, const std::string& file,
                const std::string& format) {
  Run r;
  std::string command = "'" + node + "' '" + script + "' '" + file + "' " + format;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

void expect_decoded(const std::string& node, const std::string& script,
                    const std::filesystem::path& file, const std::string& format,
                    const json::value& expected, const std::string& what) {
  Run r = run_decoder(node, script, file.string(), format);
  check(r.status == 0, what + ": decoder accepts it (exit " + std::to_string(r.status) + ")");
  auto parsed = json::parse(r.out);
  bool same = parsed && *parsed == expected;
  if (!same) {
    std::cerr << "  decoder: " << r.out << "\n  expected: " << json::serialize(expected) << "\n";
  }
  check(same, what + ": decoder reads back what was encoded");
}

gt::TracesData sample() {
  auto provider = std::make_shared<gt::TracerProvider>();
  auto recorder = std::make_shared<gt::Recorder>(gt::RecorderOptions{.provider = provider});
  auto parent = gt::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  gt::Span root =
      gt::start_root_span(recorder, "tools/call list_emails", gt::SpanKind::server, parent);
  root.set_attribute("mcp.method.name", "tools/call");
  root.set_attribute("big", std::int64_t{-9007199254740993});
  root.set_attribute("ratio", 0.25);
  root.set_attribute("ok", true);
  root.set_attribute("raw", gt::BytesValue{std::string("\x00\x01\xfe\xff", 4)});
  root.set_attribute("list", gt::ArrayValue{{"a", 1, false, 2.5}});
  root.set_attribute(
      "nested", gt::KvlistValue{{{"inner", gt::KvlistValue{{{"deep", gt::ArrayValue{{"x"}}}}}}}});
  root.set_attribute("http.request.header.authorization", "Bearer abcdefgh12345678");
  {
    gt::ContextScope scope(root);
    gt::Span db = gt::start_span("db.query", gt::SpanKind::client);
    db.add_event("retry", {{"attempt", 2}});
    db.add_link({gt::generate_trace_id(), gt::generate_span_id(), 1, "", true}, {});
    db.set_status(gt::StatusCode::error, "timeout");
    gt::Span deep = gt::start_span("deep");
  }
  root.end();
  gt::TracesData traces;
  traces.resource_spans.push_back(
      {gt::Resource{}.set("service.name", "mail-server").set("service.version", "1.0"),
       {{gt::InstrumentationScope{}, recorder->take(), ""}},
       ""});
  return traces;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: otlp_interop_check <node> <otlp_decode.mjs>\n";
    return 2;
  }
  const std::string node = argv[1], script = argv[2];
  if (!std::filesystem::exists(node)) {
    std::cerr << "node not found at " << node << " (install node_modules first)\n";
    return 1;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("glassbox-otlp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  gt::TracesData traces = sample();
  json::value expected = expected_summary(traces);

  write_file(dir / "payload.json", json::serialize(gt::encode_otlp_json(traces)));
  expect_decoded(node, script, dir / "payload.json", "json", expected, "OTLP JSON (tree)");
  write_file(dir / "direct.json", gt::encode_otlp_json_string(traces));
  expect_decoded(node, script, dir / "direct.json", "json", expected, "OTLP JSON (direct writer)");
  write_file(dir / "payload.pb", gt::encode_otlp_protobuf(traces));
  expect_decoded(node, script, dir / "payload.pb", "protobuf", expected, "OTLP protobuf");

  // The passback payload (S7): curated, redacted, top level only; must still be valid OTLP.
  const auto& rs = traces.resource_spans[0];
  const auto& spans = rs.scope_spans[0].spans;
  gt::SpanId root = spans.back().span_id;  // the root ends last
  gt::CurationReport report;
  json::object passback = gt::curate_to_otlp_json(spans, root, rs.resource, {}, {}, &report);
  write_file(dir / "passback.json", json::serialize(passback));
  auto curated = gt::decode_otlp_json(json::value(passback));
  check(curated && report.redacted_attribute_count == 1 && report.dropped_span_count == 1,
        "curated passback: redaction and top-level filter applied");
  if (curated) {
    expect_decoded(node, script, dir / "passback.json", "json", expected_summary(*curated),
                   "curated passback JSON");
  }

  // Negative controls: the decoder must reject what is not OTLP.
  std::string wire = gt::encode_otlp_protobuf(traces);
  write_file(dir / "truncated.pb", wire.substr(0, wire.size() / 2));
  check(run_decoder(node, script, (dir / "truncated.pb").string(), "protobuf").status != 0,
        "decoder rejects a truncated protobuf payload");
  std::string bad = json::serialize(gt::encode_otlp_json(traces));
  bad.replace(bad.find("\"traceId\":\"") + 11, 2, "zz");
  write_file(dir / "bad.json", bad);
  check(run_decoder(node, script, (dir / "bad.json").string(), "json").status != 0,
        "decoder rejects a non-hex trace id");

  std::filesystem::remove_all(dir);
  std::cout << (failures ? "FAILED" : "PASSED") << "\n";
  return failures ? 1 : 0;
}
