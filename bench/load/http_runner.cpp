#include "http_runner.hpp"

#include "process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string_view>

namespace glassbox::bench {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::string_view kInitializeBody =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"glassbox-load","version":"1.0.0"}}})";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// wrk prints durations as "52.00us", "1.20ms", "2.00s".
double to_microseconds(double value, const std::string& unit) {
  if (unit == "ms") return value * 1e3;
  if (unit == "s") return value * 1e6;
  if (unit == "m") return value * 60e6;
  return value;
}

}  // namespace

std::string tools_call_body(bool passback) {
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",)"
                     R"("arguments":{"message":"hello"})";
  if (passback)
    body += R"(,"_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",)"
            R"("otel":{"traces":{"request":true}}})";
  return body + "}}";
}

ProbeResult probe_http(std::uint16_t port, bool passback, const ProbeExpectations& expect) {
  ProbeResult result;
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    auto post = [&](std::string body) -> std::pair<int, std::string> {
      http::request<http::string_body> request{http::verb::post, "/mcp", 11};
      request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
      request.set(http::field::content_type, "application/json");
      request.set(http::field::accept, "application/json, text/event-stream");
      request.set("MCP-Protocol-Version", "2025-11-25");
      request.keep_alive(true);
      request.body() = std::move(body);
      request.prepare_payload();
      http::write(stream, request);
      beast::flat_buffer buffer;
      http::response<http::string_body> response;
      http::read(stream, buffer, response);
      return {response.result_int(), response.body()};
    };
    if (!expect.identical) {
      auto [status, body] = post(std::string(kInitializeBody));
      if (status != 200 || !contains(body, R"("protocolVersion")")) {
        result.failure =
            "initialize answered " + std::to_string(status) + ": " + body.substr(0, 300);
        return result;
      }
    }
    std::string call = tools_call_body(passback);
    auto [status, body] = post(call);
    result.response_bytes = body.size();
    if (status != 200)
      result.failure = "tools/call answered " + std::to_string(status);
    else if (expect.identical && body != call)
      result.failure = "the floor did not echo the body";
    else if (expect.echo && !contains(body, "Echo: hello"))
      result.failure = "unexpected tools/call response: " + body.substr(0, 300);
    else if (expect.spans && !contains(body, R"("resourceSpans")"))
      result.failure = "passback asked for, but no spans: " + body.substr(0, 300);
  } catch (const std::exception& e) {
    result.failure = std::string("probe failed: ") + e.what();
  }
  return result;
}

WrkResult parse_wrk_report(const std::string& report) {
  WrkResult result;
  std::smatch match;
  if (std::regex_search(report, match, std::regex(R"((\d+) requests in ([\d.]+)(\w+))"))) {
    result.requests = std::stoull(match[1]);
    result.seconds = to_microseconds(std::stod(match[2]), match[3]) / 1e6;
  }
  if (std::regex_search(report, match, std::regex(R"(Requests/sec:\s+([\d.]+))")))
    result.requests_per_second = std::stod(match[1]);
  if (std::regex_search(report, match, std::regex(R"(\n\s+50%\s+([\d.]+)(\w+))")))
    result.p50_us = to_microseconds(std::stod(match[1]), match[2]);
  if (std::regex_search(report, match, std::regex(R"(\n\s+99%\s+([\d.]+)(\w+))")))
    result.p99_us = to_microseconds(std::stod(match[1]), match[2]);
  if (std::regex_search(report, match, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))")))
    result.non_2xx = std::stoull(match[1]);
  if (std::regex_search(report, match,
                        std::regex(R"(connect (\d+), read (\d+), write (\d+), timeout (\d+))")))
    for (int i = 1; i <= 4; ++i) result.socket_errors += std::stoull(match[i]);
  if (result.requests == 0) result.failure = "wrk made no requests: " + report.substr(0, 500);
  return result;
}

WrkResult run_wrk(const WrkOptions& options) {
  // wrk takes whole seconds.
  int seconds = std::max(1, static_cast<int>(options.seconds + 0.5));
  std::vector<std::string> argv = {options.wrk,
                                   "-c" + std::to_string(options.connections),
                                   "-t" + std::to_string(options.threads),
                                   "-d" + std::to_string(seconds) + "s",
                                   "--latency",
                                   "-s",
                                   options.script,
                                   "http://127.0.0.1:" + std::to_string(options.port) + "/mcp"};
  if (options.passback) {
    argv.push_back("--");
    argv.push_back("passback");
  }
  // wrk writes its report to stdout; keep it in the log and read it back.
  std::string log = options.log_path.empty() ? "/tmp/glassbox-wrk.log" : options.log_path;
  std::remove(log.c_str());
  Process wrk({.argv = argv, .log_path = log});
  int status = wrk.wait_for_exit(std::chrono::seconds(seconds + 30));
  if (status != 0) {
    WrkResult failed;
    failed.failure = "wrk exited with " + std::to_string(status) + ": " + tail_of_file(log, 500);
    return failed;
  }
  return parse_wrk_report(tail_of_file(log, 100000));
}

}  // namespace glassbox::bench
