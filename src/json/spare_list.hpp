// A bounded list of spare objects, each taken again once nothing else holds it: what a
// sessionless HTTP POST would otherwise make and destroy (the MCP session and its set node, the
// HTTP session, a connection's Sink and Stream) is kept for the next one. It lives here, in the
// lowest layer, because both transport/ and mcp/ keep such lists.
//
// Threads: none of its own. An owner shared between threads locks around take() and keep(), and
// lets what keep() returns go outside its lock.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

namespace glassbox::json {

// Whether the list is a shared_ptr spare's only holder: a handler may still hold what it kept,
// and a thread that put a spare back may hold it a moment longer.
struct HeldByTheListAlone {
  template <class Shared>
  bool operator()(const Shared& spare) const noexcept {
    return spare.use_count() == 1;
  }
};

// T: default-constructible (empty) and movable, as std::shared_ptr or a set's node handle.
// IsFree(spare): whether nothing but the list holds it.
template <class T, std::size_t kCapacity, class IsFree = HeldByTheListAlone>
class SpareList {
  static_assert(kCapacity > 0);

 public:
  // The newest spare nothing else holds (an owner that still holds the newest one for a while
  // finds the one before it), or an empty T. Spares still held stay for a later take().
  T take() {
    for (std::size_t i = size_; i-- > 0;) {
      if (!IsFree{}(spares_[i])) continue;
      T spare = std::move(spares_[i]);
      if (i + 1 != size_) spares_[i] = std::move(spares_[size_ - 1]);
      spares_[--size_] = T();
      return spare;
    }
    return T();
  }

  // Keeps `spare`; when the list is full (of spares still held elsewhere, as take() leaves
  // them) its first entry gives way, so that objects held long cannot end the reuse. Returns what
  // gave way (or an empty T), for the caller to let go outside its lock.
  [[nodiscard]] T keep(T spare) {
    if (size_ < kCapacity) {
      spares_[size_++] = std::move(spare);
      return T();
    }
    std::swap(spare, spares_[0]);
    return spare;
  }

  std::size_t size() const noexcept { return size_; }

 private:
  std::array<T, kCapacity> spares_{};
  std::size_t size_ = 0;
};

}  // namespace glassbox::json
