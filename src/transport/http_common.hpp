// Pieces shared by the Streamable HTTP server and client (private to src/transport).
#pragma once

#include "glassbox/json/ascii.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace glassbox::transport::http_detail {

inline constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
inline constexpr std::string_view kProtocolHeader = "MCP-Protocol-Version";
inline constexpr std::string_view kLastEventIdHeader = "Last-Event-ID";
// What a server assumes when a request after initialize carries no MCP-Protocol-Version.
inline constexpr std::string_view kFallbackProtocolVersion = "2025-03-26";

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type value, lower-cased, without parameters.
inline std::string media_type(std::string_view content_type) {
  return json::ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
}

// Whether the media type of `content_type` is `type` (lower-case), as media_type() would say,
// without making a string (both types the server checks per request are past the SSO size).
inline bool media_type_is(std::string_view content_type, std::string_view type) {
  std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  // Clients send the lower-case form: one memcmp, before the byte-by-byte case fold.
  return media == type || json::ascii_iequals(media, type);
}

// Whether an Accept header lists `type` (exactly, ignoring parameters and case).
inline bool accepts(std::string_view accept, std::string_view type) {
  while (!accept.empty()) {
    std::size_t comma = accept.find(',');
    if (media_type_is(accept.substr(0, comma), type)) return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace glassbox::transport::http_detail
