// The command line's side of server execution telemetry: the terminal waterfall of a stitched
// trace, the telemetry set-up of `glassbox call` / `glassbox read` (passback, --detailed,
// --otlp), and `glassbox demo`. The CLI's main.cpp calls these; they print to stderr so that
// stdout stays the command's result.
//
// Threads: render_waterfall is a pure function. CliTelemetry is built and used by the thread
// that runs the command; its on_trace printing runs on the calling thread of each call.
#pragma once

#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/transport/otlp_http_exporter.hpp"

#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace glassbox::cli {

// ---- the terminal waterfall --------------------------------------------------------------

struct WaterfallOptions {
  bool colour = false;      // ANSI colours (one per service, red for errors)
  std::size_t width = 100;  // total line width in columns
};

// The stitched trace as a tree: the CLIENT span, the server's spans under it, each with its
// service, a bar placed and scaled on the call's time line, its duration, and errors marked.
// Ends with a line on what passback did (spans kept, dropped, discarded and why).
std::string render_waterfall(const mcp::StitchedTrace& trace, const WaterfallOptions& options = {});

// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set and not empty.
bool otlp_endpoint_in_environment();

// Colour on `fd` (1 or 2): a terminal, and NO_COLOR unset (https://no-color.org), TERM not "dumb".
bool colour_enabled(int fd);
// The terminal's width on `fd`, or `fallback` when it is not a terminal.
std::size_t terminal_width(int fd, std::size_t fallback = 100);

// ---- `glassbox call` / `glassbox read` ---------------------------------------------------

struct CliTelemetryOptions {
  bool passback = true;   // false: --no-passback (the CLIENT span and traceparent still go)
  bool detailed = false;  // --detailed
  // --stream (S17): spans come while the call runs. On a terminal (stderr) the waterfall is
  // redrawn at each partial payload; otherwise one line is printed per span as it arrives.
  bool stream = false;
  // --otlp: an OTLP/HTTP base URL ("/v1/traces" appended). Empty: OTEL_EXPORTER_OTLP_* when set,
  // else no export.
  std::string otlp_endpoint;
  std::optional<transport::OtlpProtocol> otlp_protocol;  // --otlp-protocol; unset: env or protobuf
  bool print_waterfall = true;  // on stderr, when the server passed spans back
};

// The OTLP/HTTP exporter a command uses: --otlp (a base URL) and --otlp-protocol over the
// OTEL_EXPORTER_OTLP_* variables; null when neither names an endpoint (no export).
std::shared_ptr<transport::OtlpHttpExporter> make_command_exporter(
    const std::string& otlp_endpoint, const std::optional<transport::OtlpProtocol>& otlp_protocol);

// Client telemetry for one CLI command: resource service.name "glassbox" (OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES apply), export as above, the waterfall printed on stderr after each
// call that returned spans.
class CliTelemetry {
 public:
  explicit CliTelemetry(CliTelemetryOptions options);
  ~CliTelemetry();                             // flush()
  CliTelemetry(const CliTelemetry&) = delete;  // on_trace holds `this`
  CliTelemetry& operator=(const CliTelemetry&) = delete;

  // Call before client.connect().
  void install(mcp::Client& client);
  // Waits for the export (bounded); prints a warning on stderr when it failed.
  void flush();
  const std::optional<mcp::StitchedTrace>& last_trace() const { return last_; }
  bool exporting() const { return exporter_ != nullptr; }

 private:
  CliTelemetryOptions options_;
  std::shared_ptr<transport::OtlpHttpExporter> exporter_;
  std::shared_ptr<mcp::ClientTelemetry> telemetry_;
  void draw_partial(const mcp::StitchedTrace& so_far);  // --stream, on the reader thread
  void clear_live();                                    // the live drawing, before the final

  std::optional<mcp::StitchedTrace> last_;
  bool flushed_ = false;
  std::size_t live_lines_ = 0;     // lines of the live waterfall on the terminal
  std::set<std::string> printed_;  // span ids printed as lines (not a terminal)
};

// ---- `glassbox demo` ---------------------------------------------------------------------

struct DemoCommandOptions {
  bool no_wait = false;  // --no-wait: exit once the story is told (also when not on a terminal)
  std::string db;        // --db FILE; empty: the collector's default database
  // --otlp: send the traces to this OTLP/HTTP base URL instead of the embedded collector (which
  // then does not start). Empty: OTEL_EXPORTER_OTLP_* when set, else the embedded collector.
  std::string otlp_endpoint;
  std::optional<transport::OtlpProtocol> otlp_protocol;  // --otlp-protocol; unset: env or protobuf
  std::string listen_host = "127.0.0.1";
  std::uint16_t preferred_port = 4318;  // taken: any free port
  std::string self;  // the glassbox binary that serves the demo server; empty: /proc/self/exe
};

// Starts the embedded collector (unless an OTLP endpoint is given), runs `<self> serve demo
// --stdio`, and tells the story: act 1 without passback (one bar), act 2 with passback (the
// stages under the client span), act 3 detailed (the whole tree, redaction visible), and the
// denied call. Each act's trace goes over OTLP/HTTP to the collector or the given endpoint. Only
// links that answer are printed: the viewer's URLs while it serves (interactive, until Ctrl-C);
// otherwise the command that reopens the traces, or the trace ids for the external backend.
// Returns the exit code.
int run_demo_command(const DemoCommandOptions& options);

}  // namespace glassbox::cli
