// Base64 (base64.hpp).
#include "json/base64.hpp"

#include <array>
#include <cstdint>

namespace glassbox::json {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Reverse = std::array<std::int8_t, 256>;

constexpr Reverse make_reverse(bool standard, bool url_safe) {
  Reverse table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) {
    if (standard) table[static_cast<unsigned char>(kStandard[i])] = static_cast<std::int8_t>(i);
    if (url_safe) table[static_cast<unsigned char>(kUrlSafe[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr Reverse kEither = make_reverse(true, true);
constexpr Reverse kUrlOnly = make_reverse(false, true);

std::string encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = b[i] << 16;
    if (rest == 2) v |= b[i + 1] << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (rest == 2) out += alphabet[v >> 6 & 63];
    if (pad) out.append(3 - rest, '=');
  }
  return out;
}

// `text` without padding.
std::optional<std::string> decode(std::string_view text, const Reverse& table, bool canonical) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    std::int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    buffer = buffer << 6 | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xff);
    }
  }
  if (canonical && bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, kStandard, true);
}

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, kUrlSafe, false);
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t pad = 0;
  while (pad < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad != 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
  return decode(text, kEither, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, kUrlOnly, true);
}

}  // namespace glassbox::json
