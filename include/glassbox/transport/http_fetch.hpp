// One plain HTTP(S) request and its response: what OAuth needs beside the MCP transport
// (metadata discovery, JWKS, token and introspection endpoints, client registration).
//
// Blocking, with a private io_context per connection, so any thread may call it. fetch() shares
// nothing between calls (a connection per call); a FetchClient keeps connections open between
// its calls (keep-alive) for a caller that talks to the same server again and again. Redirects are
// never followed (a 3xx comes back as it is): OAuth metadata that redirects to another host must
// not be trusted silently, and the caller decides.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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

struct FetchClientOptions {
  std::size_t max_idle_connections = 4;  // kept open between calls, across all origins
  // An idle connection older than this is closed instead of reused (servers close theirs after a
  // few seconds: Node's default is 5 s).
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(4);
};

// fetch() with connection reuse: when a response allows it (HTTP/1.1 keep-alive, read to its
// end), its connection waits for the next request to the same origin (scheme, host, port, TLS
// settings) instead of closing. A request that fails on a reused connection before any byte of
// the response came back (the server closed it while idle) is sent once more on a new one.
// Thread-safe: concurrent calls each use a connection of their own.
class FetchClient {
 public:
  explicit FetchClient(FetchClientOptions options = {});
  ~FetchClient();
  FetchClient(const FetchClient&) = delete;
  FetchClient& operator=(const FetchClient&) = delete;

  // As transport::fetch.
  FetchResponse fetch(const FetchRequest& request);
  // Connections opened so far (each a TCP connect, and a TLS handshake for https).
  std::uint64_t connections_opened() const noexcept;

  struct Connection;

 private:
  FetchClientOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;  // under mutex_, oldest first
  std::uint64_t opened_ = 0;                       // under mutex_
};

// application/x-www-form-urlencoded, for token and introspection requests.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace glassbox::transport
