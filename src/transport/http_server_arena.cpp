#include "transport/http_server_arena.hpp"

#include <cstdint>
#include <new>

namespace glassbox::transport::http_detail {

namespace {

constexpr std::size_t kAlign = 16;

bool over_aligned(std::size_t align) {
  return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}

}  // namespace

boost::json::storage_ptr RequestArena::make() {
  return boost::json::make_shared_resource<RequestArena>();
}

void* RequestArena::do_allocate(std::size_t bytes, std::size_t align) {
  if (align <= kAlign && bytes <= kBytes) {
    // Every block is rounded to kAlign, so that a bump of the offset keeps the next aligned:
    // one atomic add, no lock.
    std::size_t rounded = (bytes + kAlign - 1) & ~(kAlign - 1);
    std::size_t offset = used_.fetch_add(rounded, std::memory_order_relaxed);
    if (offset <= kBytes - rounded) return buffer_ + offset;
    // Full: this and every later block comes from the heap (used_ only grows, by at most
    // kBytes a call, so it cannot wrap).
  }
  if (over_aligned(align)) return ::operator new(bytes, std::align_val_t(align));
  return ::operator new(bytes);
}

void RequestArena::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  auto at = reinterpret_cast<std::uintptr_t>(p);
  auto start = reinterpret_cast<std::uintptr_t>(buffer_);
  if (at >= start && at < start + kBytes) return;  // freed with the arena
  (void)bytes;  // (clang declares the sized forms only with -fsized-deallocation)
  if (over_aligned(align)) {
    ::operator delete(p, std::align_val_t(align));
  } else {
    ::operator delete(p);
  }
}

}  // namespace glassbox::transport::http_detail
