// The HTTP half of the load comparison: a one-request probe that checks a server answers right
// (status 200, the echo, the spans), then wrk for the load itself.
//
// wrk (Debian package) is the load generator: C, epoll, keep-alive connections, a fixed
// request built once by bench/http/tools_call.lua. Its cost per request is small and the same
// for every target.
#pragma once

#include <cstdint>
#include <string>

namespace glassbox::bench {

// The JSON-RPC bodies the HTTP runs POST (also what tools_call.lua sends).
std::string tools_call_body(bool passback);

struct ProbeExpectations {
  bool echo = true;        // the body holds "Echo: hello"
  bool spans = false;      // ... and "resourceSpans"
  bool identical = false;  // the body is the request's (the floor)
};

struct ProbeResult {
  std::string failure;             // empty when the server answered as expected
  std::size_t response_bytes = 0;  // the tools/call response body (SSE framing included)
};

// POSTs initialize (MCP servers only) then one tools/call to http://127.0.0.1:port/mcp with
// the headers of the Streamable HTTP transport.
ProbeResult probe_http(std::uint16_t port, bool passback, const ProbeExpectations& expect);

struct WrkOptions {
  std::string wrk = "wrk";
  std::string script;  // bench/http/tools_call.lua
  std::uint16_t port = 0;
  bool passback = false;
  int connections = 16;
  int threads = 1;
  double seconds = 2;
  std::string log_path;  // wrk's output is kept here
};

struct WrkResult {
  std::uint64_t requests = 0;
  double seconds = 0;
  double requests_per_second = 0;
  double p50_us = 0, p99_us = 0;
  std::uint64_t non_2xx = 0;        // "Non-2xx or 3xx responses"
  std::uint64_t socket_errors = 0;  // connect + read + write + timeout
  std::string failure;
};

// Runs wrk to the end and parses what it printed.
WrkResult run_wrk(const WrkOptions& options);

// Parses wrk's report (with --latency); exposed for the soak, which starts wrk itself.
WrkResult parse_wrk_report(const std::string& report);

}  // namespace glassbox::bench
