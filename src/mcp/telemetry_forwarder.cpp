#include "glassbox/mcp/telemetry_forwarder.hpp"

#include "glassbox/transport/otlp_http_exporter.hpp"

namespace glassbox::mcp {

TelemetryForwarder::TelemetryForwarder(TelemetryForwarderOptions options)
    : options_(std::move(options)),
      otlp_(dynamic_cast<transport::OtlpHttpExporter*>(options_.exporter.get())),
      worker_([this] { run(); }) {}

TelemetryForwarder::~TelemetryForwarder() {
  flush(options_.drain_timeout);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& job : queue_) failed_ += job.span_count();
    queue_.clear();
    queued_spans_ = 0;
  }
  wake_.notify_all();
  worker_.join();
}

void TelemetryForwarder::enqueue(trace::TracesData job) {
  std::size_t n = job.span_count();
  if (n == 0) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_spans_ + n > options_.max_queued_spans) {
      failed_ += n;
      return;
    }
    // Only a wake-up that changes what the thread does: the first job, or a full batch (a
    // waiting batch thread woken for nothing costs a context switch per job).
    wake = queue_.empty() || queued_spans_ + n >= options_.max_batch_spans;
    queued_spans_ += n;
    queue_.push_back(std::move(job));
  }
  if (wake) wake_.notify_all();
}

bool TelemetryForwarder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ++flushing_;
  wake_.notify_all();  // a batch waiting for more goes now
  bool done = idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
  --flushing_;
  return done;
}

void TelemetryForwarder::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    if (options_.batch_delay.count() > 0) {
      wake_.wait_for(lock, options_.batch_delay, [this] {
        return stopping_ || flushing_ > 0 || queued_spans_ >= options_.max_batch_spans;
      });
    }
    // What is queued, in order, up to max_batch_spans (at least one job).
    trace::TracesData job = std::move(queue_.front());
    queue_.pop_front();
    std::size_t n = job.span_count();
    while (!queue_.empty() && n + queue_.front().span_count() <= options_.max_batch_spans) {
      n += queue_.front().span_count();
      for (auto& rs : queue_.front().resource_spans) job.resource_spans.push_back(std::move(rs));
      queue_.pop_front();
    }
    queued_spans_ -= n;
    busy_ = true;
    lock.unlock();
    export_job(job);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void TelemetryForwarder::export_job(const trace::TracesData& job) {
  if (otlp_ != nullptr) {
    std::size_t n = job.span_count();
    (otlp_->export_traces(job) == trace::ExportResult::success ? forwarded_ : failed_) += n;
    return;
  }
  for (const auto& rs : job.resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      auto result = options_.exporter->export_spans(ss.spans, rs.resource, ss.scope);
      (result == trace::ExportResult::success ? forwarded_ : failed_) += ss.spans.size();
    }
  }
}

}  // namespace glassbox::mcp
