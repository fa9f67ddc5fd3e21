// A hostile MCP server over stdio, for the command-line rows of docs/bad-input.md: it answers
// initialize normally, then answers every tools/call the way argv[1] says:
//   null-result     {"result":null}
//   string-content  {"result":{"content":"a string"}}
//   both            both result and error
//   terminal        text, a log message, span names and a service.name full of terminal escapes
//                   (title change, screen clear, CR LF forging waterfall lines), with passback
//                   in the caller's trace so that the waterfall shows them
// Raw lines on purpose: no glassbox server would write these.
#include "glassbox/json/json.hpp"

#include <cstdio>
#include <iostream>
#include <string>

namespace {

using namespace glassbox;

// The escapes a hostile server would use: OSC 0 (window title), CSI 2 J (clear screen), a C1 CSI
// (U+009B), a bidi override, and CR LF to forge a line of the waterfall.
const std::string kNasty =
    "\x1b]0;pwned\x07\x1b[2J\xc2\x9b"
    "31m\xe2\x80\xae\r\n  forged-span  service  ██████  1.00 ms";

void write_line(const json::value& v) {
  std::cout << json::serialize(v) << '\n' << std::flush;
}

json::object spans_for(const json::object& meta) {
  // traceparent: 00-<trace id>-<parent span id>-01
  const json::string* tp = json::find_string(meta, "traceparent");
  std::string trace_id = tp && tp->size() >= 55 ? std::string(tp->subview(3, 32)) : "";
  std::string parent = tp && tp->size() >= 55 ? std::string(tp->subview(36, 16)) : "";
  json::object span{{"traceId", trace_id},
                    {"spanId", "00f067aa0ba902b7"},
                    {"parentSpanId", parent},
                    {"name", "tools/call " + kNasty},
                    {"kind", 2},
                    {"startTimeUnixNano", "1710000000000000000"},
                    {"endTimeUnixNano", "1710000000004200000"},
                    {"status", {{"code", 2}, {"message", "failed " + kNasty}}}};
  json::object resource{
      {"attributes",
       json::array{json::object{{"key", "service.name"}, {"value", {{"stringValue", kNasty}}}}}}};
  return {{"resourceSpans",
           json::array{json::object{
               {"resource", std::move(resource)},
               {"scopeSpans", json::array{json::object{{"scope", {{"name", "hostile"}}},
                                                       {"spans", json::array{span}}}}}}}}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  std::string line;
  while (std::getline(std::cin, line)) {
    std::optional<json::value> v = json::parse(line);
    if (!v || !v->is_object()) continue;
    const json::object& o = v->get_object();
    const json::string* method = json::find_string(o, "method");
    auto id = o.find("id");
    if (method == nullptr || id == o.end()) continue;
    std::string id_text = json::serialize(id->value());
    if (*method == "initialize") {
      write_line(json::object{
          {"jsonrpc", "2.0"},
          {"id", id->value()},
          {"result",
           {{"protocolVersion", "2025-11-25"},
            {"capabilities",
             {{"tools", json::object{}}, {"serverExecutionTelemetry", json::object{}}}},
            {"serverInfo", {{"name", "hostile"}, {"version", "1.0"}}}}}});
    } else if (*method != "tools/call") {
      write_line(json::object{{"jsonrpc", "2.0"}, {"id", id->value()}, {"result", json::object{}}});
    } else if (mode == "null-result") {
      std::cout << R"({"jsonrpc":"2.0","id":)" << id_text << R"(,"result":null})" << '\n';
    } else if (mode == "string-content") {
      std::cout << R"({"jsonrpc":"2.0","id":)" << id_text << R"(,"result":{"content":"a string"}})"
                << '\n';
    } else if (mode == "both") {
      std::cout << R"({"jsonrpc":"2.0","id":)" << id_text
                << R"(,"result":{"content":[]},"error":{"code":1,"message":"x"}})" << '\n';
    } else if (mode == "terminal") {
      write_line(json::object{
          {"jsonrpc", "2.0"},
          {"method", "notifications/message"},
          {"params", {{"level", "error"}, {"logger", "log" + kNasty}, {"data", kNasty}}}});
      const json::object* params = json::find_object(o, "params");
      const json::object* meta = params ? json::find_object(*params, "_meta") : nullptr;
      json::object result{
          {"content", json::array{json::object{{"type", "text"}, {"text", "result " + kNasty}}}},
          {"_meta", {{"otel", {{"traces", spans_for(meta ? *meta : json::object{})}}}}}};
      write_line(json::object{{"jsonrpc", "2.0"}, {"id", id->value()}, {"result", result}});
    }
    std::cout << std::flush;
  }
  return 0;
}
