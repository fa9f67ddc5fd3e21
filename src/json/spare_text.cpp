#include "json/spare_text.hpp"

#include <array>
#include <utility>

namespace glassbox::json {
namespace {

constexpr std::size_t kMinKept = 1024, kMaxKept = 64 * 1024, kKept = 4;

// Set when this thread's spares are gone (at its exit): a text destroyed after them is freed.
thread_local bool t_spares_gone = false;

struct Spares {
  std::array<std::string, kKept> texts;
  std::size_t count = 0;
  ~Spares() { t_spares_gone = true; }
};
thread_local Spares t_spares;

}  // namespace

std::string take_spare_text(std::size_t capacity) {
  std::string text;
  if (t_spares_gone) {
    text.reserve(capacity);
    return text;
  }
  Spares& spares = t_spares;
  if (spares.count > 0) text = std::move(spares.texts[--spares.count]);
  text.reserve(capacity);
  return text;
}

void give_back_spare_text(std::string&& text) noexcept {
  if (t_spares_gone) return;
  Spares& spares = t_spares;
  if (text.capacity() < kMinKept || text.capacity() > kMaxKept || spares.count == kKept) return;
  spares.texts[spares.count++] = std::move(text);
}

}  // namespace glassbox::json
