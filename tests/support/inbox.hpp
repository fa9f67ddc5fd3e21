// Collects what a transport delivers, for assertions from the test thread: the HTTP client
// tests and the HTTP authorizer tests read answers by request id from it.
#pragma once

#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace glassbox::testing {

class Inbox {
 public:
  transport::Callbacks callbacks() {
    return {[this](jsonrpc::Message m, transport::MessageContext) {
              std::lock_guard lock(mutex_);
              messages_.push_back(std::move(m));
              cv_.notify_all();
            },
            [this] {
              std::lock_guard lock(mutex_);
              ++closed_;
              cv_.notify_all();
            }};
  }
  // The answer (Response or ErrorResponse) to request `id`.
  std::optional<jsonrpc::Message> answer(
      std::int64_t id, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    std::optional<jsonrpc::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto& m : messages_) {
        if (auto* r = std::get_if<jsonrpc::Response>(&m); r && r->id == jsonrpc::Id{id}) found = m;
        if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&m); e && e->id == jsonrpc::Id{id})
          found = m;
      }
      return found.has_value();
    });
    return found;
  }
  std::optional<jsonrpc::Message> wait_for(
      std::function<bool(const jsonrpc::Message&)> pred,
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    std::optional<jsonrpc::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto& m : messages_) {
        if (pred(m)) found = m;
      }
      return found.has_value();
    });
    return found;
  }
  // Waits until at least `n` messages were delivered; false when the time ran out.
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
  }
  // Everything delivered so far, in order.
  std::vector<jsonrpc::Message> snapshot() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  bool wait_closed() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_ > 0; });
  }
  int closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<jsonrpc::Message> messages_;
  int closed_ = 0;
};

}  // namespace glassbox::testing
