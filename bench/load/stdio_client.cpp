#include "stdio_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace glassbox::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kRequestPrefix = R"({"jsonrpc":"2.0","id":)";
constexpr std::string_view kCallWithoutPassback =
    R"(,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}})"
    "\n";
// SEP-414 trace context plus the SEP-2448 opt-in (docs/passback.md, rule S2).
constexpr std::string_view kCallWithPassback =
    R"(,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"},)"
    R"("_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",)"
    R"("otel":{"traces":{"request":true}}}}})"
    "\n";
constexpr std::string_view kInitialize =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"glassbox-load","version":"1.0.0"}}})"
    "\n";
constexpr std::string_view kInitialized =
    R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
    "\n";

// memmem, not string_view::find: find stops at every byte equal to the needle's first, and
// every needle here starts with a quote, so scanning a 2.3 kB passback answer cost the driver
// about 6 µs per call (its is_error check alone), charged to the server's time per call.
bool contains(std::string_view text, std::string_view part) {
  return ::memmem(text.data(), text.size(), part.data(), part.size()) != nullptr;
}

// The id of a response line: the number after the first `"id":`. Our requests are the only
// source of ids, and none of the other keys a response carries is spelled exactly "id".
bool find_id(std::string_view line, std::uint64_t& id) {
  std::size_t at = line.find(R"("id":)");
  if (at == std::string_view::npos) return false;
  const char* first = line.data() + at + 5;
  return std::from_chars(first, line.data() + line.size(), id).ec == std::errc{};
}

bool is_error(std::string_view line) {
  return contains(line, R"("error":)") || contains(line, R"("isError":true)");
}

// Kills the server when the client sees no response for `timeout`: a blocking read then
// returns end of file and the run fails instead of hanging.
class Watchdog {
 public:
  Watchdog(pid_t pid, std::chrono::seconds timeout)
      : thread_([this, pid, timeout] {
          std::uint64_t seen = progress.load();
          auto last_change = Clock::now();
          std::unique_lock lock(mutex_);
          while (!done_) {
            wake_.wait_for(lock, std::chrono::milliseconds(250));
            if (std::uint64_t now = progress.load(); now != seen) {
              seen = now;
              last_change = Clock::now();
            } else if (Clock::now() - last_change > timeout) {
              fired = true;
              kill(pid, SIGKILL);
              return;
            }
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  std::atomic<std::uint64_t> progress{0};
  std::atomic<bool> fired{false};

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

double percentile_us(std::vector<std::uint32_t>& nanos, double fraction) {
  if (nanos.empty()) return 0;
  std::size_t index = std::min(nanos.size() - 1, static_cast<std::size_t>(fraction * nanos.size()));
  std::nth_element(nanos.begin(), nanos.begin() + static_cast<std::ptrdiff_t>(index), nanos.end());
  return nanos[index] / 1000.0;
}

}  // namespace

std::string StdioClient::handshake(std::chrono::seconds timeout) {
  std::string hello = std::string(kInitialize) + std::string(kInitialized);
  if (write(server_.stdin_fd(), hello.data(), hello.size()) != static_cast<ssize_t>(hello.size()))
    return "could not write initialize";
  auto deadline = Clock::now() + timeout;
  char buffer[65536];
  while (Clock::now() < deadline) {
    pollfd readable{server_.stdout_fd(), POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    ssize_t n = read(server_.stdout_fd(), buffer, sizeof buffer);
    if (n <= 0) return "the server closed its output during initialize";
    inbox_.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = inbox_.find('\n')) != std::string::npos) {
      std::string line = inbox_.substr(0, newline);
      inbox_.erase(0, newline + 1);
      std::uint64_t id = 0;
      if (!find_id(line, id) || id != 0) continue;  // a notification or log line
      if (!contains(line, R"("protocolVersion")")) return "initialize failed: " + line;
      return {};
    }
  }
  return "no initialize response";
}

StdioRunResult StdioClient::run(const StdioRunOptions& options) {
  StdioRunResult result;
  const std::string_view call_suffix = options.passback ? kCallWithPassback : kCallWithoutPassback;
  const bool counted = options.calls > 0;
  const int in_fd = server_.stdout_fd();
  const int out_fd = server_.stdin_fd();
  // Writes never block (a full pipe means "poll, and read meanwhile"): a server that stops
  // reading while its own output is full would otherwise deadlock with us. Reads do block, which
  // saves a poll per call in the common case; the watchdog ends a read that would never return.
  fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);

  constexpr std::size_t kRing = 4096;  // send times by id; depth is far below it
  std::array<Clock::time_point, kRing> sent_at{};
  std::vector<std::uint32_t> latencies;
  latencies.reserve(counted ? options.calls : 1 << 20);
  std::string outbox;
  std::size_t outbox_sent = 0;
  std::uint64_t issued = 0, outstanding = 0, completed = 0;
  std::string first_request;

  auto queue_call = [&](Clock::time_point now) {
    std::uint64_t id = next_id_++;
    std::size_t start = outbox.size();
    outbox.append(kRequestPrefix);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id);
    outbox.append(digits, end);
    outbox.append(call_suffix);
    if (first_request.empty()) first_request = outbox.substr(start, outbox.size() - start - 1);
    sent_at[id % kRing] = now;
    ++issued;
    ++outstanding;
  };

  enum class Phase { warmup, measure, drain } phase = counted ? Phase::measure : Phase::warmup;
  Clock::time_point start = Clock::now();
  Clock::time_point measure_start = start;
  Clock::time_point measure_end =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.warmup_seconds + options.seconds));
  Clock::time_point warmup_end = start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options.warmup_seconds));
  Clock::time_point next_tick = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options.tick_seconds));
  ProcessStats before = counted ? server_.stats() : ProcessStats{};
  ProcessStats after;
  bool first_response_checked = false;

  Watchdog watchdog(server_.pid(), options.stall_timeout);
  for (int i = 0; i < options.depth && (!counted || issued < options.calls); ++i)
    queue_call(Clock::now());

  std::vector<char> buffer(1 << 20);
  while (phase != Phase::drain || outstanding > 0) {
    // Send what is queued, without blocking.
    bool write_blocked = false;
    while (outbox_sent < outbox.size()) {
      ssize_t n = write(out_fd, outbox.data() + outbox_sent, outbox.size() - outbox_sent);
      if (n > 0) {
        outbox_sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        write_blocked = true;
        break;
      } else {
        result.failure = "could not write to the server";
        return result;
      }
    }
    if (outbox_sent == outbox.size()) {
      outbox.clear();
      outbox_sent = 0;
    }
    if (write_blocked) {
      pollfd fds[2] = {{in_fd, POLLIN, 0}, {out_fd, POLLOUT, 0}};
      if (poll(fds, 2, 1000) < 0 && errno != EINTR) {
        result.failure = "poll failed";
        return result;
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
    }
    if (outstanding == 0) continue;

    ssize_t n = read(in_fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result.failure = watchdog.fired ? "the server stopped answering (killed after " +
                                            std::to_string(options.stall_timeout.count()) + " s)"
                                      : "the server closed its output";
      result.failure += "; log: " + tail_of_file(server_.log_path(), 600);
      return result;
    }
    Clock::time_point now = Clock::now();
    inbox_.append(buffer.data(), static_cast<std::size_t>(n));
    std::size_t line_start = 0, newline;
    std::uint64_t answered = 0;
    while ((newline = inbox_.find('\n', line_start)) != std::string::npos) {
      std::string_view line(inbox_.data() + line_start, newline - line_start);
      line_start = newline + 1;
      std::uint64_t id = 0;
      if (!find_id(line, id)) continue;  // a notification
      if (!first_response_checked) {
        first_response_checked = true;
        result.response_bytes = line.size();
        if (options.expect_identical && line != first_request)
          result.failure = "the floor did not echo the request";
        else if (options.expect_echo && !contains(line, "Echo: hello"))
          result.failure = "unexpected response: " + std::string(line.substr(0, 300));
        else if (options.expect_spans && !contains(line, R"("resourceSpans")"))
          result.failure = "passback asked for, but no spans: " + std::string(line.substr(0, 300));
      }
      if (!options.expect_identical && is_error(line)) ++result.errors;
      --outstanding;
      ++answered;
      if (phase == Phase::measure) {
        latencies.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(
            std::chrono::nanoseconds(now - sent_at[id % kRing]).count(), UINT32_MAX)));
        ++completed;
      }
    }
    inbox_.erase(0, line_start);
    if (!result.failure.empty()) return result;
    watchdog.progress.fetch_add(answered, std::memory_order_relaxed);

    if (phase == Phase::warmup && now >= warmup_end) {
      phase = Phase::measure;
      measure_start = now;
      before = server_.stats();
    } else if (phase == Phase::measure &&
               (counted ? completed >= options.calls : now >= measure_end)) {
      phase = Phase::drain;
      after = server_.stats();
      result.seconds = std::chrono::duration<double>(now - measure_start).count();
    }
    if (options.on_tick && now >= next_tick) {
      options.on_tick(std::chrono::duration<double>(now - start).count());
      next_tick += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(options.tick_seconds));
    }
    if (phase != Phase::drain) {
      for (std::uint64_t i = 0; i < answered && (!counted || issued < options.calls); ++i)
        queue_call(now);
    }
  }

  result.calls = completed;
  result.calls_per_second =
      result.seconds > 0 ? static_cast<double>(completed) / result.seconds : 0;
  result.p50_us = percentile_us(latencies, 0.50);
  result.p99_us = percentile_us(latencies, 0.99);
  if (completed > 0)
    result.server_cpu_us_per_call =
        (after.cpu_seconds - before.cpu_seconds) * 1e6 / static_cast<double>(completed);
  result.server_peak_rss_kb = server_.stats().peak_rss_kb;
  return result;
}

}  // namespace glassbox::bench
