// The redaction rules that curation applies (private to src/trace; the public face is
// looks_like_credential / should_redact_key / should_redact_value in curate.hpp).
// Pure functions: any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace::redaction {

// Lowercased words of a key: split at non-alphanumerics and camelCase boundaries
// ("xAPIKey" -> x api key; "access_token" -> access token). `keep_star` keeps a '*' in words
// (for patterns).
std::vector<std::string> split_words(std::string_view key, bool keep_star = false);
// Whether `words` contains the words of `pattern` in a row.
bool words_contain(const std::vector<std::string>& words, const std::vector<std::string>& pattern);

// Heterogeneous lookup (std::string_view into a std::string-keyed map).
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>()(s);
  }
};

// The default key rules: the key, split into words (camelCase, snake_case, kebab-case), contains
// a word pattern that names a secret (password, token, api key, ...).
bool key_denied_by_default_rules(std::string_view key);

// What the built-in value rules say of a text (remembered per thread for short ones, which spans
// repeat from request to request): whether it looks like a credential (looks_like_credential),
// and whether it holds a ':' or a '=', on which any secret mask_secrets masks hangs.
struct TextVerdict {
  bool credential = false;
  bool maskable = false;
};
TextVerdict inspect_text(std::string_view text);

// Masks the value after every key inside `text` that names a secret (`password=...`,
// `?access_token=...&`, `AccountKey=...;`, `"api_key": ...`), judged by `key_denied`. nullopt
// when nothing was masked.
std::optional<std::string> mask_secrets(std::string_view text, std::string_view replacement,
                                        const std::function<bool(std::string_view)>& key_denied);

}  // namespace glassbox::trace::redaction
