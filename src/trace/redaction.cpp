// The redaction rules of curation (redaction.hpp): which attribute keys name secrets, which
// values look like credentials, and masking a secret inside a longer string. curate.cpp applies
// them to spans.
#include "trace/redaction.hpp"

#include "glassbox/json/ascii.hpp"
#include "glassbox/trace/curate.hpp"

#include "json/base64.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace glassbox::trace {

namespace redaction {

// ---- verdicts remembered per thread -----------------------------------------------------------

// The verdicts of a rule that depends on the text alone, on short texts (at most 31 bytes),
// remembered by each thread in a direct-mapped table: spans repeat their names, keys and values
// from request to request ("tools/call", "gen_ai.tool.name"), and a lookup is a hash of two
// words and a compare of the same two words (and of the bytes between them, past 16 bytes),
// where the rule would scan it again. A slot holds a copy of its text: a verdict is only ever
// given back for the very same bytes.
class VerdictCache {
 public:
  static constexpr std::size_t kMaxText = 31;

  // The verdict remembered for `text`, or nullopt.
  [[gnu::always_inline]] std::optional<std::uint8_t> find(std::string_view text) const noexcept {
    const std::size_t n = text.size();
    if (n > kMaxText) return std::nullopt;
    std::uint64_t head, tail;
    head_and_tail(text.data(), n, head, tail);
    const Slot& slot = slots_[index(head, tail, n)];
    // Up to 16 bytes, the two words hold every byte of the text (see head_and_tail).
    if (slot.size != n || slot.head != head || slot.tail != tail ||
        (n > 16 && !same_bytes(slot.bytes.data() + 8, text.data() + 8, n - 16)))
      return std::nullopt;
    return slot.verdict;
  }
  void put(std::string_view text, std::uint8_t verdict) noexcept {
    const std::size_t n = text.size();
    if (n > kMaxText) return;
    std::uint64_t head, tail;
    head_and_tail(text.data(), n, head, tail);
    Slot& slot = slots_[index(head, tail, n)];
    if (n != 0) std::memcpy(slot.bytes.data(), text.data(), n);
    slot.head = head;
    slot.tail = tail;
    slot.size = static_cast<std::uint8_t>(n);
    slot.verdict = verdict;
  }

 private:
  static constexpr std::size_t kSlots = 64;
  struct Slot {
    std::uint64_t head = 0, tail = 0;  // head_and_tail of its text
    std::array<char, kMaxText> bytes{};
    std::uint8_t size = 0xFF;  // empty (no text is that long)
    std::uint8_t verdict = 0;
  };
  // The first and last eight bytes of `text` (fewer, zero-extended, when it is shorter), read
  // with fixed-size loads that may overlap (no call to memcpy for a few bytes). Of a text of at
  // most 16 bytes they hold every byte: 8 to 16 in two words, 4 to 7 in two halves, and 1 to 3
  // in its first, middle and last.
  static void head_and_tail(const char* text, std::size_t n, std::uint64_t& head,
                            std::uint64_t& tail) noexcept {
    if (n >= 8) {
      std::memcpy(&head, text, 8);
      std::memcpy(&tail, text + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t h, t;
      std::memcpy(&h, text, 4);
      std::memcpy(&t, text + n - 4, 4);
      head = h;
      tail = t;
    } else {
      head = n == 0 ? 0
                    : static_cast<unsigned char>(text[0]) |
                          static_cast<std::uint64_t>(static_cast<unsigned char>(text[n / 2])) << 8 |
                          static_cast<std::uint64_t>(static_cast<unsigned char>(text[n - 1])) << 16;
      tail = 0;
    }
  }
  // Whether the `n` (at most kMaxText) bytes at `a` and `b` are the same: eight at a time, the
  // last word overlapping the one before it.
  static bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    if (n < 8) {
      std::uint64_t ha, ta, hb, tb;
      head_and_tail(a, n, ha, ta);
      head_and_tail(b, n, hb, tb);
      return ha == hb && ta == tb;
    }
    std::uint64_t x, y, diff = 0;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      diff |= x ^ y;
    }
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return (diff | (x ^ y)) == 0;
  }
  static std::size_t index(std::uint64_t head, std::uint64_t tail, std::size_t n) noexcept {
    std::uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ n;
    return static_cast<std::size_t>(h >> 58);  // the top 6 bits: kSlots = 64
  }
  std::array<Slot, kSlots> slots_{};
};
static_assert(sizeof(std::size_t) == 8);

// ---- key rules -------------------------------------------------------------------------------

constexpr bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alnum(char c) {
  return is_upper(c) || is_lower(c) || is_digit(c);
}

// Lowercased words of a key: split at non-alphanumerics and camelCase boundaries
// ("xAPIKey" -> x api key; "access_token" -> access token). `keep_star` keeps a '*' in words
// (for patterns).
std::vector<std::string> split_words(std::string_view key, bool keep_star) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (!(is_alnum(c) || (keep_star && c == '*'))) {
      flush();
      continue;
    }
    if (is_upper(c) && !word.empty()) {
      char prev = key[i - 1];
      bool next_lower = i + 1 < key.size() && is_lower(key[i + 1]);
      if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower)) flush();
    }
    word += json::ascii_lower(c);
  }
  flush();
  return words;
}

bool word_matches(const std::string& pattern, const std::string& word) {
  if (!pattern.empty() && pattern.back() == '*')
    return word.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == word;
}

bool words_contain(const std::vector<std::string>& words, const std::vector<std::string>& pattern) {
  if (pattern.empty() || pattern.size() > words.size()) return false;
  for (std::size_t i = 0; i + pattern.size() <= words.size(); ++i) {
    std::size_t j = 0;
    while (j < pattern.size() && word_matches(pattern[j], words[i + j])) ++j;
    if (j == pattern.size()) return true;
  }
  return false;
}

const std::vector<std::vector<std::string>>& default_key_patterns() {
  static const std::vector<std::vector<std::string>> patterns = [] {
    std::vector<std::vector<std::string>> out;
    for (const char* p : {"authorization", "cookie",           "cookies",
                          "token",         "accesstoken",      "refreshtoken",
                          "authtoken",     "idtoken",          "sessiontoken",
                          "bearer",        "password",         "passwd",
                          "pwd",           "passphrase",       "secret",
                          "clientsecret",  "api key",          "apikey",
                          "private key",   "privatekey",       "credential",
                          "credentials",   "x auth",           "jwt",
                          "account key",   "accountkey",       "access key",
                          "accesskey",     "shared access key"}) {
      out.push_back(split_words(p, true));
    }
    return out;
  }();
  return patterns;
}

// The built-in rules depend on the key alone, and the same keys come back on every request:
// each thread remembers its verdicts (bounded) instead of splitting words again.
bool key_denied_by_default_rules(std::string_view key) {
  thread_local VerdictCache recent;
  if (std::optional<std::uint8_t> verdict = recent.find(key)) return *verdict != 0;
  thread_local std::unordered_map<std::string, bool, KeyHash, std::equal_to<>> verdicts;
  if (auto it = verdicts.find(key); it != verdicts.end()) {
    recent.put(key, it->second);
    return it->second;
  }
  std::vector<std::string> words = split_words(key);
  bool denied = false;
  for (const auto& p : default_key_patterns()) {
    if (words_contain(words, p)) {
      denied = true;
      break;
    }
  }
  if (verdicts.size() >= 4096) verdicts.clear();
  verdicts.emplace(std::string(key), denied);
  recent.put(key, denied);
  return denied;
}

// ---- value rules -----------------------------------------------------------------------------

bool is_token68(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
bool is_b64url(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (json::ascii_lower(text[pos + i]) != word[i]) return false;
  return true;
}

bool boundary_before(std::string_view text, std::size_t pos) {
  return pos == 0 || !is_alnum(text[pos - 1]);
}

// Each value rule, checked at one position of `text`: whether a credential starts there.

// "Bearer <token68>" (at least 8 characters) or "Basic <base64 of user:password>".
bool auth_scheme_at(std::string_view text, std::size_t i) {
  bool bearer = iequals_at(text, i, "bearer");
  bool basic = !bearer && iequals_at(text, i, "basic");
  if ((!bearer && !basic) || !boundary_before(text, i)) return false;
  std::size_t j = i + (bearer ? 6 : 5);
  if (j >= text.size() || (text[j] != ' ' && text[j] != '\t')) return false;
  while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
  std::size_t start = j;
  while (j < text.size() && is_token68(text[j])) ++j;
  while (j < text.size() && text[j] == '=') ++j;
  std::string_view token = text.substr(start, j - start);
  if (bearer) return token.size() >= 8;
  if (token.size() < 4) return false;
  auto decoded = json::base64_decode(token);
  return decoded && decoded->find(':') != std::string::npos;
}

// Three base64url segments, the first a JSON object ("eyJ" is base64 of '{"').
bool jwt_at(std::string_view text, std::size_t i) {
  if (text.compare(i, 3, "eyJ") != 0 || (i > 0 && is_b64url(text[i - 1]))) return false;
  std::size_t j = i;
  std::size_t lengths[3] = {0, 0, 0};
  int segment = 0;
  while (j < text.size()) {
    if (is_b64url(text[j])) {
      ++lengths[segment];
    } else if (text[j] == '.' && segment < 2) {
      ++segment;
    } else {
      break;
    }
    ++j;
  }
  return segment == 2 && lengths[0] >= 10 && lengths[1] >= 2;
}

struct KeyFormat {
  std::string_view prefix;
  std::size_t min_length;  // characters after the prefix
  std::size_t max_length;  // 0: unbounded
  bool upper_alnum_only;
};

constexpr std::array<KeyFormat, 20> kKeyFormats{{
    {"sk-", 20, 0, false},       // OpenAI, Anthropic (sk-ant-...), and many others
    {"sk_live_", 16, 0, false},  // Stripe
    {"sk_test_", 16, 0, false},    {"rk_live_", 16, 0, false},
    {"rk_test_", 16, 0, false},    {"AKIA", 16, 16, true},  // AWS access key ids
    {"ASIA", 16, 16, true},        {"ghp_", 30, 0, false},  // GitHub tokens
    {"gho_", 30, 0, false},        {"ghu_", 30, 0, false},
    {"ghs_", 30, 0, false},        {"ghr_", 30, 0, false},
    {"github_pat_", 20, 0, false}, {"xoxb-", 10, 0, false},  // Slack
    {"xoxp-", 10, 0, false},       {"xoxa-", 10, 0, false},
    {"AIza", 35, 35, false},   // Google API keys
    {"glpat-", 20, 0, false},  // GitLab
    {"hf_", 30, 0, false},     // Hugging Face
    {"npm_", 36, 36, false},   // npm access tokens
}};

// kKeyFormats by first byte: the formats starting with byte c are order[start[c]..start[c+1]).
struct KeyFormatIndex {
  std::array<std::uint8_t, kKeyFormats.size()> order{};
  std::array<std::uint8_t, 257> start{};
};
constexpr KeyFormatIndex make_key_format_index() {
  KeyFormatIndex index;
  std::array<std::uint8_t, 256> count{};
  for (const KeyFormat& format : kKeyFormats) ++count[static_cast<unsigned char>(format.prefix[0])];
  for (int c = 0; c < 256; ++c) index.start[c + 1] = index.start[c] + count[c];
  std::array<std::uint8_t, 256> next{};
  for (int c = 0; c < 256; ++c) next[c] = index.start[c];
  for (std::size_t k = 0; k < kKeyFormats.size(); ++k)
    index.order[next[static_cast<unsigned char>(kKeyFormats[k].prefix[0])]++] =
        static_cast<std::uint8_t>(k);
  return index;
}
constexpr KeyFormatIndex kKeyFormatIndex = make_key_format_index();

// A provider's key format (a known prefix, then enough key characters) starting at `i`.
bool key_format_at(std::string_view text, std::size_t i) {
  if (!boundary_before(text, i)) return false;
  const auto first = static_cast<unsigned char>(text[i]);
  for (std::size_t k = kKeyFormatIndex.start[first]; k < kKeyFormatIndex.start[first + 1]; ++k) {
    const KeyFormat& format = kKeyFormats[kKeyFormatIndex.order[k]];
    if (text.compare(i, format.prefix.size(), format.prefix) != 0) continue;
    std::size_t j = i + format.prefix.size();
    std::size_t n = 0;
    while (j < text.size()) {
      char c = text[j];
      bool ok = format.upper_alnum_only ? (is_upper(c) || is_digit(c))
                                        : (is_alnum(c) || c == '_' || c == '-');
      if (!ok) break;
      ++n;
      ++j;
    }
    if (n >= format.min_length && (format.max_length == 0 || n == format.max_length)) return true;
  }
  return false;
}

constexpr bool is_base64_char(char c) {
  return is_alnum(c) || c == '+' || c == '/';
}

// What a byte may start or belong to, for the one-pass scan: the rules to check where it stands.
enum : std::uint8_t {
  kStartsAuthScheme = 1,  // b, B: Bearer, Basic
  kStartsJwt = 2,         // e: eyJ
  kStartsKeyFormat = 4,   // the first letters of kKeyFormats' prefixes
  kStartsPrivateKey = 8,  // -: -----BEGIN
  kBase64 = 16,           // part of an AWS secret key's run
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (is_base64_char(static_cast<char>(c))) t[c] |= kBase64;
  }
  t['b'] |= kStartsAuthScheme;
  t['B'] |= kStartsAuthScheme;
  t['e'] |= kStartsJwt;
  for (const KeyFormat& format : kKeyFormats)
    t[static_cast<unsigned char>(format.prefix[0])] |= kStartsKeyFormat;
  t['-'] |= kStartsPrivateKey;
  return t;
}
constexpr std::array<std::uint8_t, 256> kCharClasses = make_char_classes();

// An AWS secret access key: exactly 40 base64 characters standing alone, with upper case, lower
// case and a digit (a hex digest has no upper case; prose has no 40-letter words). `run` is
// [start, end) of a maximal run of base64 characters.
bool aws_secret_key_run(std::string_view text, std::size_t start, std::size_t end) {
  if (end - start != 40 || (end < text.size() && text[end] == '=')) return false;
  bool upper = false, lower_case = false, digit = false;
  for (std::size_t k = start; k < end; ++k) {
    upper |= is_upper(text[k]);
    digit |= is_digit(text[k]);
    lower_case |= is_lower(text[k]);
  }
  return upper && lower_case && digit;
}

// Every value rule in one pass over `text`: each byte is classified once, and a rule is checked
// only where its first character stands (the same positions the rules' own searches would visit).
bool scan_for_credential(std::string_view text) {
  bool private_key_checked = false;
  std::size_t run_start = 0;  // of the current base64 run, when in_run
  bool in_run = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint8_t cls = kCharClasses[static_cast<unsigned char>(text[i])];
    if (cls & kBase64) {
      if (!in_run) run_start = i;
      in_run = true;
    } else if (in_run) {
      in_run = false;
      if (aws_secret_key_run(text, run_start, i)) return true;
    }
    if ((cls & ~kBase64) == 0) continue;
    if ((cls & kStartsAuthScheme) && auth_scheme_at(text, i)) return true;
    if ((cls & kStartsJwt) && jwt_at(text, i)) return true;
    if ((cls & kStartsKeyFormat) && key_format_at(text, i)) return true;
    if ((cls & kStartsPrivateKey) && !private_key_checked &&
        text.compare(i, 11, "-----BEGIN ") == 0) {
      // Only the first BEGIN matters: an END marker after a later one is after it too.
      private_key_checked = true;
      if (text.find("PRIVATE KEY-----", i) != std::string_view::npos) return true;
    }
  }
  return in_run && aws_secret_key_run(text, run_start, text.size());
}

// The secret parts of `text` replaced by `replacement`, the rest kept: the password of URL
// userinfo (`postgres://admin:[REDACTED]@db`), and the value after a key that `key_denied` says
// names a secret (`password=...`, `?access_token=...&`, `AccountKey=...;`, `"api_key": ...`).
// nullopt when nothing was masked. Applied to every string value, span name, event name and
// status message that is not redacted whole.
std::optional<std::string> mask_secrets(std::string_view text, std::string_view replacement,
                                        const std::function<bool(std::string_view)>& key_denied) {
  // Both shapes hang on a ':' or a '=': a text with neither (most values) has nothing to mask.
  if (std::none_of(text.begin(), text.end(), [](char c) { return c == ':' || c == '='; }))
    return std::nullopt;
  std::string out;
  std::size_t copied = 0;  // text before this is in `out`
  auto mask = [&](std::size_t from, std::size_t to) {
    out.append(text.substr(copied, from - copied));
    out += replacement;
    copied = to;
  };
  auto is_key_char = [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i < copied) continue;
    // URL userinfo: scheme://user:password@host. Only the password goes.
    if (text.compare(i, 3, "://") == 0 && i > 0 && is_alnum(text[i - 1])) {
      std::size_t start = i + 3;
      std::size_t end = start;
      while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != '#' &&
             text[end] != ' ' && text[end] != '\t' && text[end] != '\n' && text[end] != '"')
        ++end;
      std::string_view authority = text.substr(start, end - start);
      std::size_t at = authority.rfind('@');
      std::size_t colon = authority.find(':');
      if (at != std::string_view::npos && colon != std::string_view::npos && colon < at &&
          at > colon + 1) {
        mask(start + colon + 1, start + at);
      }
      i = start - 1;
      continue;
    }
    // key=value, key: value, "key": "value" (query strings, connection strings, logs): when the
    // key names a secret, the value goes and the key stays.
    char c = text[i];
    if (c != '=' && c != ':') continue;
    std::size_t key_end = i;
    if (key_end > 0 && (text[key_end - 1] == '"' || text[key_end - 1] == '\'')) --key_end;
    std::size_t key_start = key_end;
    while (key_start > 0 && is_key_char(text[key_start - 1])) --key_start;
    if (key_start == key_end || !key_denied(text.substr(key_start, key_end - key_start))) continue;
    std::size_t v = i + 1;
    if (c == ':' && text.compare(v, 2, "//") == 0) continue;  // a URL's scheme, not a key
    while (v < text.size() && (text[v] == ' ' || text[v] == '"' || text[v] == '\'')) ++v;
    std::size_t e = v;
    while (e < text.size() && text[e] != '&' && text[e] != ';' && text[e] != ',' &&
           text[e] != ' ' && text[e] != '"' && text[e] != '\'' && text[e] != '\n' &&
           text[e] != '\t' && text[e] != '}' && text[e] != ')' && text[e] != '#')
      ++e;
    if (e > v) mask(v, e);
  }
  if (copied == 0) return std::nullopt;
  out.append(text.substr(copied));
  return out;
}

}  // namespace redaction

namespace redaction {

// The shortest text a value rule takes for a credential: "Basic " and four base64 characters of
// "u:p" (a bearer token is 15 at least, a JWT 14, a key format 15, a private key 27, an AWS
// secret key 40).
constexpr std::size_t kShortestCredential = 10;

TextVerdict inspect_text(std::string_view text) {
  enum : std::uint8_t { kCredential = 1, kMaskable = 2 };
  if (text.size() < kShortestCredential) {
    // Shorter (a request id, a count, a status): no credential, and a look at nine bytes at most
    // costs less than the table (whose slots it would take from texts that come back).
    return {.maskable =
                std::any_of(text.begin(), text.end(), [](char c) { return c == ':' || c == '='; })};
  }
  thread_local VerdictCache recent;
  std::optional<std::uint8_t> verdict = recent.find(text);
  if (!verdict) {
    const bool maskable = std::memchr(text.data(), ':', text.size()) != nullptr ||
                          std::memchr(text.data(), '=', text.size()) != nullptr;
    verdict = static_cast<std::uint8_t>((scan_for_credential(text) ? kCredential : 0) |
                                        (maskable ? kMaskable : 0));
    recent.put(text, *verdict);
  }
  return {.credential = (*verdict & kCredential) != 0, .maskable = (*verdict & kMaskable) != 0};
}

}  // namespace redaction

bool looks_like_credential(std::string_view text) {
  return redaction::inspect_text(text).credential;
}

}  // namespace glassbox::trace
