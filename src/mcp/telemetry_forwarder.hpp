// The client telemetry's forwarding (C7): one background thread that exports in order, so the
// exporter sees one caller at a time and the calling threads never wait on the network. One job
// is the spans of one call, each group under its own resource; an OTLP/HTTP exporter sends it
// as one request. Private to src/mcp (ClientTelemetry owns one).
//
// Threads: enqueue, flush and the counters from any thread; the destructor drains what is
// queued, then joins the thread.
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

class TelemetryForwarder {
 public:
  TelemetryForwarder(std::shared_ptr<trace::SpanExporter> exporter, std::size_t max_queued_spans);
  ~TelemetryForwarder();
  TelemetryForwarder(const TelemetryForwarder&) = delete;
  TelemetryForwarder& operator=(const TelemetryForwarder&) = delete;

  // Queues one call's spans; over max_queued_spans (or once stopping) they are counted failed.
  void enqueue(trace::TracesData job);
  // Waits until the queue is empty and nothing is being exported.
  bool flush(std::chrono::milliseconds timeout);

  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t failed() const { return failed_.load(); }

 private:
  void run();
  void export_job(const trace::TracesData& job);

  std::shared_ptr<trace::SpanExporter> exporter_;
  transport::OtlpHttpExporter* otlp_;  // exporter_ when it can send several resources at once
  std::size_t max_queued_spans_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<trace::TracesData> queue_;
  std::size_t queued_spans_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> forwarded_{0}, failed_{0};
  std::thread worker_;  // last: starts after the members it uses
};

}  // namespace glassbox::mcp
