// The header fields of the requests one connection reads, in a block of the connection's own
// (private to src/transport).
//
// Beast allocates each field of a request head, and its method and target, one at a time: six
// mallocs and frees for a typical POST. A connection reads one request at a time, so the fields
// of each come out of one fixed block, bump-allocated and emptied before the next request is
// parsed; what does not fit (an unusually large head) goes to the heap as before.
//
// Threads: used only on the connection's strand, like the request itself.
#pragma once

#include <cstddef>
#include <memory>

namespace glassbox::transport::http_detail {

class FieldArena {
 public:
  // A typical request head (method, target, six to ten fields) with room to spare.
  static constexpr std::size_t kBytes = 1536;

  void* allocate(std::size_t bytes, std::size_t align) noexcept {
    std::size_t at = (used_ + align - 1) & ~(align - 1);
    if (at > kBytes || bytes > kBytes - at) return nullptr;
    used_ = at + bytes;
    return buffer_ + at;
  }
  bool owns(const void* p) const noexcept {
    auto* byte = static_cast<const unsigned char*>(p);
    return byte >= buffer_ && byte < buffer_ + kBytes;
  }
  // Only once nothing allocated from it lives (the last request's parser is gone).
  void reset() noexcept { used_ = 0; }

 private:
  std::size_t used_ = 0;
  alignas(std::max_align_t) unsigned char buffer_[kBytes];
};

// The allocator of a request's fields: from `arena` while it has room, else the heap. A
// default-constructed one (a request made by the server itself) uses the heap alone.
template <class T>
struct FieldAllocator {
  using value_type = T;

  FieldAllocator() noexcept = default;
  explicit FieldAllocator(FieldArena* a) noexcept : arena(a) {}
  template <class U>
  FieldAllocator(const FieldAllocator<U>& other) noexcept : arena(other.arena) {}

  T* allocate(std::size_t n) {
    if (arena != nullptr) {
      if (void* p = arena->allocate(n * sizeof(T), alignof(T))) return static_cast<T*>(p);
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (arena != nullptr && arena->owns(p)) return;  // freed all at once by reset()
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const FieldAllocator<U>& other) const noexcept {
    return arena == other.arena;
  }
  template <class U>
  bool operator!=(const FieldAllocator<U>& other) const noexcept {
    return arena != other.arena;
  }

  FieldArena* arena = nullptr;
};

}  // namespace glassbox::transport::http_detail
