// glassbox's client in the client comparison (scripts/bench.sh): mcp::Client over
// spawn_process (stdio) or connect_http, calling the `echo` tool with `depth` calls in flight on
// one connection. Depth 1 is the blocking Client::call_tool in a loop; over stdio a greater depth
// keeps `depth` asynchronous calls (Client::call_tool_async) in flight from one thread, each
// completion starting the next call, as the other SDKs' clients do on their async runtimes. Over
// HTTP `depth` threads each call call_tool in a loop (the asynchronous path there measured
// fewer calls/s in its first runs; not yet looked into).
// The same command line as the other SDKs' clients
// (bench/go, bench/rust, bench/python, bench/node/echo_client.mjs):
//
//   client_load --client stdio|http --target T [--depth N] [--warmup S] [--seconds S]
//
// T is the server's command line (split on spaces) or its URL. Prints
// "calls=... seconds=... errors=..."; any error or wrong answer is counted.
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/stdio.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace glassbox;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string transport, target;
  int depth = 1;
  double warmup = 0.5, seconds = 2;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--client")
      args.transport = value;
    else if (name == "--target")
      args.target = value;
    else if (name == "--depth")
      args.depth = std::atoi(value);
    else if (name == "--warmup")
      args.warmup = std::atof(value);
    else if (name == "--seconds")
      args.seconds = std::atof(value);
    else
      return false;
  }
  return (argc % 2) == 1 && (args.transport == "stdio" || args.transport == "http") &&
         !args.target.empty() && args.depth > 0;
}

std::shared_ptr<transport::Transport> make_transport(const Args& args) {
  if (args.transport == "http")
    return transport::connect_http({.url = args.target, .open_get_stream = false});
  std::vector<std::string> argv;
  std::istringstream words(args.target);
  for (std::string word; words >> word;) argv.push_back(word);
  return transport::spawn_process({.argv = argv});
}

bool is_echo(const mcp::CallToolResult& result) {
  if (result.is_error || result.content.size() != 1 || !result.content[0].is_object()) return false;
  const json::string* text = json::find_string(result.content[0].as_object(), "text");
  return text && *text == "Echo: hello";
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: client_load --client stdio|http --target T [--depth N] [--warmup S]"
                 " [--seconds S]\n";
    return 2;
  }
  try {
    mcp::Client client({.name = "glassbox-bench-client", .version = "1.0.0"});
    client.connect(make_transport(args));
    std::atomic<std::uint64_t> calls{0}, errors{0};
    const Clock::time_point end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(args.warmup + args.seconds));
    const Clock::time_point measure_from =
        Clock::now() +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.warmup));
    Clock::time_point start;
    if (args.depth == 1 || args.transport == "http") {
      auto blocking_calls = [&] {
        for (Clock::time_point now = Clock::now(); now < end; now = Clock::now()) {
          bool ok = false;
          try {
            ok = is_echo(client.call_tool("echo", {{"message", "hello"}}));
          } catch (const std::exception&) {
          }
          if (!ok) errors.fetch_add(1, std::memory_order_relaxed);
          if (now >= measure_from) calls.fetch_add(1, std::memory_order_relaxed);
        }
      };
      std::vector<std::thread> workers;
      for (int i = 1; i < args.depth; ++i) workers.emplace_back(blocking_calls);
      blocking_calls();
      for (std::thread& worker : workers) worker.join();
      start = measure_from;
    } else {
      // Each completion (on the client's reader thread) starts the next call until the end.
      std::mutex mutex;
      std::condition_variable finished;
      int in_flight = args.depth;
      std::function<void()> next;
      next = [&] {
        client.call_tool_async(
            "echo", {{"message", "hello"}}, {}, [&](mcp::Client::CallToolOutcome outcome) {
              const bool ok = outcome.index() == 0 && is_echo(std::get<0>(outcome));
              if (!ok) errors.fetch_add(1, std::memory_order_relaxed);
              const Clock::time_point now = Clock::now();
              if (now >= measure_from) calls.fetch_add(1, std::memory_order_relaxed);
              if (now < end) return next();
              std::lock_guard lock(mutex);
              if (--in_flight == 0) finished.notify_one();
            });
      };
      for (int i = 0; i < args.depth; ++i) next();
      start = measure_from;
      std::unique_lock lock(mutex);
      finished.wait(lock, [&] { return in_flight == 0; });
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("calls=%llu seconds=%.6f errors=%llu\n",
                static_cast<unsigned long long>(calls.load()), elapsed,
                static_cast<unsigned long long>(errors.load()));
    std::fflush(stdout);
    client.close();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "client_load: " << e.what() << "\n";
    return 1;
  }
}
