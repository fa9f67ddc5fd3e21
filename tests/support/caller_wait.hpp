// A Transport::CallerRead for tests: its done() and alone() are the test's own predicates (the
// library's callers keep theirs in their request's state: src/mcp/session.hpp).
#pragma once

#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

namespace glassbox::testing {

inline transport::Transport::CallerRead caller_read(
    std::function<bool()> done, std::function<bool()> alone,
    std::chrono::steady_clock::time_point deadline) {
  struct Wait final : transport::Transport::CallerWait {
    Wait(std::function<bool()> d, std::function<bool()> a) : d_(std::move(d)), a_(std::move(a)) {}
    bool done() const noexcept override { return d_(); }
    bool alone() const noexcept override { return a_(); }
    std::function<bool()> d_, a_;
  };
  return {.wait = std::make_shared<Wait>(std::move(done), std::move(alone)), .deadline = deadline};
}

}  // namespace glassbox::testing
