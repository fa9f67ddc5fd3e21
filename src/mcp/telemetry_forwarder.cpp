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
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_spans_ + n > options_.max_queued_spans) {
      failed_ += n;
      return;
    }
    queued_spans_ += n;
    queue_.push_back(std::move(job));
  }
  wake_.notify_all();
}

bool TelemetryForwarder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void TelemetryForwarder::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    trace::TracesData job = std::move(queue_.front());
    queue_.pop_front();
    std::size_t n = job.span_count();
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
