#include "transport/http_url.hpp"

#include "glassbox/json/ascii.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace glassbox::transport::http_detail {

std::optional<HttpUrl> parse_http_url(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "invalid URL";
    return std::nullopt;
  }
  boost::urls::url_view u = *parsed;
  HttpUrl out;
  std::string scheme = json::ascii_lower(u.scheme());
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    error = "not an http(s) URL";
    return std::nullopt;
  }
  out.host = u.host_address();
  if (out.host.empty()) {
    error = "URL without a host";
    return std::nullopt;
  }
  bool ipv6 = u.host_type() == boost::urls::host_type::ipv6;
  out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (u.has_port()) out.host_header += ":" + out.port;
  out.target = u.encoded_target().empty() ? "/" : std::string(u.encoded_target());
  if (out.target.front() != '/') out.target = "/" + out.target;
  return out;
}

}  // namespace glassbox::transport::http_detail
