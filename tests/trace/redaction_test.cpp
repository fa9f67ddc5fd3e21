// The value rules of redaction (S11) in their one-pass form (src/trace/redaction.cpp) against
// the rules as they were written first, one search per rule over the whole text: the same
// verdict on every text, the edges named, and a few hundred thousand generated texts built from
// the pieces the rules look for.
#include "trace/redaction.hpp"
#include "glassbox/json/ascii.hpp"
#include "glassbox/trace/curate.hpp"
#include "json/base64.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace {
namespace {

// ---- the oracle: each rule searched for on its own (the first form of the rules) -------------

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_upper(c) || is_lower(c) || is_digit(c);
}
bool is_token68(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
bool is_b64url(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}
bool boundary_before(std::string_view text, std::size_t pos) {
  return pos == 0 || !is_alnum(text[pos - 1]);
}
bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (json::ascii_lower(text[pos + i]) != word[i]) return false;
  return true;
}

bool oracle_auth_scheme(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool bearer = iequals_at(text, i, "bearer");
    bool basic = !bearer && iequals_at(text, i, "basic");
    if ((!bearer && !basic) || !boundary_before(text, i)) continue;
    std::size_t j = i + (bearer ? 6 : 5);
    if (j >= text.size() || (text[j] != ' ' && text[j] != '\t')) continue;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    std::size_t start = j;
    while (j < text.size() && is_token68(text[j])) ++j;
    while (j < text.size() && text[j] == '=') ++j;
    std::string_view token = text.substr(start, j - start);
    if (bearer) {
      if (token.size() >= 8) return true;
    } else if (token.size() >= 4) {
      auto decoded = json::base64_decode(token);
      if (decoded && decoded->find(':') != std::string::npos) return true;
    }
  }
  return false;
}

bool oracle_jwt(std::string_view text) {
  for (std::size_t i = text.find("eyJ"); i != std::string_view::npos; i = text.find("eyJ", i + 1)) {
    if (i > 0 && is_b64url(text[i - 1])) continue;
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
    if (segment == 2 && lengths[0] >= 10 && lengths[1] >= 2) return true;
  }
  return false;
}

struct KeyFormat {
  std::string_view prefix;
  std::size_t min_length, max_length;
  bool upper_alnum_only;
};
constexpr std::array<KeyFormat, 20> kKeyFormats{{
    {"sk-", 20, 0, false},         {"sk_live_", 16, 0, false}, {"sk_test_", 16, 0, false},
    {"rk_live_", 16, 0, false},    {"rk_test_", 16, 0, false}, {"AKIA", 16, 16, true},
    {"ASIA", 16, 16, true},        {"ghp_", 30, 0, false},     {"gho_", 30, 0, false},
    {"ghu_", 30, 0, false},        {"ghs_", 30, 0, false},     {"ghr_", 30, 0, false},
    {"github_pat_", 20, 0, false}, {"xoxb-", 10, 0, false},    {"xoxp-", 10, 0, false},
    {"xoxa-", 10, 0, false},       {"AIza", 35, 35, false},    {"glpat-", 20, 0, false},
    {"hf_", 30, 0, false},         {"npm_", 36, 36, false},
}};

bool oracle_key_format(std::string_view text) {
  for (const KeyFormat& format : kKeyFormats) {
    for (std::size_t i = text.find(format.prefix); i != std::string_view::npos;
         i = text.find(format.prefix, i + 1)) {
      if (!boundary_before(text, i)) continue;
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
  }
  return false;
}

bool oracle_aws_secret_key(std::string_view text) {
  auto is_base64_char = [](char c) { return is_alnum(c) || c == '+' || c == '/'; };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_base64_char(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    bool upper = false, lower_case = false, digit = false;
    while (j < text.size() && is_base64_char(text[j])) {
      upper |= is_upper(text[j]);
      digit |= is_digit(text[j]);
      lower_case |= is_lower(text[j]);
      ++j;
    }
    bool alone = j == text.size() || text[j] != '=';
    if (j - i == 40 && alone && upper && lower_case && digit) return true;
    i = j;
  }
  return false;
}

bool oracle_private_key(std::string_view text) {
  auto begin = text.find("-----BEGIN ");
  return begin != std::string_view::npos &&
         text.find("PRIVATE KEY-----", begin) != std::string_view::npos;
}

bool oracle(std::string_view text) {
  return oracle_auth_scheme(text) || oracle_jwt(text) || oracle_key_format(text) ||
         oracle_private_key(text) || oracle_aws_secret_key(text);
}

std::string aws_key() {
  return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";  // 40 base64 characters
}

// ---- the edges ------------------------------------------------------------------------------

// covers S11: the one-pass scan gives each rule's verdict at the edges of a text
TEST(RedactionScanTest, EdgesOfTheText) {
  const std::string npm = "npm_" + std::string(36, 'a');
  const std::vector<std::pair<std::string, bool>> cases = {
      {"", false},
      {"b", false},
      {"e", false},
      {"-", false},
      {"s", false},
      {"sk-", false},  // a prefix at the very end, nothing after it
      {"hello sk-", false},
      {"eyJ", false},
      {"Bearer", false},
      {"Bearer ", false},
      {"-----BEGIN ", false},
      {"-----BEGIN RSA PRIVATE KEY-----", true},
      {"PRIVATE KEY----- -----BEGIN ", false},  // the END marker before the BEGIN
      {"-----BEGIN -----BEGIN PRIVATE KEY-----", true},
      {npm, true},                              // a key that ends the text
      {"x" + npm, false},                       // no boundary before it
      {npm + "a", false},                       // 37 after the prefix, npm keys have exactly 36
      {"id=" + npm, true},                      // a key after a non-alphanumeric boundary
      {"sk-sk-" + std::string(20, 'a'), true},  // overlapping candidates: the second one counts
      {"sksk-" + std::string(20, 'a'), false},  // a candidate inside a word does not
      {"ghghp_" + std::string(30, 'a'), false},
      {"gh-ghp_" + std::string(30, 'a'), true},
      {"AKIAAKIA" + std::string(12, 'B'), true},  // AKIA + 16 upper: the first candidate
      {aws_key(), true},                          // the whole text is the run
      {" " + aws_key(), true},                    // the run ends the text
      {aws_key() + "=", false},                   // padded: base64 of something, not a key
      {aws_key() + "a", false},                   // 41 characters
      {"eyJhbGciOiJI.eyJzdWIiOiIx.sig", true},
      {"xeyJhbGciOiJI.eyJzdWIiOiIx.sig", false},
      {"-eyJhbGciOiJI.eyJzdWIiOiIx.sig", false},  // '-' is a base64url character
      {"Bearer abcdefgh", true},
      {"xBearer abcdefgh", false},
      {"bearer\tabcdefgh", true},
      {"Basic dXNlcjpwYXNz", true},       // user:pass
      {"Basic aGVsbG8gd29ybGQ=", false},  // "hello world": no colon
      {"BasicBearer abcdefgh", false},
      {"Basic YTpi", true},  // "a:b": the shortest credential, 10 bytes
      {"Basic YTp", false},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(looks_like_credential(text), expected) << text;
    EXPECT_EQ(oracle(text), expected) << "oracle: " << text;
  }
}

// covers S11: the verdict of the one-pass scan is the verdict of the separate searches, on texts
// made of the pieces the rules look for (prefixes, boundaries, runs, markers, padding)
TEST(RedactionScanTest, SameVerdictAsTheSeparateSearchesOnGeneratedTexts) {
  const std::vector<std::string> pieces = {"sk-",
                                           "sk_live_",
                                           "rk_test_",
                                           "AKIA",
                                           "ASIA",
                                           "ghp_",
                                           "github_pat_",
                                           "xoxb-",
                                           "AIza",
                                           "glpat-",
                                           "hf_",
                                           "npm_",
                                           "eyJ",
                                           ".",
                                           "-",
                                           "_",
                                           "=",
                                           " ",
                                           "\t",
                                           ":",
                                           "/",
                                           "+",
                                           "Bearer ",
                                           "basic ",
                                           "dXNlcjpwYXNz",
                                           "-----BEGIN ",
                                           "PRIVATE KEY-----",
                                           "a",
                                           "Z",
                                           "7",
                                           "abcdefghij",
                                           "ABCDEFGHIJ",
                                           "0123456789",
                                           "wJalrXUtnF",
                                           "é",
                                           "b",
                                           "e",
                                           "s"};
  std::mt19937 random(15);  // fixed: the same texts on every run
  int positives = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string text;
    int count = static_cast<int>(random() % 16);
    for (int k = 0; k < count; ++k) {
      const std::string& piece = pieces[random() % pieces.size()];
      int repeat = random() % 8 == 0 ? static_cast<int>(random() % 6) + 1 : 1;
      for (int r = 0; r < repeat; ++r) text += piece;
    }
    bool expected = oracle(text);
    positives += expected;
    ASSERT_EQ(looks_like_credential(text), expected) << text;
  }
  // The texts reach both verdicts often enough for the comparison to mean something.
  EXPECT_GT(positives, 2000);
  EXPECT_LT(positives, 198000);
}

// covers S11: each thread remembers the verdicts on short texts (at most 31 bytes); asked again,
// in another order, among texts of the same size that differ in one byte (and more texts than
// it keeps), every text gets its own verdict back, never a neighbour's.
TEST(RedactionScanTest, RememberedVerdictsAreEachTextsOwn) {
  std::vector<std::pair<std::string, bool>> texts;
  for (int n = 0; n < 300; ++n) {
    std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJz" + std::to_string(1000 + n) + ".x";
    ASSERT_EQ(jwt.size(), 31u);  // the longest text remembered
    std::string clean = jwt;
    clean[20] = '-';  // one segment fewer: no JWT
    texts.emplace_back(jwt, true);
    texts.emplace_back(clean, false);
    texts.emplace_back("stage." + std::to_string(n), false);
  }
  texts.emplace_back("", false);
  texts.emplace_back("sk-abcdefghijklmnopqrst", true);  // 20 characters after the prefix
  texts.emplace_back("sk-abcdefghijklmnopqrs", false);  // one short
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const auto& [text, expected] = texts[round == 1 ? texts.size() - 1 - i : i];
      EXPECT_EQ(looks_like_credential(text), expected) << text << " round " << round;
    }
  }
  // The key rules too.
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(redaction::key_denied_by_default_rules("user.password"));
    EXPECT_FALSE(redaction::key_denied_by_default_rules("user.passw0rd"));
    EXPECT_TRUE(redaction::key_denied_by_default_rules("x-api-key"));
    EXPECT_FALSE(redaction::key_denied_by_default_rules("x-api-kez"));
  }
}

// covers S11: the masking of key=value and URL passwords skips texts with no ':' or '=' and is
// unchanged on the others
TEST(RedactionScanTest, MaskingNeedsASeparator) {
  auto denied = [](std::string_view key) { return key == "password"; };
  EXPECT_EQ(redaction::mask_secrets("", "*", denied), std::nullopt);
  EXPECT_EQ(redaction::mask_secrets("password hunter2", "*", denied), std::nullopt);
  EXPECT_EQ(redaction::mask_secrets("password=", "*", denied), std::nullopt);  // at the end
  EXPECT_EQ(redaction::mask_secrets("password=hunter2", "*", denied), "password=*");
  EXPECT_EQ(redaction::mask_secrets("password:hunter2", "*", denied), "password:*");
  EXPECT_EQ(redaction::mask_secrets("a://u:p@h", "*", denied), "a://u:*@h");
}

}  // namespace
}  // namespace glassbox::trace
