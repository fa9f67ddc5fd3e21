// The one parser of http(s) URLs for the transport's HTTP clients (transport::fetch and its
// FetchClient, the Streamable HTTP client). Private to src/transport. Threads: pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace glassbox::transport::http_detail {

struct HttpUrl {
  bool tls = false;         // https
  std::string host;         // for connecting and SNI (an IPv6 address without brackets)
  std::string port;         // the URL's, or 80 / 443
  std::string host_header;  // Host: brackets for IPv6, the port only when the URL names one
  std::string target;       // path and query, "/" at least
  std::string origin() const { return (tls ? "https://" : "http://") + host_header; }
};

// An absolute http or https URL (scheme case-insensitive, userinfo and fragment ignored). On
// failure: nullopt and `error` says why ("invalid URL", "not an http(s) URL", "URL without a
// host").
std::optional<HttpUrl> parse_http_url(std::string_view url, std::string& error);

}  // namespace glassbox::transport::http_detail
