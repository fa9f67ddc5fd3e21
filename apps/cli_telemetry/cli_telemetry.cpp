// Client telemetry as the CLI sets it up for `glassbox call` and `glassbox read`.
#include "cli_telemetry.hpp"

#include "terminal_text.hpp"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
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
      .stream = options_.stream,
      .provider = std::make_shared<trace::TracerProvider>(std::move(provider_options)),
      .exporter = exporter_,
      .on_trace =
          [this](const mcp::StitchedTrace& t) {
            last_ = t;
            clear_live();
            if (!options_.print_waterfall || !t.report.present) return;  // spans came back
            std::string text =
                render_waterfall(t, {.colour = colour_enabled(2), .width = terminal_width(2)});
            std::cerr << text << std::flush;
          },
  };
  if (options_.stream && options_.print_waterfall)
    telemetry.on_partial = [this](const mcp::StitchedTrace& t) { draw_partial(t); };
  telemetry_ = std::make_shared<mcp::ClientTelemetry>(std::move(telemetry));
}

void CliTelemetry::draw_partial(const mcp::StitchedTrace& so_far) {
  if (::isatty(2) == 1) {
    // Redraw in place: up over the previous drawing, clear to the end, draw again.
    std::string text =
        render_waterfall(so_far, {.colour = colour_enabled(2), .width = terminal_width(2)});
    if (live_lines_ > 0) std::cerr << "\x1b[" << live_lines_ << "A\x1b[J";
    std::cerr << text << std::flush;
    live_lines_ = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    return;
  }
  // Not a terminal: one line per span as it arrives, with its offset from the call's start.
  std::uint64_t start = so_far.client_span.start_time_unix_nano;
  for (const auto& rs : so_far.server_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) {
        if (!printed_.insert(s.span_id.to_hex()).second) continue;
        char line[64];
        std::snprintf(line, sizeof line, "  +%7.1f ms  %7.1f ms  ",
                      s.end_time_unix_nano > start ? (s.end_time_unix_nano - start) / 1e6 : 0.0,
                      (s.end_time_unix_nano - s.start_time_unix_nano) / 1e6);
        std::cerr << line << terminal_safe(s.name) << "  ("
                  << terminal_safe(rs.resource.service_name()) << ")\n";
      }
  std::cerr << std::flush;
}

void CliTelemetry::clear_live() {
  if (live_lines_ > 0) std::cerr << "\x1b[" << live_lines_ << "A\x1b[J";
  live_lines_ = 0;
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
