// Who runs the Streamable HTTP client's I/O (http_client_impl.hpp): the I/O thread, or a caller
// that waits alone for its answer while the I/O thread stands by. A call answered on the I/O
// thread costs two thread switches (the POST handed to the I/O thread, the answer handed back);
// a caller doing its own I/O costs none.
#include "transport/http_client_impl.hpp"

#include <iostream>

namespace glassbox::transport::http_detail {

namespace {

// How long the I/O thread lends its turn to callers before it looks again (as stdio's
// handoff_after): what only the I/O thread would run (a notification's POST, the GET stream)
// waits at most about this long while no caller leads.
constexpr std::chrono::microseconds kStandbyTick{1000};

// The transport whose io_ this thread runs at the moment, if any.
thread_local const HttpClientImpl* running_io = nullptr;

void report(const std::exception& e) {
  std::cerr << "glassbox http client: " << e.what() << "\n";
}

}  // namespace

bool HttpClientImpl::runs_io_here() const {
  return running_io == this;
}

void HttpClientImpl::run_io_thread() {
  running_io = this;
  while (!io_.stopped()) {
    try {
      io_.run_one();
      if (caller_waiting_.load(std::memory_order_acquire)) stand_by_if_answered();
    } catch (const std::exception& e) {
      report(e);
    }
  }
  std::lock_guard lock(lead_mutex_);
  ended_ = true;
  io_ran_out_ = true;
  standby_cv_.notify_all();
}

void HttpClientImpl::stand_by_if_answered() {
  std::unique_lock lock(lead_mutex_);
  if (!caller_wait_ || !caller_wait_->done()) return;
  const bool alone = caller_wait_->alone();
  caller_wait_.reset();
  caller_waiting_.store(false, std::memory_order_relaxed);
  if (alone && !closed_.load()) stand_by(lock);
}

void HttpClientImpl::stand_by(std::unique_lock<std::mutex>& lock) {
  runner_ = Runner::kStandby;
  caller_led_ = false;
  for (;;) {
    standby_cv_.wait_for(lock, kStandbyTick, [&] { return ended_ || resume_now_; });
    if (ended_) break;
    if (runner_ == Runner::kCaller) {
      resume_now_ = false;  // the leading caller hands back when it is done
      continue;
    }
    if (resume_now_ || !caller_led_) break;
    caller_led_ = false;
  }
  // Only the I/O thread leaves standby, and no caller leads now.
  runner_ = Runner::kIoThread;
  resume_now_ = false;
}

void HttpClientImpl::resume_io_thread() {
  std::lock_guard lock(lead_mutex_);
  if (runner_ != Runner::kStandby) return;
  resume_now_ = true;
  standby_cv_.notify_one();
}

bool HttpClientImpl::read_on_caller(const Transport::CallerRead& read) {
  std::unique_lock lock(lead_mutex_);
  if (ended_ || closed_.load()) return false;
  const bool alone = read.alone();
  if (runner_ != Runner::kStandby || !alone) {
    if (runner_ == Runner::kStandby) {
      resume_now_ = true;  // callers wait together: the I/O thread reads for them all
      standby_cv_.notify_one();
    }
    if (alone && runner_ == Runner::kIoThread) {
      caller_wait_ = read;
      caller_waiting_.store(true, std::memory_order_release);
    }
    return false;
  }
  runner_ = Runner::kCaller;
  caller_led_ = true;
  lock.unlock();
  lead(read);
  lock.lock();
  runner_ = Runner::kStandby;
  // Reading goes back to the I/O thread at once unless this caller's answer was all there was;
  // else the I/O thread waits a tick for the next call's caller.
  if (!read.done() || !read.alone() || closed_.load() || ended_) {
    resume_now_ = true;
    standby_cv_.notify_one();
  }
  return true;
}

void HttpClientImpl::lead(const Transport::CallerRead& read) {
  running_io = this;
  while (!read.done() && !io_.stopped()) {
    try {
      if (io_.run_one_until(read.deadline) == 0 &&
          std::chrono::steady_clock::now() >= read.deadline)
        break;
    } catch (const std::exception& e) {
      report(e);
    }
  }
  // What is ready already (usually the end of the answer's SSE stream) is read now, so that the
  // connection is back in the pool for the next call.
  try {
    if (!io_.stopped()) io_.poll();
  } catch (const std::exception& e) {
    report(e);
  }
  running_io = nullptr;
}

}  // namespace glassbox::transport::http_detail
