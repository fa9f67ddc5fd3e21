#include "auth/scopes.hpp"

#include <algorithm>

namespace glassbox::auth {

std::vector<std::string> split_scopes(std::string_view scopes) {
  std::vector<std::string> out;
  while (!scopes.empty()) {
    std::size_t space = scopes.find(' ');
    std::string_view word = scopes.substr(0, space);
    if (!word.empty() && std::find(out.begin(), out.end(), word) == out.end())
      out.emplace_back(word);
    if (space == std::string_view::npos) break;
    scopes.remove_prefix(space + 1);
  }
  return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

}  // namespace glassbox::auth
