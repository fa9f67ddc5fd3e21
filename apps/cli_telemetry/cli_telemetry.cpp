// Client telemetry as the CLI sets it up for `glassbox call` and `glassbox read`.
#include "cli_telemetry.hpp"

#include <cstdlib>
#include <iostream>

namespace glassbox::cli {

bool otlp_endpoint_in_environment() {
  for (const char* name : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
    if (const char* v = std::getenv(name); v && *v) return true;
  }
  return false;
}

std::shared_ptr<transport::OtlpHttpExporter> make_command_exporter(
    const std::string& otlp_endpoint, const std::optional<transport::OtlpProtocol>& otlp_protocol) {
  // --otlp and --otlp-protocol override the environment, as the design's CLI contract says.
  if (otlp_endpoint.empty() && !otlp_endpoint_in_environment()) return nullptr;
  transport::OtlpHttpExporterOptions exporter_options = transport::otlp_options_from_environment();
  if (!otlp_endpoint.empty())
    exporter_options.endpoint = transport::otlp_traces_endpoint(otlp_endpoint);
  if (otlp_protocol) exporter_options.protocol = *otlp_protocol;
  exporter_options.max_attempts = 2;  // a command line should not hang on a dead collector
  return std::make_shared<transport::OtlpHttpExporter>(std::move(exporter_options));
}

CliTelemetry::CliTelemetry(CliTelemetryOptions options) : options_(std::move(options)) {
  exporter_ = make_command_exporter(options_.otlp_endpoint, options_.otlp_protocol);
  trace::Resource defaults;
  defaults.set("service.name", "glassbox");
  defaults.set("service.version", "0.1.0");
  trace::TracerProviderOptions provider_options;
  provider_options.resource = trace::resource_from_environment(std::move(defaults));
  mcp::ClientTelemetryOptions telemetry{
      .passback = options_.passback ? mcp::PassbackMode::automatic : mcp::PassbackMode::never,
      .detailed = options_.detailed,
      .provider = std::make_shared<trace::TracerProvider>(std::move(provider_options)),
      .exporter = exporter_,
      .on_trace =
          [this](const mcp::StitchedTrace& t) {
            last_ = t;
            if (!options_.print_waterfall || !t.report.present) return;  // spans came back
            std::string text =
                render_waterfall(t, {.colour = colour_enabled(2), .width = terminal_width(2)});
            std::cerr << text << std::flush;
          },
  };
  telemetry_ = std::make_shared<mcp::ClientTelemetry>(std::move(telemetry));
}

CliTelemetry::~CliTelemetry() {
  flush();
}

void CliTelemetry::install(mcp::Client& client) {
  telemetry_->install(client);
}

void CliTelemetry::flush() {
  if (flushed_) return;
  flushed_ = true;
  telemetry_->force_flush(std::chrono::seconds(10));
  if (exporter_) {
    auto stats = exporter_->stats();
    if (stats.failed_spans > 0) {
      std::cerr << "glassbox: OTLP export to " << exporter_->options().endpoint
                << " failed: " << exporter_->last_error() << '\n';
    }
  }
}

}  // namespace glassbox::cli
