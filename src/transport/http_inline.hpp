// Quick callbacks on the HTTP server's I/O thread (http_inline.cpp).
//
// A one-shot (sessionless) POST runs its request right on the I/O thread that read it: no
// hand-off to a worker and back, which is most of the cost of a small call. The guarantee stdio's
// leader/follower reader gives holds here too: a callback that runs past `handoff_after`, or that
// calls will_block() (it waits for the client), gets a relief thread that runs the io_context in
// its place until the callback returns, so a slow tool never stalls another connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace glassbox::transport::http_detail {

class InlineWatch {
 public:
  // A relief thread runs `io` until the callback it relieves returns (or `io` stops).
  // handoff_after as stdio's: a quick call never pays a hand-off, a slow one delays others ~1 ms.
  explicit InlineWatch(boost::asio::io_context& io,
                       std::chrono::microseconds handoff_after = std::chrono::microseconds(1000));
  ~InlineWatch();  // stop() first
  InlineWatch(const InlineWatch&) = delete;
  InlineWatch& operator=(const InlineWatch&) = delete;

  // Brackets one callback on the calling I/O thread (any thread, any nesting depth).
  std::uint64_t begin();
  void end(std::uint64_t token);
  // From inside a callback that is about to wait: relief now, not after handoff_after.
  void will_block();
  // Ends the watchdog and joins the relief threads; call after the io_context has stopped.
  void stop();

 private:
  struct Delivery {
    std::uint64_t token;
    std::thread::id thread;
    std::shared_ptr<std::atomic<bool>> done;  // set once the callback returns, when relieved
  };
  struct Reliever {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  void relieve_locked(Delivery& delivery);
  void relieve(const std::atomic<bool>& done);
  void watch();

  boost::asio::io_context& io_;
  const std::chrono::microseconds handoff_after_;
  std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  std::vector<Delivery> deliveries_;
  std::list<Reliever> relievers_;
  std::uint64_t next_token_ = 1;
  bool stopping_ = false;
  bool asleep_ = false;
  std::thread watchdog_;
};

}  // namespace glassbox::transport::http_detail
