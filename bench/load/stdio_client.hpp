// The stdio load client: drives a child over its stdin/stdout pipes with hand-written
// JSON-RPC lines and finds each response by scanning it for its id. No MCP library and no JSON
// parser, so that the client's own cost per call stays far below any server's: what the table
// measures is the server (and the pipe), not the client.
//
// It keeps `depth` tools/call requests in flight: one at a time (sequential), or a window of
// 16 or 64 refilled as responses arrive (each batch of responses read is answered by one write
// of as many new requests).
//
// Threads: one StdioClient per thread; it starts a watchdog thread per run that kills a
// server that stops answering, so a hung server fails the run instead of hanging the bench.
#pragma once

#include "process.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace glassbox::bench {

struct StdioRunOptions {
  int depth = 1;          // requests in flight
  bool passback = false;  // _meta carries traceparent + otel.traces.request: true
  double warmup_seconds = 0.5;
  double seconds = 2;       // the measured window, after the warm-up
  std::uint64_t calls = 0;  // non-zero: send exactly this many, no warm-up and no time limit
  // Checks on the first response: it echoes the message (MCP servers), carries spans
  // (glassbox with passback), or equals the request byte for byte (cat).
  bool expect_echo = true;
  bool expect_spans = false;
  bool expect_identical = false;
  // Called from the client's loop about every `tick_seconds` (soak: sample the RSS).
  std::function<void(double elapsed_seconds)> on_tick;
  double tick_seconds = 5;
  std::chrono::seconds stall_timeout{10};  // no response for this long: the run fails
};

struct StdioRunResult {
  std::uint64_t calls = 0;  // completed in the measured window
  double seconds = 0;
  double calls_per_second = 0;
  double p50_us = 0, p99_us = 0;
  std::uint64_t errors = 0;  // JSON-RPC errors and isError results, warm-up included
  double server_cpu_us_per_call = 0;
  long server_peak_rss_kb = 0;
  std::size_t response_bytes = 0;  // of the first response, newline excluded
  std::string failure;             // empty when the run worked
};

class StdioClient {
 public:
  // `server` must have been started with pipe_stdio.
  explicit StdioClient(Process& server) : server_(server) {}

  // initialize + notifications/initialized, as a real client starts. Returns "" or the failure.
  std::string handshake(std::chrono::seconds timeout = std::chrono::seconds(10));

  StdioRunResult run(const StdioRunOptions& options);

 private:
  Process& server_;
  std::uint64_t next_id_ = 1;
  std::string inbox_;  // bytes read but not yet a whole line
};

}  // namespace glassbox::bench
