// A first-in first-out queue on one vector (private to src/transport). Unlike std::deque, which
// allocates its map and a 512-byte block as soon as it is constructed, an empty Fifo owns no
// memory: the HTTP server makes a session with its inbox, its finished-stream list and a stream
// of events for every sessionless POST, most of which see one message. The first `Inline`
// items live in the Fifo itself (a sessionless POST's inbox holds its request, then the close
// notice; its stream one event): no allocation until more are queued at once.
// Not thread-safe: its owner locks.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstddef>

#include <utility>

namespace glassbox::transport::http_detail {

template <class T, std::size_t Inline = 1>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  void push_back(T item) { items_.push_back(std::move(item)); }
  void pop_front() {
    items_[head_] = T();  // what it holds goes now, not at the next compaction
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      // Moves at most as many items as were popped since the last compaction: O(1) amortized.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }
  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  static constexpr std::size_t kCompactAfter = 32;
  boost::container::small_vector<T, Inline> items_;
  std::size_t head_ = 0;  // the index of the front item
};

}  // namespace glassbox::transport::http_detail
