// OAuth scopes as RFC 6749 section 3.3 writes them: one space-separated string. Used by both
// sides (the resource server's checks and the client's scope selection). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glassbox::auth {

// The scopes as a list: empty items dropped, order kept, duplicates removed.
std::vector<std::string> split_scopes(std::string_view scopes);
std::string join_scopes(const std::vector<std::string>& scopes);

}  // namespace glassbox::auth
