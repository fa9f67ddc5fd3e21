// ASCII case helpers for protocol tokens (header names, schemes, media types, token types): they
// fold A-Z only, whatever the C locale says, so a protocol comparison never depends on it.
// Threads: pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace glassbox::json {

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace glassbox::json
