#include "glassbox/json/non_finite.hpp"

#include <cmath>
#include <vector>

namespace glassbox::json {
namespace {

// Depth first with an explicit stack (a frame per open container), so memory is the depth.
// The first kInline frames live here: a result of ordinary depth is checked without a heap
// allocation (this runs on every result, twice on a tools/call).
struct Frame {
  const value* container;
  std::size_t next;  // index of the next child to visit
};
class Stack {
 public:
  bool empty() const noexcept { return size_ == 0; }
  Frame& back() noexcept { return at(size_ - 1); }
  void pop_back() noexcept { --size_; }
  void push_back(Frame f) {
    if (size_ < kInline) {
      inline_[size_] = f;
    } else {
      spill_.resize(size_ + 1 - kInline);
      spill_.back() = f;
    }
    ++size_;
  }
  std::size_t size() const noexcept { return size_; }
  const Frame& operator[](std::size_t i) const noexcept {
    return i < kInline ? inline_[i] : spill_[i - kInline];
  }

 private:
  Frame& at(std::size_t i) noexcept { return i < kInline ? inline_[i] : spill_[i - kInline]; }
  static constexpr std::size_t kInline = 16;
  Frame inline_[kInline];
  std::vector<Frame> spill_;
  std::size_t size_ = 0;
};

}  // namespace

std::optional<std::string> find_non_finite(const value& v) {
  auto path_of = [](const Stack& stack) {
    std::string path;
    for (std::size_t i = 0; i < stack.size(); ++i) {
      const Frame& f = stack[i];
      std::size_t at = f.next - 1;
      if (const object* o = f.container->if_object()) {
        if (!path.empty()) path += '.';
        path += (o->begin() + static_cast<std::ptrdiff_t>(at))->key();
      } else {
        path += "[" + std::to_string(at) + "]";
      }
    }
    return path;
  };
  auto bad = [](const value& x) { return x.is_double() && !std::isfinite(x.get_double()); };
  if (bad(v)) return std::string();
  if (!v.is_object() && !v.is_array()) return std::nullopt;
  Stack stack;
  stack.push_back({&v, 0});
  while (!stack.empty()) {
    Frame& f = stack.back();
    const value* child = nullptr;
    if (const object* o = f.container->if_object()) {
      if (f.next < o->size()) child = &(o->begin() + static_cast<std::ptrdiff_t>(f.next))->value();
    } else {
      const array& a = f.container->get_array();
      if (f.next < a.size()) child = &a[f.next];
    }
    if (child == nullptr) {
      stack.pop_back();
      continue;
    }
    ++f.next;
    if (bad(*child)) return path_of(stack);
    if (child->is_object() || child->is_array()) stack.push_back({child, 0});
  }
  return std::nullopt;
}

}  // namespace glassbox::json
