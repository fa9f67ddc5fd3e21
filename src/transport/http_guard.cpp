// Request-head screening shared by the MCP HTTP server and the collector (http_guard.hpp).
#include "glassbox/transport/http_guard.hpp"

#include "transport/http_common.hpp"

#include <array>

namespace glassbox::transport {

using http_detail::trim;

namespace {

// The host part of a Host header or of an origin's authority, without the port.
std::string host_without_port(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    return json::ascii_lower(
        authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
  }
  return json::ascii_lower(authority.substr(0, authority.find(':')));
}

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// RFC 3986 reg-name / IPv4address characters: unreserved, pct-encoded, sub-delims. A table:
// every request's Host is checked twice (screen_framing, host_allowed), and a search of the
// punctuation for each '.' cost about 20 instructions.
constexpr std::array<bool, 256> kRegNameChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (char c : std::string_view("-._~%!$&'()*+,;=")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_reg_name_char(char c) {
  return kRegNameChars[static_cast<unsigned char>(c)];
}

}  // namespace

bool is_valid_authority(std::string_view host) {
  if (host.empty()) return false;
  std::string_view port;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : host.substr(1, close - 1)) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == ':' || c == '.';
      if (!ok) return false;
    }
    std::string_view rest = host.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
  } else {
    std::size_t colon = host.find(':');
    std::string_view name = host.substr(0, colon);
    if (name.empty()) return false;
    for (char c : name) {
      if (!is_reg_name_char(c)) return false;
    }
    if (colon == std::string_view::npos) return true;
    port = host.substr(colon + 1);
  }
  return port.size() <= 5 && is_digits(port);  // an empty port is allowed (RFC 3986)
}

bool host_allowed(const HostOriginRule& rule, std::string_view host_header) {
  if (!is_valid_authority(host_header)) return false;
  std::string bare = host_without_port(host_header);
  if (!rule.allowed_hosts.empty()) {
    std::string full = json::ascii_lower(host_header);
    for (const auto& allowed : rule.allowed_hosts) {
      std::string a = json::ascii_lower(allowed);
      if (a == "*" || a == full || a == bare) return true;
    }
    return false;
  }
  if (is_loopback_name(bare)) return true;
  // The configured address itself, unless it is a wildcard.
  std::string configured = json::ascii_lower(rule.listen_host);
  if (configured.find(':') != std::string::npos) configured = "[" + configured + "]";
  return configured != "0.0.0.0" && configured != "[::]" && bare == configured;
}

bool origin_allowed(const HostOriginRule& rule, std::string_view origin) {
  if (!rule.allowed_origins.empty()) {
    for (const auto& allowed : rule.allowed_origins) {
      if (allowed == "*" || json::ascii_lower(allowed) == json::ascii_lower(origin)) return true;
    }
    return false;
  }
  std::string o = json::ascii_lower(origin);
  std::string_view rest = o;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return false;
  }
  // "http://localhost:80@evil.com" names evil.com: the authority must be host[:port] only.
  if (!is_valid_authority(rest)) return false;
  return is_loopback_name(host_without_port(rest));
}

std::optional<HttpRefusal> screen_framing(const RequestHeadFacts& facts) {
  if (!facts.transfer_encoding.empty()) {
    // RFC 9112 6.1 and 6.3: with both, the length is ambiguous (the smuggling shape); a final
    // coding other than chunked leaves it undefined. glassbox decodes chunked only.
    if (facts.content_length > 0) {
      return HttpRefusal{400, "Transfer-Encoding together with Content-Length"};
    }
    if (facts.transfer_encoding.size() != 1 ||
        json::ascii_lower(trim(facts.transfer_encoding.front())) != "chunked") {
      return HttpRefusal{400, "unsupported Transfer-Encoding (only chunked)"};
    }
  }
  if (facts.host.size() > 1) return HttpRefusal{400, "more than one Host header"};
  if (facts.host.size() == 1 && !is_valid_authority(facts.host.front())) {
    return HttpRefusal{400, "malformed Host header"};
  }
  if (facts.origin.size() > 1) return HttpRefusal{400, "more than one Origin header"};
  return std::nullopt;
}

std::optional<HttpRefusal> screen_host_origin(const RequestHeadFacts& facts,
                                              const HostOriginRule& rule) {
  if (facts.host.empty()) return HttpRefusal{400, "missing Host header"};
  if (!host_allowed(rule, facts.host.front())) return HttpRefusal{403, "Host not allowed"};
  if (!facts.origin.empty() && !origin_allowed(rule, facts.origin.front())) {
    return HttpRefusal{403, "Origin not allowed"};
  }
  return std::nullopt;
}

}  // namespace glassbox::transport
