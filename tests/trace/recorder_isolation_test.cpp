// S9: the spans of one request never land in another request's recorder, whatever the
// concurrency and whatever thread ends them.
#include "glassbox/trace/tracer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace glassbox::trace {
namespace {

class TaskPool {
 public:
  explicit TaskPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
  }
  ~TaskPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      ++pending_;
      // Random insertion point: tasks of different requests interleave on every thread.
      std::uniform_int_distribution<std::size_t> at(0, tasks_.size());
      tasks_.insert(tasks_.begin() + static_cast<std::ptrdiff_t>(at(rng_)), std::move(task));
    }
    cv_.notify_one();
  }
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      // Each task must leave the thread unbound, or the next request's spans would go astray.
      EXPECT_TRUE(current_context().empty());
      task();
      EXPECT_TRUE(current_context().empty());
      lock.lock();
      if (--pending_ == 0) idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_, idle_;
  std::deque<std::function<void()>> tasks_;
  std::size_t pending_ = 0;
  bool stop_ = false;
  std::mt19937 rng_{12345};
  std::vector<std::thread> workers_;
};

constexpr int kRequests = 500;
constexpr int kLevels = 4;  // hand-offs per request; 2 spans per level

void stage(TaskPool& pool, Context context, int request, int level) {
  ContextScope scope(context);
  Span span = start_span("stage " + std::to_string(level));
  span.set_attribute("request", request);
  Span inner = start_span("inner");
  inner.set_attribute("request", request);
  std::this_thread::yield();
  if (level + 1 < kLevels) {
    // Hand the current context (inner) to whichever thread picks the task up.
    pool.post([&pool, next = current_context(), request, level] {
      stage(pool, next, request, level + 1);
    });
  }
  // Ended out of order half of the time.
  if (request % 2) span.end();
}

// covers S9
TEST(RecorderIsolationTest, FiveHundredConcurrentRequestsWithHandOffs) {
  struct Request {
    std::shared_ptr<Recorder> recorder;
    Span root;
  };
  auto provider = std::make_shared<TracerProvider>();
  std::vector<Request> requests(kRequests);
  {
    TaskPool pool(6);
    // All 500 are in flight at once: every root is open before any work runs.
    for (int r = 0; r < kRequests; ++r) {
      requests[r].recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
      requests[r].root = start_root_span(requests[r].recorder, "request " + std::to_string(r));
      requests[r].root.set_attribute("request", r);
    }
    for (int r = 0; r < kRequests; ++r) {
      pool.post([&pool, ctx = requests[r].root.as_context(), r] { stage(pool, ctx, r, 0); });
    }
    pool.wait_idle();
  }
  std::set<TraceId> traces;
  for (int r = 0; r < kRequests; ++r) {
    requests[r].root.end();
    TraceId trace = requests[r].root.context().trace_id;
    traces.insert(trace);
    auto spans = requests[r].recorder->take();
    ASSERT_EQ(spans.size(), 1u + 2 * kLevels) << "request " << r;
    std::set<SpanId> ids;
    for (const auto& s : spans) ids.insert(s.span_id);
    for (const auto& s : spans) {
      EXPECT_EQ(s.trace_id, trace) << "request " << r << " span " << s.name;
      const AttributeValue* tag = find_attribute(s.attributes, "request");
      ASSERT_NE(tag, nullptr);
      EXPECT_EQ(*tag->if_int(), r) << "span " << s.name << " landed in request " << r;
      if (s.span_id != requests[r].root.context().span_id) {
        EXPECT_TRUE(ids.count(s.parent_span_id)) << "parent outside the request";
      }
    }
  }
  EXPECT_EQ(traces.size(), static_cast<std::size_t>(kRequests));
}

// covers S9: a thread that never bound the request's context records nothing into it
TEST(RecorderIsolationTest, UnboundThreadsRecordNothing) {
  auto recorder =
      std::make_shared<Recorder>(RecorderOptions{.provider = std::make_shared<TracerProvider>()});
  Span root = start_root_span(recorder, "root");
  ContextScope scope(root);
  std::thread([] {
    Span s = start_span("elsewhere");
    EXPECT_FALSE(s.recording());
  }).join();
  root.end();
  EXPECT_EQ(recorder->size(), 1u);
}

}  // namespace
}  // namespace glassbox::trace
