// See append_text.hpp.
#include "json/append_text.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstring>

namespace glassbox::json {
namespace {

// The escape of each byte below 0x80: 0 none, 'u' as \u00XX, else the letter after a backslash.
constexpr char kEscape[128] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u', 'u',  'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 0,   0,   '"', 0,    0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
};

bool plain(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || kEscape[u] == 0;
}

// Deeper than this (a tree made in code; a parsed one is bounded by ParseLimits) goes to Boost's
// serializer, whose stack is on the heap, instead of recursing on.
constexpr int kMaxRecursion = 256;

template <typename Integer>
void append_integer(std::string& out, Integer n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

void append_quoted_text(std::string& out, std::string_view text) {
  out += '"';
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p != end) {
    const char* run = p;
    while (p != end && plain(*p)) ++p;
    out.append(run, static_cast<std::size_t>(p - run));
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p++);
    if (kEscape[c] != 'u') {
      const char escaped[2] = {'\\', kEscape[c]};
      out.append(escaped, 2);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(escaped, 6);
    }
  }
  out += '"';
}

namespace {

void append_value(std::string& out, const boost::json::value& v, int depth) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      append_integer(out, v.get_int64());
      return;
    case boost::json::kind::uint64:
      append_integer(out, v.get_uint64());
      return;
    case boost::json::kind::double_:
      out += boost::json::serialize(v);  // Boost's own form (1E0, 1.5E-1): rare in MCP
      return;
    case boost::json::kind::string:
      append_quoted_text(out, v.get_string());
      return;
    case boost::json::kind::array: {
      if (depth >= kMaxRecursion) {
        out += boost::json::serialize(v);
        return;
      }
      out += '[';
      bool first = true;
      for (const boost::json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_value(out, e, depth + 1);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      if (depth >= kMaxRecursion) {
        out += boost::json::serialize(v);
        return;
      }
      out += '{';
      bool first = true;
      for (const boost::json::key_value_pair& m : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_quoted_text(out, m.key());
        out += ':';
        append_value(out, m.value(), depth + 1);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

void append_text(std::string& out, const boost::json::value& v) {
  append_value(out, v, 0);
}

}  // namespace glassbox::json
