#include "glassbox/trace/processor.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

namespace glassbox::trace {

// ---------------------------------------------------------------------------------------------
// SimpleSpanProcessor

SimpleSpanProcessor::SimpleSpanProcessor(std::shared_ptr<SpanExporter> exporter)
    : exporter_(std::move(exporter)) {}

SimpleSpanProcessor::~SimpleSpanProcessor() {
  shutdown();
}

void SimpleSpanProcessor::on_end(const SpanData& span) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_ || !exporter_) return;
  exporter_->export_spans(std::span<const SpanData>(&span, 1), resource_, scope_);
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::lock_guard lock(mutex_);
  return exporter_ ? exporter_->force_flush(timeout) : true;
}

void SimpleSpanProcessor::shutdown() noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  if (exporter_) exporter_->shutdown();
}

// ---------------------------------------------------------------------------------------------
// BatchSpanProcessor

namespace {

// A positive integer from the environment; nullopt when unset, empty or not one.
std::optional<std::size_t> positive_from_environment(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  std::size_t n = 0;
  const char* end = v + std::strlen(v);
  auto r = std::from_chars(v, end, n);
  if (r.ec != std::errc() || r.ptr != end || n == 0) return std::nullopt;
  return n;
}

}  // namespace

BatchSpanProcessorOptions batch_options_from_environment(BatchSpanProcessorOptions options) {
  if (auto ms = positive_from_environment("OTEL_BSP_SCHEDULE_DELAY"))
    options.schedule_delay = std::chrono::milliseconds(*ms);
  if (auto n = positive_from_environment("OTEL_BSP_MAX_QUEUE_SIZE")) options.max_queue_size = *n;
  if (auto n = positive_from_environment("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"))
    options.max_export_batch_size = *n;
  return options;
}

BatchSpanProcessor::BatchSpanProcessor(BatchSpanProcessorOptions options)
    : options_(std::move(options)) {
  if (options_.max_export_batch_size == 0) options_.max_export_batch_size = 1;
  if (options_.max_export_batch_size > options_.max_queue_size)
    options_.max_export_batch_size = std::max<std::size_t>(options_.max_queue_size, 1);
  worker_ = std::thread([this] { run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() {
  shutdown();
}

void BatchSpanProcessor::on_end(const SpanData& span) noexcept {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue_size) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    try {
      queue_.push_back(span);
    } catch (...) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    wake = queue_.size() == options_.max_export_batch_size;
  }
  if (wake) wake_.notify_one();
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(mutex_);
  if (stopping_ && !worker_.joinable()) return queue_.empty();
  std::uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  return flushed_.wait_for(lock, timeout, [&] { return flush_done_ >= ticket; });
}

void BatchSpanProcessor::shutdown() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (!worker_.joinable()) return;
    }
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  if (options_.exporter) options_.exporter->shutdown();
}

BatchSpanProcessor::Stats BatchSpanProcessor::stats() const noexcept {
  return {exported_.load(std::memory_order_relaxed), failed_.load(std::memory_order_relaxed),
          dropped_.load(std::memory_order_relaxed)};
}

void BatchSpanProcessor::export_batch(std::vector<SpanData>& batch) noexcept {
  if (batch.empty()) return;
  ExportResult result = options_.exporter
                            ? options_.exporter->export_spans(batch, resource_, scope_)
                            : ExportResult::failure;
  (result == ExportResult::success ? exported_ : failed_)
      .fetch_add(batch.size(), std::memory_order_relaxed);
  batch.clear();
}

void BatchSpanProcessor::run() {
  std::vector<SpanData> batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.schedule_delay, [&] {
      return stopping_ || queue_.size() >= options_.max_export_batch_size ||
             flush_requested_ > flush_done_;
    });
    // Drain everything that is queued now, in batches, with the lock released while exporting.
    std::uint64_t flush_ticket = flush_requested_;
    bool stop = stopping_;
    while (!queue_.empty()) {
      std::size_t n = std::min(queue_.size(), options_.max_export_batch_size);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      export_batch(batch);
      lock.lock();
    }
    if (flush_ticket > flush_done_) {
      flush_done_ = flush_ticket;
      flushed_.notify_all();
    }
    if (stop) {
      flush_done_ = flush_requested_;
      flushed_.notify_all();
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// InMemorySpanExporter

ExportResult InMemorySpanExporter::export_spans(std::span<const SpanData> spans,
                                                const Resource& resource,
                                                const InstrumentationScope&) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return ExportResult::failure;
  try {
    spans_.insert(spans_.end(), spans.begin(), spans.end());
    resource_ = resource;
  } catch (...) {
    return ExportResult::failure;
  }
  return ExportResult::success;
}

void InMemorySpanExporter::shutdown() noexcept {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
}

std::vector<SpanData> InMemorySpanExporter::spans() const {
  std::lock_guard lock(mutex_);
  return spans_;
}

std::vector<SpanData> InMemorySpanExporter::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(spans_, {});
}

Resource InMemorySpanExporter::last_resource() const {
  std::lock_guard lock(mutex_);
  return resource_;
}

std::size_t InMemorySpanExporter::size() const {
  std::lock_guard lock(mutex_);
  return spans_.size();
}

}  // namespace glassbox::trace
