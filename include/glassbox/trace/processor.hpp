// Span processors and exporters, shaped like the OpenTelemetry SDK: a finished span goes to each
// processor of the tracer provider (on_end); a processor hands batches to an exporter.
// SimpleSpanProcessor exports each span at once on the ending thread; BatchSpanProcessor
// queues them (bounded, drops and counts when full) and exports from its own thread.
//
// Threads: SpanProcessor::on_end may be called from any thread, concurrently. A processor calls
// its exporter from one thread at a time, so an exporter needs no locking of its own for
// export_spans (InMemorySpanExporter locks anyway because tests read it from other threads).
// Ownership: processors and exporters are shared_ptr-owned; the provider keeps its processors,
// a processor keeps its exporter.
#pragma once

#include "glassbox/trace/span_data.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace glassbox::trace {

enum class ExportResult { success, failure };

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Exports one batch (spans of one resource and scope). Must not throw. May block (network).
  virtual ExportResult export_spans(std::span<const SpanData> spans, const Resource& resource,
                                    const InstrumentationScope& scope) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept { return true; }
  // After shutdown, export_spans fails fast.
  virtual void shutdown() noexcept {}
};

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // A span ended. Any thread, concurrently; must return quickly (no network on this thread
  // except in SimpleSpanProcessor, which is meant for tests and debugging).
  virtual void on_end(const SpanData& span) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept {
    return true;
  }
  virtual void shutdown() noexcept {}

  // The resource and scope the spans belong to; the TracerProvider sets them when it takes the
  // processor, before any on_end. Not thread-safe: call before spans flow.
  void set_resource(Resource resource, InstrumentationScope scope) {
    resource_ = std::move(resource);
    scope_ = std::move(scope);
  }

 protected:
  Resource resource_;
  InstrumentationScope scope_;
};

// Exports each span synchronously on the thread that ends it (calls are serialized by a mutex).
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::shared_ptr<SpanExporter> exporter);
  ~SimpleSpanProcessor() override;
  void on_end(const SpanData& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  void shutdown() noexcept override;

 private:
  std::shared_ptr<SpanExporter> exporter_;
  std::mutex mutex_;
  bool shut_down_ = false;
};

struct BatchSpanProcessorOptions {
  std::shared_ptr<SpanExporter> exporter{};  // required
  std::size_t max_queue_size = 2048;         // spans beyond it are dropped (and counted)
  std::size_t max_export_batch_size = 512;
  std::chrono::milliseconds schedule_delay = std::chrono::milliseconds(1000);
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(5);
};

// `options` with the OpenTelemetry SDK's variables applied: OTEL_BSP_SCHEDULE_DELAY (ms),
// OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE. A value that is not a positive integer
// is ignored (the default stays). What a server's default provider uses, so a parent that sets
// the delay (the proxy's sidecar, P3) gets its spans that soon.
BatchSpanProcessorOptions batch_options_from_environment(BatchSpanProcessorOptions options = {});

// Queues spans and exports them in batches from one background thread: every schedule_delay,
// when a batch is full, on force_flush, and on shutdown (which drains the queue; the destructor
// calls shutdown).
class BatchSpanProcessor final : public SpanProcessor {
 public:
  explicit BatchSpanProcessor(BatchSpanProcessorOptions options);
  ~BatchSpanProcessor() override;
  void on_end(const SpanData& span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  void shutdown() noexcept override;

  struct Stats {
    std::uint64_t exported = 0;  // spans in batches the exporter accepted
    std::uint64_t failed = 0;    // spans in batches the exporter rejected
    std::uint64_t dropped = 0;   // spans refused because the queue was full or shut down
  };
  Stats stats() const noexcept;

 private:
  void run();
  void export_batch(std::vector<SpanData>& batch) noexcept;

  BatchSpanProcessorOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the worker waits on it
  std::condition_variable flushed_;  // force_flush waiters wait on it
  std::deque<SpanData> queue_;
  std::uint64_t flush_requested_ = 0;  // generation counters, under mutex_
  std::uint64_t flush_done_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> exported_{0}, failed_{0}, dropped_{0};
  std::thread worker_;
};

// Keeps every exported span in memory; for tests. Thread-safe.
class InMemorySpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanData> spans, const Resource& resource,
                            const InstrumentationScope& scope) noexcept override;
  void shutdown() noexcept override;
  std::vector<SpanData> spans() const;
  std::vector<SpanData> take();
  Resource last_resource() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<SpanData> spans_;
  Resource resource_;
  bool shut_down_ = false;
};

}  // namespace glassbox::trace
