// The JSON tree of one POSTed message in one block (private to src/transport).
//
// A tools/call parses into some twenty nodes; with the default resource each is a malloc and a
// free. Parsed into a RequestArena they come out of one allocation, the arena itself, which
// the tree's storage_ptr keeps alive for as long as any value made from it lives (a handler
// may keep params past the request: they stay valid). What does not fit goes to the heap one
// allocation at a time, as it would without the arena, and is freed as usual.
//
// Threads: allocate and deallocate may be called from any thread at once (a handler may copy
// its params on another thread: a copy allocates from the source's resource).
#pragma once

#include <boost/json/storage_ptr.hpp>

#include <atomic>
#include <cstddef>

namespace glassbox::transport::http_detail {

class RequestArena final : public boost::json::memory_resource {
 public:
  // A fresh arena, shared by every value parsed into it.
  static boost::json::storage_ptr make();

  // What the arena holds before it falls back to the heap: the tree of a typical call, with
  // the arena's own header, stays within one of malloc's cached sizes (glibc's tcache ends at
  // 1,032 bytes).
  static constexpr std::size_t kBytes = 928;

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override;
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::atomic<std::size_t> used_{0};
  alignas(16) unsigned char buffer_[kBytes];
};

}  // namespace glassbox::transport::http_detail
