// Forwarding of finished spans to an exporter (C7), off the calling threads: one background
// thread exports in order, so the exporter sees one caller at a time and no call waits on the
// network. One job is a TracesData, each group under its own resource; the jobs waiting when
// the thread takes them go out together (an OTLP/HTTP exporter sends them as one request).
// ClientTelemetry owns one; `glassbox proxy` uses one for the spans its sidecar receives.
//
// Threads: enqueue, flush and the counters from any thread. The destructor waits at most
// drain_timeout for what is queued, then counts the rest failed and joins the thread; an export
// already running finishes first (bounded by the exporter's own timeout, or cut short by its
// shutdown()).
#pragma once

#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/processor.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace glassbox::transport {
class OtlpHttpExporter;
}

namespace glassbox::mcp {

struct TelemetryForwarderOptions {
  std::shared_ptr<trace::SpanExporter> exporter;  // required
  // Queue bound, in spans: a job that would pass it is dropped and counted failed.
  std::size_t max_queued_spans = 8192;
  // How long the destructor waits for the queue to drain.
  std::chrono::milliseconds drain_timeout{5000};
  // 0: each job is exported as soon as the thread is free (jobs queued meanwhile go out
  // together). Otherwise the thread waits up to this long after a job arrives for more, and
  // exports what came as one request (fewer requests and thread wake-ups per job); flush(), the
  // destructor and max_batch_spans cut the wait short.
  std::chrono::milliseconds batch_delay{0};
  std::size_t max_batch_spans = 2048;  // spans per export; a larger job goes alone
};

class TelemetryForwarder {
 public:
  explicit TelemetryForwarder(TelemetryForwarderOptions options);
  ~TelemetryForwarder();
  TelemetryForwarder(const TelemetryForwarder&) = delete;
  TelemetryForwarder& operator=(const TelemetryForwarder&) = delete;

  // Queues one job; over max_queued_spans (or once stopping) its spans are counted failed.
  void enqueue(trace::TracesData job);
  // Waits until the queue is empty and nothing is being exported; false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  void run();
  void export_job(const trace::TracesData& job);

  TelemetryForwarderOptions options_;
  transport::OtlpHttpExporter* otlp_;  // the exporter, when it can send several resources at once
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<trace::TracesData> queue_;
  std::size_t queued_spans_ = 0;
  std::size_t flushing_ = 0;  // flush() calls waiting: no batch delay meanwhile
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> forwarded_{0}, failed_{0};
  std::thread worker_;  // last: starts after the members it uses
};

}  // namespace glassbox::mcp
