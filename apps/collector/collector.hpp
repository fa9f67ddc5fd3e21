// The embedded collector: an OTLP/HTTP trace receiver, a SQLite store and a web viewer, served by
// one process on one port (127.0.0.1 by default). It is what `glassbox collector` runs and what
// `glassbox demo` starts in-process; with no trace backend at all, a developer still sees the
// stitched traces (client span, server spans under it) in a browser.
//
//   glassbox::collector::Collector c({.port = 0, .db_path = "/tmp/traces.db"});
//   c.start();                                   // binds, serves on its own thread
//   ... POST OTLP to c.base_url() + "/v1/traces"; open c.base_url() in a browser ...
//   c.stop();
//
// Endpoints:
//   POST /v1/traces        OTLP/HTTP, application/json or application/x-protobuf, gzip allowed;
//                          bad input -> 400 with a reason (never a crash), too big -> 413
//   GET  /                 recent traces: root name, services, duration, span count
//   GET  /trace/<id>       one trace as a waterfall (colour per service.name)
//   GET  /api/traces       JSON list the page uses      GET /api/traces/<id>  JSON of one trace
// Every request first passes the checks of the MCP HTTP server (transport/http_guard.hpp):
// framing RFC 9112 refuses -> 400, a foreign Host or Origin -> 403.
//
// Threads: TraceStore is thread-safe (one connection behind a mutex). Collector's start/stop
// from one owning thread; requests are served on the collector's own I/O thread.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/span_limits.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glassbox::collector {

// ---- store -----------------------------------------------------------------------------------

struct TraceStoreOptions {
  std::string path = ":memory:";  // a file path, or ":memory:"
  // Retention: beyond this many traces, or while the stored traces take more than max_bytes
  // (the text written for them: names, attribute keys and values, events, links, resources),
  // the oldest (by latest arrival) are deleted with their spans, attributes and unused
  // resources, and their pages given back to the file system.
  std::size_t max_traces = 1000;
  std::size_t max_bytes = 256 * 1024 * 1024;
  // Applied to every span on the way in (S12, the SDK's limits): at most 128 attributes,
  // events and links (the rest dropped, counted in the span's dropped_*_count), values cut to
  // 64 KiB; every text made valid UTF-8 (invalid sequences become U+FFFD).
  trace::SpanLimits span_limits;
};

// What the store changed on the way in, since it opened (reported by /api/traces).
struct IngestCounts {
  trace::SpanLimitCounts limits;
  std::size_t evicted_traces = 0;  // by either retention bound
  json::object to_json() const;
};

struct TraceSummary {
  std::string trace_id;  // 32 hex
  std::string root_name;
  std::string root_service;
  std::vector<std::string> services;  // distinct service.name values, root's first
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  std::size_t span_count = 0;
  std::size_t error_count = 0;
  json::object to_json() const;
};

class TraceStore {
 public:
  // Opens (creates) the database, WAL mode, schema. Throws std::runtime_error on failure.
  explicit TraceStore(TraceStoreOptions options = {});
  ~TraceStore();
  TraceStore(const TraceStore&) = delete;
  TraceStore& operator=(const TraceStore&) = delete;

  // Stores every span of `traces` (one transaction), each under its resource; a span id seen
  // again in the same trace replaces the earlier one. Then applies retention. Returns the
  // number of spans stored.
  // Throws std::runtime_error when the store fails or is interrupted (nothing of that call is
  // kept). Its cost does not depend on what was stored before: no stored value is part of an
  // index key.
  std::size_t insert(const trace::TracesData& traces);
  // From any thread: an insert in progress stops at its next span or SQLite step and rolls
  // back, and inserts throw until resume(). What stop() and SIGTERM use, so that a big export
  // never holds the process.
  void interrupt();
  void resume();
  // True while an insert runs (lock-free: for health checks and tests).
  bool inserting() const noexcept;
  IngestCounts ingest_counts() const;
  std::size_t stored_bytes() const;  // what max_bytes bounds

  // Most recent first (by latest arrival).
  std::vector<TraceSummary> recent(std::size_t limit = 100) const;
  std::size_t trace_count() const;
  std::size_t span_count() const;
  // One trace as the viewer reads it: {"traceId", "summary", "resources":[{"serviceName",
  // "attributes"}], "spans":[{"spanId", "parentSpanId", "name", "kind", "startTimeUnixNano",
  // "endTimeUnixNano", "startOffsetMs", "durationMs", "status", "attributes", "events", "links",
  // "resource" (index), "scope"}]}; nullopt when unknown. Attribute values are OTLP AnyValue JSON.
  std::optional<json::object> trace_json(const std::string& trace_id) const;
  // The spans of one trace decoded back into the span model (grouped by resource).
  std::optional<trace::TracesData> trace_data(const std::string& trace_id) const;

  const std::string& path() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// ---- the server --------------------------------------------------------------------------

struct CollectorOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4318;  // 0: any free port
  TraceStoreOptions store;
  std::size_t max_body_bytes = 16 * 1024 * 1024;      // request body, compressed or not (413 above)
  std::size_t max_inflated_bytes = 64 * 1024 * 1024;  // a gzip body, once inflated
  trace::OtlpDecodeLimits decode_limits{.max_bytes = 64 * 1024 * 1024, .max_spans = 100'000};
  // When set, each accepted export goes here instead of into the store (a receiver that routes
  // spans, such as `glassbox proxy --passback-from-otlp`). Runs on the I/O thread: keep it short.
  std::function<void(trace::TracesData)> on_traces;
  // DNS rebinding protection, the MCP HTTP server's rule (transport/http_guard.hpp): empty
  // allows localhost/127.0.0.1/[::1] (any port) and `host`; Origins http(s)://loopback only.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
};

class Collector {
 public:
  explicit Collector(CollectorOptions options = {});
  ~Collector();  // stop()
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Opens the store, binds and starts serving on a background thread. Throws
  // std::runtime_error (with the reason) when the port is taken or the database cannot open.
  void start();
  void stop();

  std::uint16_t port() const noexcept;  // the bound port (after start)
  std::string base_url() const;         // "http://127.0.0.1:PORT"
  TraceStore& store();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The viewer's single page (HTML, CSS and JS in one string).
std::string_view viewer_page();

// gzip/zlib/raw-deflate inflation with an output bound; nullopt (and a reason) on bad input or
// when the output would pass max_bytes.
std::optional<std::string> inflate(std::string_view compressed, std::size_t max_bytes,
                                   std::string* error);

// The body of POST /v1/traces, decoded as the receiver does it before storing anything: the
// media type (JSON or protobuf), the Content-Encoding (identity, gzip, deflate; inflated under
// max_inflated_bytes), then the bounded OTLP decoder. A pure function (no I/O): the receiver,
// the fuzz target and the bad-input tests all go through it.
struct ExportDecodeResult {
  int status = 200;       // 200, or the HTTP status that refuses the body (400, 415)
  bool protobuf = false;  // the request was application/(x-)protobuf: answer in protobuf
  std::string reason;     // why it was refused; empty on success
  std::optional<trace::TracesData> traces;  // set when status is 200
};
ExportDecodeResult decode_export_request(std::string_view content_type,
                                         std::string_view content_encoding, std::string_view body,
                                         const CollectorOptions& options);

// ---- the command -----------------------------------------------------------------------------

struct CollectorCommandOptions {
  std::string listen = "127.0.0.1:4318";  // HOST:PORT
  std::string db;                         // empty: default_database_path()
  // Host names answered besides loopback and the --listen address ("*": any); a wildcard
  // --listen (0.0.0.0) needs them for exporters on other machines
  // (CollectorOptions::allowed_hosts).
  std::vector<std::string> allowed_hosts;
};

// `glassbox collector [--listen HOST:PORT] [--db FILE] [--allow-host NAME...]`: serves until
// SIGINT/SIGTERM. Prints the viewer URL and the database path on stderr. Returns the exit code (2
// on a bad --listen, 3 when it cannot bind or open the database).
int run_collector_command(const CollectorCommandOptions& options);

// $XDG_DATA_HOME/glassbox/traces.db (or ~/.local/share/glassbox/traces.db, or a temp dir),
// creating the directory.
std::string default_database_path();

// "127.0.0.1:4318" -> {"127.0.0.1", 4318}; nullopt when malformed.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

}  // namespace glassbox::collector
