// One plain HTTP(S) request and its response: what OAuth needs beside the MCP transport
// (metadata discovery, JWKS, token and introspection endpoints, client registration).
//
// Blocking, with a private io_context per call, so any thread may call it; nothing is shared
// between calls. Redirects are never followed (a 3xx comes back as it is): OAuth metadata that
// redirects to another host must not be trusted silently, and the caller decides.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glassbox::transport {

struct FetchRequest {
  std::string method = "GET";
  std::string url;  // http(s)://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // the whole exchange: resolve to last byte
  std::size_t max_response_bytes = 1024 * 1024;
  bool verify_peer = true;  // https: verify the certificate against the system CAs
  std::string ca_file;      // https: an extra CA bundle (PEM) to trust
};

struct FetchResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first value of a header, the name compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

// A failure before a complete response: bad URL, resolve, connect, TLS, timeout, a response
// body over max_response_bytes. The message says which.
class FetchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws FetchError; an HTTP error status is a response, not an exception.
FetchResponse fetch(const FetchRequest& request);

// application/x-www-form-urlencoded, for token and introspection requests.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace glassbox::transport
