// Streamed passback (S17): while a call runs, the spans that have ended go to a caller that
// asked (`_meta.otel.traces.stream: true` with a progressToken) in notifications/progress,
// under params._meta.otel.traces with "partial": true; the final response carries the rest.
//
// The passback middleware makes one PassbackStream per such request and hangs it (through its
// PassbackCall) on the request's recorder, which tells it each time a span is kept. A
// notification goes as soon as 32 spans wait, and otherwise at most every 100 ms: the thread
// that ended the span sends it when it is due, and a small timer thread sends what waits when
// the interval ends. finish() stops the timer and hands what was never sent to the final
// response, with the bounds that are left.
//
// Threads: on_recorded() from any thread that ends a span of the request; finish() once, from
// the middleware, after the handler returned. `send` is called with the stream's lock held, so
// notifications leave in order and never after finish() returned.
#pragma once

#include "glassbox/trace/curate.hpp"
#include "glassbox/trace/tracer.hpp"
#include "mcp/passback_forward.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace glassbox::mcp {

// When a notification is due: pure, so that tests drive it with their own clock.
class StreamThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  StreamThrottle(std::chrono::milliseconds interval, std::size_t batch)
      : interval_(interval), batch_(batch) {}
  // `waiting` spans wait at `now`: send them?
  bool due(std::size_t waiting, Clock::time_point now) const {
    return waiting >= batch_ || (waiting > 0 && (!sent_once_ || now - last_ >= interval_));
  }
  Clock::time_point next(Clock::time_point now) const {
    return sent_once_ ? last_ + interval_ : now;
  }
  void sent(Clock::time_point now) {
    last_ = now;
    sent_once_ = true;
  }

 private:
  std::chrono::milliseconds interval_;
  std::size_t batch_;
  Clock::time_point last_{};
  bool sent_once_ = false;
};

struct PassbackStreamOptions {
  trace::Recorder* recorder = nullptr;  // the request's; outlives the stream's use of it
  trace::SpanId root;                   // the SERVER span (sent last, in the final response)
  trace::CurationOptions curation;      // detailed already decided; bounds for the whole call
  std::function<void(json::object traces)> send;  // one notification; its lock held
  std::chrono::milliseconds interval = std::chrono::milliseconds(100);
  std::size_t batch = 32;
  std::function<StreamThrottle::Clock::time_point()> clock = StreamThrottle::Clock::now;
};

// What finish() leaves for the final response.
struct StreamRemainder {
  std::vector<trace::SpanData> spans;  // never sent, selected (top level or whole tree)
  trace::CurationOptions curation;     // the bounds left after the notifications
  trace::CurationReport sent;          // what the notifications sent, redacted, cut
  std::size_t notifications = 0;
  std::map<trace::SpanId, trace::SpanId> sent_parents;  // span -> parent, of each span sent
};

class PassbackStream {
 public:
  explicit PassbackStream(PassbackStreamOptions options);
  ~PassbackStream();  // stop()
  PassbackStream(const PassbackStream&) = delete;
  PassbackStream& operator=(const PassbackStream&) = delete;

  void on_recorded();
  // Stops streaming: nothing is sent once it returns. Idempotent.
  void stop();
  // After stop(): `all` is every span the recorder kept (recorder->take()); returns the ones
  // never sent, for the final response, and the state of the bounds.
  StreamRemainder remainder(std::vector<trace::SpanData> all);

 private:
  void run();
  void flush_locked();  // sends the waiting spans whose chain to the root has ended
  long depth_locked(const trace::SpanId& id, const std::map<trace::SpanId, trace::SpanId>& parents);

  PassbackStreamOptions options_;
  StreamThrottle throttle_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::size_t waiting_ = 0;  // spans kept since the last notification
  bool finished_ = false;
  std::map<trace::SpanId, trace::SpanId> sent_;  // span -> parent, of every span sent
  std::map<trace::SpanId, long> depth_;          // below the root, of spans whose chain is known
  std::size_t spans_left_, bytes_left_;
  trace::CurationReport report_;
  std::size_t notifications_ = 0;
  std::thread timer_;
};

// The final response's payload of a streamed call: what was never sent (with the nested hops'
// spans, S16), under the bounds the notifications left; `report` counts the whole call.
json::object finish_streamed(PassbackStream& stream, std::vector<trace::SpanData> all,
                             const trace::SpanId& root, const trace::TracerProvider& provider,
                             std::vector<NestedHop> nested, trace::CurationReport* report,
                             json::object* nested_report);

}  // namespace glassbox::mcp
