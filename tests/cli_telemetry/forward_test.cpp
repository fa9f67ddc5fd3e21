// Client telemetry forwarding to a real OTLP/HTTP endpoint (the embedded collector), in both
// encodings, and the CLI's set-up of it: the stitched trace lands with each span under the
// resource of the service that produced it.
#include "cli_telemetry.hpp"
#include "collector.hpp"

#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"

#include <gtest/gtest.h>

#include <set>

namespace glassbox::cli {
namespace {

struct Staged {
  Staged() {
    server.add_tool({.name = "lookup"}, [](const json::object&, mcp::RequestContext& ctx) {
      {
        trace::Span auth = ctx.span("auth.validate");
        auth.set_attribute("authorization", "Bearer abc.def.ghi");
      }
      { trace::Span db = ctx.span("db.query"); }
      return mcp::CallToolResult::text("found");
    });
    trace::TracerProviderOptions po;
    po.resource.set("service.name", "lookup-server");
    mcp::enable_passback(server,
                         {.provider = std::make_shared<trace::TracerProvider>(std::move(po))});
  }
  void connect(mcp::Client& client) {
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
  }
  mcp::Server server{{.name = "lookup-server"}};
};

// service.name -> span names, for one trace in the store.
std::map<std::string, std::set<std::string>> stored(collector::TraceStore& store,
                                                    const std::string& trace_id) {
  std::map<std::string, std::set<std::string>> out;
  auto data = store.trace_data(trace_id);
  if (!data) return out;
  for (const auto& rs : data->resource_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) out[std::string(rs.resource.service_name())].insert(s.name);
  return out;
}

class Forwarding : public ::testing::TestWithParam<transport::OtlpProtocol> {};

TEST_P(Forwarding, StitchedSpansReachTheCollectorUnderTheirOwnResources) {  // covers C5, C7
  collector::Collector sink({.port = 0});
  sink.start();
  auto exporter = std::make_shared<transport::OtlpHttpExporter>(transport::OtlpHttpExporterOptions{
      .endpoint = transport::otlp_traces_endpoint(sink.base_url()), .protocol = GetParam()});
  trace::TracerProviderOptions po;
  po.resource.set("service.name", "caller");
  std::optional<mcp::StitchedTrace> last;
  Staged staged;
  mcp::Client client;
  auto telemetry = mcp::enable_client_telemetry(
      client, {.provider = std::make_shared<trace::TracerProvider>(std::move(po)),
               .exporter = exporter,
               .on_trace = [&](const mcp::StitchedTrace& t) { last = t; }});
  staged.connect(client);
  EXPECT_EQ(client.call_tool("lookup").content.at(0).at("text").as_string(), "found");
  ASSERT_TRUE(telemetry->force_flush());
  ASSERT_TRUE(last);
  EXPECT_EQ(exporter->stats().exported_spans, 4u);
  EXPECT_EQ(exporter->stats().requests, 1u);  // one call, one export request
  auto by_service = stored(sink.store(), last->client_span.trace_id.to_hex());
  EXPECT_EQ(by_service["caller"], (std::set<std::string>{"tools/call lookup"}));
  EXPECT_EQ(by_service["lookup-server"],
            (std::set<std::string>{"tools/call lookup", "auth.validate", "db.query"}));
  auto summary = sink.store().recent().at(0);
  EXPECT_EQ(summary.root_service, "caller");  // the CLIENT span is the root of the stitched trace
  EXPECT_EQ(summary.span_count, 4u);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Forwarding,
                         ::testing::Values(transport::OtlpProtocol::http_json,
                                           transport::OtlpProtocol::http_protobuf));

TEST(CliTelemetry, OtlpFlagAndNoPassback) {  // covers C1, C2, C7
  collector::Collector sink({.port = 0});
  sink.start();
  Staged staged;
  {
    CliTelemetry telemetry({.passback = false,
                            .otlp_endpoint = sink.base_url(),
                            .otlp_protocol = transport::OtlpProtocol::http_json,
                            .print_waterfall = false});
    mcp::Client client;
    telemetry.install(client);
    staged.connect(client);
    client.call_tool("lookup");
    ASSERT_TRUE(telemetry.last_trace());
    EXPECT_FALSE(telemetry.last_trace()->report.requested);
    client.close();
    telemetry.flush();
    EXPECT_EQ(sink.store().span_count(), 1u);  // the client's own span only: a black box
    EXPECT_EQ(sink.store().recent().at(0).root_service, "glassbox");
  }
  {
    Staged again;
    CliTelemetry telemetry(
        {.detailed = true, .otlp_endpoint = sink.base_url(), .print_waterfall = false});
    mcp::Client client;
    telemetry.install(client);
    again.connect(client);
    client.call_tool("lookup");
    client.close();
    telemetry.flush();
    EXPECT_EQ(sink.store().span_count(), 5u);
    EXPECT_EQ(telemetry.last_trace()->report.accepted_span_count, 3u);
  }
}

}  // namespace
}  // namespace glassbox::cli
