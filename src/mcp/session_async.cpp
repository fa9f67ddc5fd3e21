// Session's asynchronous requests: a completion instead of a waiting caller, and one timer thread
// per session for their deadlines (started by the first one), so that no thread waits per call.
#include "mcp/session.hpp"

#include <condition_variable>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace glassbox::mcp {

// The deadlines of the asynchronous requests in flight, earliest first. The thread holds the
// session weakly: it locks it only to expire a request, and ends when the session goes.
struct Session::Timer {
  using Key = std::pair<std::chrono::steady_clock::time_point, std::int64_t>;

  std::mutex mutex;
  std::condition_variable cv;
  std::set<Key> deadlines;  // mutex
  bool stopping = false;    // mutex
  std::thread thread;

  void add(const Key& key) {
    std::lock_guard lock(mutex);
    // Requests share one timeout, so a new deadline is rarely the earliest: no wake-up then.
    const bool earliest = deadlines.empty() || key < *deadlines.begin();
    deadlines.insert(key);
    if (earliest) cv.notify_one();
  }
  void erase(const Key& key) {
    std::lock_guard lock(mutex);
    deadlines.erase(key);
  }

  static void run(const std::shared_ptr<Timer>& timer, const std::weak_ptr<Session>& weak) {
    std::unique_lock lock(timer->mutex);
    while (!timer->stopping) {
      if (timer->deadlines.empty()) {
        timer->cv.wait(lock);
        continue;
      }
      Key first = *timer->deadlines.begin();
      if (std::chrono::steady_clock::now() < first.first) {
        timer->cv.wait_until(lock, first.first);
        continue;
      }
      timer->deadlines.erase(timer->deadlines.begin());
      lock.unlock();
      if (auto session = weak.lock()) session->abandon_async(first.second, true);
      lock.lock();
    }
  }
};

void Session::Pending::complete(Outcome outcome) {
  if (!done) {
    {
      std::lock_guard lock(answer_mutex);
      answer = std::move(outcome);
      answered.store(true);
    }
    answer_cv.notify_one();  // no system call when the caller is not waiting
    return;
  }
  // Unregistered first: a stop arriving now finds nothing to cancel. (Destroying the callback
  // from inside itself, on the cancelling thread, is allowed.)
  on_cancel.reset();
  answered.store(true);
  std::function<void(Outcome)> callback = std::move(done);
  callback(std::move(outcome));
}

void Session::complete_taken(const std::shared_ptr<Pending>& pending, const jsonrpc::Id& id,
                             Outcome outcome) {
  if (pending->done) {
    std::lock_guard lock(mutex_);
    if (pending->sending) {
      pending->early = std::move(outcome);
      return;
    }
  }
  finish_pending(*pending, id, std::move(outcome));
}

void Session::finish_pending(Pending& pending, const jsonrpc::Id& id, Outcome outcome) {
  if (pending.timer != nullptr) pending.timer->erase({pending.deadline, std::get<0>(id)});
  pending.complete(std::move(outcome));
}

void Session::abandon_async(std::int64_t id, bool timed_out) {
  std::shared_ptr<Pending> taken;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(jsonrpc::Id{id});
    if (it == pending_.end() || !it->second->done) return;  // answered first
    taken = take_pending_locked(it);
  }
  notify("notifications/cancelled",
         {{"requestId", id}, {"reason", timed_out ? "timed out" : "cancelled"}});
  if (timed_out) {
    complete_taken(
        taken, jsonrpc::Id{id},
        jsonrpc::Error{jsonrpc::error_code::kRequestTimeout,
                       "request timed out after " + std::to_string(taken->timeout.count()) + " ms",
                       nullptr});
  } else {
    complete_taken(
        taken, jsonrpc::Id{id},
        jsonrpc::Error{jsonrpc::error_code::kRequestCancelled, "request cancelled", nullptr});
  }
}

void Session::request_async(std::string_view method, json::object& params,
                            const RequestOptions& options, std::function<void(Outcome)> done) {
  auto pending = std::make_shared<Pending>();
  pending->on_progress = options.on_progress;
  pending->done = std::move(done);
  pending->timeout = options.timeout;
  pending->deadline = deadline_after(options.timeout);
  std::int64_t number = 0;
  std::shared_ptr<Timer> started;  // a timer made by this call, whose thread starts unlocked
  {
    std::unique_lock lock(mutex_);
    if (input_closed_.load() || closed_) {
      lock.unlock();
      pending->complete(
          jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr});
      return;
    }
    if (!timer_) started = timer_ = std::make_shared<Timer>();
    pending->timer = timer_.get();
    pending->sending = true;
    number = next_id_++;
    add_pending_locked(jsonrpc::Id{number}, pending);
  }
  if (started) {
    started->thread = std::thread(&Timer::run, started, weak_from_this());
  }
  const jsonrpc::Id id{number};
  pending->timer->add({pending->deadline, number});
  if (options.cancel.stop_possible()) {
    std::weak_ptr<Session> weak = weak_from_this();
    // Registered after the request is in pending_: a stop that came first runs it right here.
    pending->on_cancel.emplace(options.cancel, std::function<void()>([weak, number] {
                                 if (auto self = weak.lock()) self->abandon_async(number, false);
                               }));
  }
  // The params are handed back before anyone completes the request: the completion may read
  // them (the next round of 2026-07-28's input_required, the result cache's key).
  const bool sent = write_request(id, method, params, options);
  std::optional<Outcome> early;
  {
    std::lock_guard lock(mutex_);
    pending->sending = false;
    early = std::move(pending->early);
    if (!early && !sent) {
      if (auto it = pending_.find(id); it != pending_.end()) {
        pending_.erase(it);
        early =
            jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr};
      }
    }
  }
  if (early) finish_pending(*pending, id, std::move(*early));
}

void Session::fail_async_pending() {
  std::vector<std::pair<jsonrpc::Id, std::shared_ptr<Pending>>> left;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (!it->second->done) {
        ++it;
        continue;
      }
      left.emplace_back(it->first, std::move(it->second));
      it = pending_.erase(it);
    }
  }
  for (auto& [id, pending] : left) {
    complete_taken(
        pending, id,
        jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "connection closed", nullptr});
  }
}

void Session::end_async() {
  fail_async_pending();  // every completion runs once, even when the end was never seen
  std::shared_ptr<Timer> timer;
  {
    std::lock_guard lock(mutex_);
    timer = std::move(timer_);
  }
  if (!timer) return;
  {
    std::lock_guard lock(timer->mutex);
    timer->stopping = true;
    timer->cv.notify_one();
  }
  // The timer's thread may itself hold the last reference to this session (expiring a request).
  if (timer->thread.get_id() == std::this_thread::get_id()) {
    timer->thread.detach();
  } else if (timer->thread.joinable()) {
    timer->thread.join();
  }
}

}  // namespace glassbox::mcp
