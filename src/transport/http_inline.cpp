#include "transport/http_inline.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>

namespace glassbox::transport::http_detail {

InlineWatch::InlineWatch(boost::asio::io_context& io, std::chrono::microseconds handoff_after)
    : io_(io), handoff_after_(handoff_after) {}

InlineWatch::~InlineWatch() {
  stop();
}

std::uint64_t InlineWatch::begin() {
  std::lock_guard lock(mutex_);
  std::uint64_t token = next_token_++;
  deliveries_.push_back({token, std::this_thread::get_id(), nullptr});
  // Started on first use: a server whose callbacks never run inline has no watchdog thread.
  if (!watchdog_.joinable() && !stopping_) watchdog_ = std::thread([this] { watch(); });
  if (asleep_) cv_.notify_one();
  return token;
}

void InlineWatch::end(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(deliveries_.begin(), deliveries_.end(),
                         [&](const Delivery& d) { return d.token == token; });
  if (it == deliveries_.end()) return;
  if (it->done) it->done->store(true);
  deliveries_.erase(it);
}

void InlineWatch::will_block() {
  std::lock_guard lock(mutex_);
  // The innermost callback of this thread is the one about to wait.
  for (auto it = deliveries_.rbegin(); it != deliveries_.rend(); ++it) {
    if (it->thread == std::this_thread::get_id()) {
      relieve_locked(*it);
      return;
    }
  }
}

void InlineWatch::relieve_locked(Delivery& delivery) {
  if (delivery.done || stopping_) return;  // relieved already
  delivery.done = std::make_shared<std::atomic<bool>>(false);
  // Threads whose callback has returned are gone or going: join them here, not at stop().
  for (auto it = relievers_.begin(); it != relievers_.end();) {
    if (it->finished->load()) {
      it->thread.join();
      it = relievers_.erase(it);
    } else {
      ++it;
    }
  }
  auto finished = std::make_shared<std::atomic<bool>>(false);
  relievers_.push_back({std::thread([this, done = delivery.done, finished] {
                          relieve(*done);
                          finished->store(true);
                        }),
                        finished});
}

void InlineWatch::relieve(const std::atomic<bool>& done) {
  while (!done.load() && !io_.stopped()) {
    try {
      io_.run_one_for(handoff_after_);
    } catch (...) {
      // As on the I/O threads: a throwing handler must not end the relief.
    }
  }
  // What the last handler run here queued as its continuation (a coroutine's next step) is in
  // the io_context's queue with nobody told: Asio expects the thread that ran the handler to run
  // it next, and this one leaves. An I/O thread blocked in epoll would never see it (a request
  // read, never answered): a post from outside the io_context wakes it.
  if (!io_.stopped()) boost::asio::post(io_, [] {});
}

// Ticks every handoff_after_ while callbacks run inline, and sleeps only after a whole tick
// without one (so that a busy server pays one wake-up per tick, not one per call); a callback
// still running after a whole tick gets its relief.
void InlineWatch::watch() {
  std::unique_lock lock(mutex_);
  std::uint64_t seen_begun = next_token_;
  while (!stopping_) {
    // Relieved callbacks need no more watching, however long they wait.
    auto unrelieved = [&] {
      return std::any_of(deliveries_.begin(), deliveries_.end(),
                         [](const Delivery& d) { return !d.done; });
    };
    if (!unrelieved() && next_token_ == seen_begun) {
      asleep_ = true;
      cv_.wait(lock, [&] { return stopping_ || unrelieved(); });
      asleep_ = false;
    }
    seen_begun = next_token_;
    std::vector<std::uint64_t> seen;
    for (const Delivery& d : deliveries_) {
      if (!d.done) seen.push_back(d.token);
    }
    cv_.wait_for(lock, handoff_after_, [&] { return stopping_; });
    for (Delivery& d : deliveries_) {
      if (std::find(seen.begin(), seen.end(), d.token) != seen.end()) relieve_locked(d);
    }
  }
}

void InlineWatch::stop() {
  std::list<Reliever> relievers;
  std::thread watchdog;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (Delivery& d : deliveries_) {
      if (d.done) d.done->store(true);
    }
    relievers.swap(relievers_);
    watchdog.swap(watchdog_);
    cv_.notify_all();
  }
  if (watchdog.joinable()) watchdog.join();
  for (Reliever& r : relievers) {
    if (r.thread.get_id() == std::this_thread::get_id()) {
      r.thread.detach();
    } else if (r.thread.joinable()) {
      r.thread.join();
    }
  }
}

}  // namespace glassbox::transport::http_detail
