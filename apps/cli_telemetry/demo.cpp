// `glassbox demo`: the story of one tool call, first as a black box, then as a glass box.
#include "cli_telemetry.hpp"

#include "collector.hpp"
#include "glassbox/transport/stdio.hpp"
#include "stop_signals.hpp"

#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <iostream>

namespace glassbox::cli {

namespace {

constexpr std::string_view kAgentName = "support-agent";

struct Act {
  std::string title;
  std::string trace_id;
};

std::string self_path(const DemoCommandOptions& options) {
  if (!options.self.empty()) return options.self;
  std::error_code ec;
  auto resolved = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : resolved.string();
}

// Values the server replaced before they left it (S11), for act 3's commentary.
std::vector<std::string> redacted_keys(const mcp::StitchedTrace& t) {
  std::vector<std::string> keys;
  for (const auto& rs : t.server_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans)
        for (const auto& kv : s.attributes)
          if (const std::string* v = kv.value.if_string(); v && *v == "[REDACTED]")
            keys.push_back(kv.key);
  return keys;
}

std::unique_ptr<collector::Collector> start_collector(const DemoCommandOptions& options,
                                                      std::string& db_path) {
  collector::CollectorOptions co{.host = options.listen_host, .port = options.preferred_port};
  db_path = options.db.empty() ? collector::default_database_path() : options.db;
  co.store.path = db_path;
  auto c = std::make_unique<collector::Collector>(co);
  try {
    c->start();
    return c;
  } catch (const std::exception&) {
    co.port = 0;  // 4318 is taken (a real collector, say): any free port will do
  }
  c = std::make_unique<collector::Collector>(co);
  c->start();
  return c;
}

}  // namespace

int run_demo_command(const DemoCommandOptions& options) {
  const bool interactive = !options.no_wait && ::isatty(0) == 1 && ::isatty(1) == 1;
  sigset_t stop_signals{};
  if (interactive) stop_signals = apps::block_stop_signals();  // before any thread starts

  // An OTLP endpoint named on the command line or in the environment: the traces go there and
  // the embedded collector stays off (its links would show nothing of them).
  const bool external = !options.otlp_endpoint.empty() || otlp_endpoint_in_environment();
  std::string db_path;
  std::unique_ptr<collector::Collector> collector;
  if (!external) {
    try {
      collector = start_collector(options, db_path);
    } catch (const std::exception& e) {
      std::cerr << "glassbox: demo: cannot start the collector: " << e.what() << '\n';
      return 3;
    }
  }
  const std::string base = collector ? collector->base_url() : std::string();
  transport::OtlpHttpExporterOptions exporter_options{.endpoint =
                                                          transport::otlp_traces_endpoint(base)};
  if (external) {
    exporter_options = transport::otlp_options_from_environment();
    if (!options.otlp_endpoint.empty())
      exporter_options.endpoint = transport::otlp_traces_endpoint(options.otlp_endpoint);
  }
  if (options.otlp_protocol) exporter_options.protocol = *options.otlp_protocol;
  exporter_options.max_attempts = 2;
  const WaterfallOptions look{.colour = colour_enabled(1), .width = terminal_width(1)};
  auto bold = [&](std::string_view s) {
    return look.colour ? "\x1b[1m" + std::string(s) + "\x1b[0m" : std::string(s);
  };
  std::ostream& out = std::cout;

  out << bold("glassbox demo") << ": an agent calls the MCP server of another company's help desk\n"
      << "(acme-helpdesk, a separate process), which in turn calls its knowledge base, a third\n"
      << "process and MCP server (acme-kb). Can the agent see why a call was slow, or denied?\n\n";
  if (external) {
    out << "  traces to  " << exporter_options.endpoint << "  (OTLP/HTTP)\n\n";
  } else {
    // Its address only when it will still answer after the story: interactive runs serve on.
    out << "  collector  " << (interactive ? base : std::string("embedded"))
        << "  (OTLP/HTTP receiver and trace viewer" << (interactive ? ")" : ", for this run)")
        << "\n  database   " << db_path << "\n\n";
  }
  out << std::flush;

  auto exporter = std::make_shared<transport::OtlpHttpExporter>(exporter_options);
  trace::TracerProviderOptions provider_options;
  provider_options.resource.set("service.name", std::string(kAgentName));
  provider_options.resource.set("service.version", "1.0.0");
  std::optional<mcp::StitchedTrace> last;
  auto telemetry = std::make_shared<mcp::ClientTelemetry>(mcp::ClientTelemetryOptions{
      .passback = mcp::PassbackMode::automatic,
      .provider = std::make_shared<trace::TracerProvider>(std::move(provider_options)),
      .exporter = exporter,
      .on_trace = [&last](const mcp::StitchedTrace& t) { last = t; }});

  std::vector<Act> acts;
  int code = 0;
  try {
    mcp::Client client({.name = std::string(kAgentName), .version = "1.0.0"});
    telemetry->install(client);
    // The help desk is another company's server: its own exporter must not follow the agent's
    // OTEL_EXPORTER_OTLP_* into the agent's backend (act 1 would stop being a black box).
    client.connect(
        transport::spawn_process({.argv = {"env", "-u", "OTEL_EXPORTER_OTLP_ENDPOINT", "-u",
                                           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", self_path(options),
                                           "serve", "demo", "--stdio"}}));
    json::object search{{"customer", "acme-corp"}, {"query", "login"}};
    auto no_passback = json::object{{"otel", {{"traces", {{"request", false}}}}}};
    auto detailed = json::object{{"otel", {{"traces", {{"request", true}, {"detailed", true}}}}}};

    // Act 1
    client.call_tool("search_tickets", search, {.meta = no_passback});
    out << bold("Act 1. The black box.")
        << " The agent calls search_tickets the usual way. Its trace has\n"
        << "one span, its own: the call took "
        << (last->client_span.end_time_unix_nano - last->client_span.start_time_unix_nano) /
               1'000'000
        << " ms, and nothing says where the time went.\n\n"
        << render_waterfall(*last, look) << "\n";
    acts.push_back({"act 1, the black box", last->client_span.trace_id.to_hex()});

    // Act 2
    client.call_tool("search_tickets", search);
    out << bold("Act 2. The glass box.")
        << " The same call, asking for server execution telemetry\n"
        << "(_meta.otel.traces.request: true). The server hands back the spans of its stages in "
           "the\n"
        << "response; the agent checks them (same trace, under its own span) and stitches them "
           "in.\n"
        << "The help desk asked its knowledge base the same way, so the trace has three levels:\n"
        << "agent, help desk, knowledge base, each service in its own colour:\n\n"
        << render_waterfall(*last, look) << "\n";
    acts.push_back({"act 2, the glass box", last->client_span.trace_id.to_hex()});

    // Act 3
    client.call_tool("search_tickets", search, {.meta = detailed});
    std::vector<std::string> redacted = redacted_keys(*last);
    out << bold("Act 3. Detailed.")
        << " With detailed: true the server returns the whole tree: the JWKS\n"
        << "lookup inside auth, the knowledge base's shard reads, the calls on worker threads.";
    if (!redacted.empty()) {
      out << " It never\nhands out secrets: " << redacted.size()
          << " values were [REDACTED] before they left it (";
      for (std::size_t i = 0; i < redacted.size() && i < 2; ++i)
        out << (i ? ", " : "") << redacted[i];
      out << ").";
    }
    out << "\n\n" << render_waterfall(*last, look) << "\n";
    acts.push_back({"act 3, detailed", last->client_span.trace_id.to_hex()});

    // The denied call
    try {
      client.call_tool("delete_ticket", {{"id", 4711}});
      out << "(delete_ticket was allowed?)\n";
    } catch (const mcp::ProtocolError& e) {
      out << bold("The denied call.") << " delete_ticket is refused: a JSON-RPC error ("
          << e.error().code << ", \"" << e.what()
          << "\"),\nnot a result. The spans of the stages that ran come back inside the error "
          << "(error.data._meta.otel),\nso the agent sees which stage said no:\n\n"
          << render_waterfall(*last, look) << "\n";
    }
    acts.push_back({"the denied call", last->client_span.trace_id.to_hex()});
    client.close();
  } catch (const std::exception& e) {
    std::cerr << "glassbox: demo: " << e.what() << '\n';
    code = 3;
  }

  telemetry->force_flush(std::chrono::seconds(10));
  auto stats = exporter->stats();
  if (stats.failed_spans > 0) {
    std::cerr << "glassbox: demo: export to " << exporter_options.endpoint
              << " failed: " << exporter->last_error() << '\n';
    code = code ? code : 3;
  }
  auto list_acts = [&](std::string_view prefix) {
    for (const auto& act : acts) {
      std::string label = act.title;
      label.resize(std::max<std::size_t>(label.size(), 22), ' ');
      out << "  " << label << " " << prefix << act.trace_id << "\n";
    }
  };
  if (external) {
    // The backend is the user's: name the traces; its own UI finds them by id.
    out << "Each act's trace went to " << exporter_options.endpoint << " (" << stats.exported_spans
        << " spans). Their trace ids:\n";
    list_acts("");
  } else if (interactive) {
    out << "Each act's trace went to the collector over OTLP/HTTP (" << stats.exported_spans
        << " spans). The viewer serves them until Ctrl-C:\n"
        << "  all traces             " << base << "/\n";
    list_acts(base + "/trace/");
    out << std::flush;
    apps::wait_for_stop_signal(stop_signals);
  } else {
    // The collector stops with the demo: its URLs would be dead, so print the command that
    // serves the traces again and the paths to open on the address it prints.
    out << "Each act's trace went to the collector over OTLP/HTTP (" << stats.exported_spans
        << " spans); they are kept in " << db_path << ".\n"
        << "The collector stopped with the demo. To browse the traces, run\n"
        << "  glassbox collector --db " << db_path << "\n"
        << "and open these paths on the address it prints:\n"
        << "  all traces             /\n";
    list_acts("/trace/");
  }
  out << std::flush;
  if (collector) collector->stop();
  return code;
}

}  // namespace glassbox::cli
