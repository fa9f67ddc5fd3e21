#include "auth/client_challenge.hpp"
#include "glassbox/json/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace glassbox::auth {
namespace {

bool is_tchar(char c) {
  // RFC 9110 token characters.
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

// A cursor over the header with the few productions the grammar needs.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  std::size_t pos() const { return i_; }
  void seek(std::size_t pos) { i_ = pos; }

  void skip_ws() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_ws_and_commas() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string_view token() {
    std::size_t start = i_;
    while (!done() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::string_view token68() {
    std::size_t start = i_;
    while (!done() && is_token68_char(s_[i_])) ++i_;
    if (i_ == start) return {};
    while (!done() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  // After the opening quote; false when the string never ends.
  bool quoted(std::string& out) {
    ++i_;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (done()) return false;
        c = s_[i_++];
      }
      out += c;
    }
    return false;
  }
  // Skips to just after the next comma (or the end): recovery from what did not parse.
  void skip_item() {
    while (!done() && s_[i_] != ',') {
      if (s_[i_] == '"') {
        std::string ignored;
        if (!quoted(ignored)) return;
      } else {
        ++i_;
      }
    }
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// At a parameter name: whether `name BWS "="` follows, and not a token68's trailing "=" padding.
bool at_param(Reader& r) {
  std::size_t start = r.pos();
  bool param = false;
  if (!r.token().empty()) {
    r.skip_ws();
    if (r.peek() == '=') {
      r.seek(r.pos() + 1);
      r.skip_ws();
      // "abc=" followed by the end, a comma or another "=" is token68 padding, not a parameter.
      param = !r.done() && r.peek() != ',' && r.peek() != '=';
    }
  }
  r.seek(start);
  return param;
}

}  // namespace

std::optional<std::string> AuthChallenge::param(std::string_view name) const {
  for (const auto& [key, value] : params)  // keys are stored lower-case
    if (json::ascii_iequals(key, name)) return value;
  return std::nullopt;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> out;
  Reader r(header.substr(0, kMaxHeaderBytes));
  for (;;) {
    r.skip_ws_and_commas();
    if (r.done() || out.size() >= kMaxChallenges) break;
    std::string_view scheme = r.token();
    if (scheme.empty()) {  // not a scheme: skip this item
      r.skip_item();
      continue;
    }
    AuthChallenge challenge;
    challenge.scheme = std::string(scheme);
    std::size_t after_scheme = r.pos();
    r.skip_ws();
    if (r.pos() == after_scheme && !r.done() && r.peek() != ',') {
      // The scheme runs into something that is not a space ("Bearer=x"): garbage.
      r.skip_item();
      continue;
    }
    // token68 form: one value, then the end or a comma.
    if (!r.done() && r.peek() != ',' && !at_param(r)) {
      std::size_t start = r.pos();
      std::string_view t68 = r.token68();
      r.skip_ws();
      if (!t68.empty() && (r.done() || r.peek() == ',')) {
        challenge.token68 = std::string(t68);
        out.push_back(std::move(challenge));
        continue;
      }
      r.seek(start);
    }
    // auth-param list; a comma followed by something that is not `name=` starts a new challenge.
    bool broken = false;
    for (;;) {
      r.skip_ws_and_commas();
      if (r.done() || !at_param(r)) break;
      std::string name = json::ascii_lower(r.token());
      r.skip_ws();
      r.seek(r.pos() + 1);  // '='
      r.skip_ws();
      std::string value;
      if (r.peek() == '"') {
        if (!r.quoted(value)) {
          broken = true;  // unterminated: nothing after it can be trusted
          break;
        }
      } else {
        value = std::string(r.token());
      }
      if (challenge.params.size() < kMaxParams) challenge.params.emplace_back(name, value);
      r.skip_ws();
      if (!r.done() && r.peek() != ',') r.skip_item();  // junk after a value
    }
    out.push_back(std::move(challenge));
    if (broken) break;
  }
  return out;
}

std::optional<BearerChallenge> find_bearer_challenge(std::string_view header) {
  for (const AuthChallenge& c : parse_www_authenticate(header)) {
    if (!json::ascii_iequals(c.scheme, "Bearer")) continue;
    BearerChallenge b;
    b.error = c.param("error").value_or("");
    b.error_description = c.param("error_description").value_or("");
    b.scope = c.param("scope").value_or("");
    b.resource_metadata = c.param("resource_metadata").value_or("");
    return b;
  }
  return std::nullopt;
}

}  // namespace glassbox::auth
