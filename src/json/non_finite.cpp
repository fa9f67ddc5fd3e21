#include "glassbox/json/non_finite.hpp"

#include <cmath>
#include <vector>

namespace glassbox::json {

std::optional<std::string> find_non_finite(const value& v) {
  // Depth first with an explicit stack (a frame per open container), so memory is the depth.
  struct Frame {
    const value* container;
    std::size_t next;  // index of the next child to visit
  };
  auto path_of = [](const std::vector<Frame>& stack) {
    std::string path;
    for (const Frame& f : stack) {
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
  std::vector<Frame> stack{{&v, 0}};
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
