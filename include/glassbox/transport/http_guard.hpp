// What every glassbox HTTP server (the MCP endpoint and the embedded collector) checks in a
// request head before anything else: framing that RFC 9112 says to refuse (ambiguous Host,
// Origin, Transfer-Encoding with Content-Length: the request smuggling shapes), and the
// Host/Origin rule against DNS rebinding. One implementation, so the two servers cannot drift.
//
//   transport::HostOriginRule rule{.listen_host = "127.0.0.1"};
//   transport::RequestHeadFacts facts = transport::head_facts(beast_request);  // any field list
//   if (auto refusal = transport::screen_framing(facts)) ... answer refusal->status (400)
//   if (auto refusal = transport::screen_host_origin(facts, rule)) ... (400 or 403)
//
// Threads: pure functions, no shared state.
#pragma once

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::transport {

struct HostOriginRule {
  std::string listen_host = "127.0.0.1";  // the configured bind address
  // Empty: localhost/127.0.0.1/[::1] with any port, plus listen_host itself (not a wildcard).
  // "*" allows any Host.
  std::vector<std::string> allowed_hosts;
  // Empty: only http(s)://localhost|127.0.0.1|[::1][:port]. "*" allows any Origin.
  std::vector<std::string> allowed_origins;
};

// Every occurrence of the header lines the screens look at, as they arrived. The views point
// into the request: valid while it lives.
struct RequestHeadFacts {
  // Nearly every request has one Host line and at most one of the others: kept inline, no
  // allocation per request.
  using Lines = boost::container::small_vector<std::string_view, 1>;
  Lines host;
  Lines origin;
  Lines transfer_encoding;
  std::size_t content_length = 0;  // how many Content-Length lines
};

struct HttpRefusal {
  int status = 400;
  std::string reason;  // short, for the answer body
};

// 400 for: Transfer-Encoding together with Content-Length; a Transfer-Encoding other than
// exactly "chunked" (glassbox decodes no other coding, and a final coding that is not chunked
// leaves the length undefined); more than one Host or Origin line; a Host value that is not
// uri-host[:port] (so "localhost:80@evil.com" is malformed, not localhost). nullopt: none.
std::optional<HttpRefusal> screen_framing(const RequestHeadFacts& facts);

// 400 "missing Host header"; 403 "Host not allowed" / "Origin not allowed" under `rule`.
// Assumes screen_framing passed (one Host at most, well-formed).
std::optional<HttpRefusal> screen_host_origin(const RequestHeadFacts& facts,
                                              const HostOriginRule& rule);

// The single checks, for callers that hold one value.
bool host_allowed(const HostOriginRule& rule, std::string_view host_header);
bool origin_allowed(const HostOriginRule& rule, std::string_view origin);
// uri-host [":" port] (RFC 9110 7.2): an IP literal in brackets, or reg-name / IPv4 characters.
bool is_valid_authority(std::string_view host_header);

// Whether a header field name is `lower` (lowercase letters, digits and '-') in any case, a
// word at a time. `name` must hold token characters only, as any HTTP/1.1 parser admits (Beast's
// does): no token character differs from a letter, a digit or '-' in the case bit (0x20) alone
// but the other case of the same letter.
inline bool header_name_is(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  constexpr std::uint64_t kCaseBits = 0x2020202020202020;
  std::size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, name.data() + i, 8);
    std::memcpy(&b, lower.data() + i, 8);
    if ((a | kCaseBits) != b) return false;
  }
  for (; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// Collects the facts from any field list whose elements have name_string() and value() (a
// Beast request), so this header needs no Beast.
template <class Fields>
RequestHeadFacts head_facts(const Fields& fields) {
  RequestHeadFacts facts;
  for (const auto& field : fields) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    std::string_view value(field.value().data(), field.value().size());
    if (header_name_is(name, "host")) {
      facts.host.push_back(value);
    } else if (header_name_is(name, "origin")) {
      facts.origin.push_back(value);
    } else if (header_name_is(name, "transfer-encoding")) {
      facts.transfer_encoding.push_back(value);
    } else if (header_name_is(name, "content-length")) {
      ++facts.content_length;
    }
  }
  return facts;
}

}  // namespace glassbox::transport
