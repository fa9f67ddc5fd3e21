// The forwarding queue of the client telemetry and `glassbox proxy` (C7): order, the span bound,
// flush, and the counters.
#include "glassbox/mcp/telemetry_forwarder.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

// Records the service name of each export; while closed, an export waits at the gate.
class GatedExporter final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(std::span<const trace::SpanData> spans,
                                   const trace::Resource& resource,
                                   const trace::InstrumentationScope&) noexcept override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    exported_.push_back(std::string(resource.service_name()) + ":" + std::to_string(spans.size()));
    return trace::ExportResult::success;
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void wait_entered(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_ >= n; });
  }
  std::vector<std::string> exported() {
    std::lock_guard lock(mutex_);
    return exported_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  std::vector<std::string> exported_;
};

trace::TracesData job(const std::string& service, std::size_t spans) {
  trace::Resource resource;
  resource.set("service.name", service);
  trace::ScopeSpans scope{.scope = {.name = "test"}, .spans = std::vector<trace::SpanData>(spans)};
  return {.resource_spans = {{.resource = resource, .scope_spans = {scope}}}};
}

TEST(TelemetryForwarder, ExportsJobsInOrderEachUnderItsOwnResource) {  // covers C7
  auto exporter = std::make_shared<GatedExporter>();
  TelemetryForwarder forwarder({.exporter = exporter});
  exporter->open();
  trace::TracesData two = job("a", 1);
  two.resource_spans.push_back(job("b", 2).resource_spans[0]);
  forwarder.enqueue(std::move(two));
  forwarder.enqueue(job("c", 3));
  forwarder.enqueue(job("empty", 0));  // nothing to send: not a job
  ASSERT_TRUE(forwarder.flush(10s));
  EXPECT_EQ(exporter->exported(), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_EQ(forwarder.forwarded(), 6U);
  EXPECT_EQ(forwarder.failed(), 0U);
}

TEST(TelemetryForwarder, AJobPastTheSpanBoundIsDroppedAndCountedFailed) {  // covers C7
  auto exporter = std::make_shared<GatedExporter>();
  TelemetryForwarder forwarder({.exporter = exporter, .max_queued_spans = 4});
  forwarder.enqueue(job("running", 4));  // taken off the queue by the export thread
  exporter->wait_entered(1);
  forwarder.enqueue(job("queued", 3));
  forwarder.enqueue(job("over", 2));  // 3 + 2 > 4
  forwarder.enqueue(job("fits", 1));
  EXPECT_EQ(forwarder.failed(), 2U);
  EXPECT_FALSE(forwarder.flush(0ms));  // an export is running
  exporter->open();
  ASSERT_TRUE(forwarder.flush(10s));
  EXPECT_EQ(exporter->exported(), (std::vector<std::string>{"running:4", "queued:3", "fits:1"}));
  EXPECT_EQ(forwarder.forwarded(), 8U);
  EXPECT_EQ(forwarder.failed(), 2U);
}

// A batch that waits for more (`glassbox proxy` exports that way) goes at once when flushed.
TEST(TelemetryForwarder, FlushCutsTheBatchDelayShort) {  // covers C7
  auto exporter = std::make_shared<GatedExporter>();
  TelemetryForwarder forwarder({.exporter = exporter, .batch_delay = 1h});
  exporter->open();
  forwarder.enqueue(job("a", 1));
  forwarder.enqueue(job("b", 2));
  ASSERT_TRUE(forwarder.flush(10s));  // not after the hour
  EXPECT_EQ(exporter->exported(), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(forwarder.forwarded(), 3U);
}

TEST(TelemetryForwarder, AFullBatchGoesWithoutWaitingAndBatchesKeepTheirBound) {  // covers C7
  auto exporter = std::make_shared<GatedExporter>();
  TelemetryForwarder forwarder({.exporter = exporter, .batch_delay = 1h, .max_batch_spans = 4});
  forwarder.enqueue(job("a", 3));
  forwarder.enqueue(job("b", 2));  // 5 spans queued: past a batch, so the export starts now
  exporter->wait_entered(1);
  forwarder.enqueue(job("c", 1));
  exporter->open();
  ASSERT_TRUE(forwarder.flush(10s));
  // a alone (a and b would pass 4 spans), then b and c; in order.
  EXPECT_EQ(exporter->exported(), (std::vector<std::string>{"a:3", "b:2", "c:1"}));
  EXPECT_EQ(forwarder.forwarded(), 6U);
}

}  // namespace
}  // namespace glassbox::mcp
