// Request handling of the Streamable HTTP server (src/transport/http_server.cpp routing,
// http_admission.cpp, http_session.cpp): Beast's request parser, then method, path, Host, Origin,
// Accept, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID and body checks,
// then the MCP session behind it. Two
// servers run for the whole process (one with sessions, one stateless; the first byte's low bit
// picks), each with a glassbox mcp::Server behind it; every input is written as raw bytes to a
// fresh loopback connection whose write side is then shut, and the answer is read until the
// server closes the connection (or a short timeout).
// Invariants: no crash (in the server, whose threads share this process's sanitizers and
// coverage); the server always accepts the next connection; whatever it answers is an HTTP/1.1
// status line with a status in the set the transport uses.
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace {

using namespace glassbox;

struct Served {
  explicit Served(bool stateless) {
    mcp_server = std::make_unique<mcp::Server>(
        mcp::ServerOptions{.name = "fuzz", .max_concurrent_requests = 4});
    mcp_server->add_tool({.name = "echo"}, [](const json::object& args, mcp::RequestContext&) {
      return mcp::CallToolResult::text(json::serialize(args));
    });
    transport::HttpServerOptions options;
    options.stateless = stateless;
    options.max_body_bytes = 16 * 1024;
    options.max_header_bytes = 4 * 1024;
    options.max_sessions = 64;
    options.session_idle_timeout = std::chrono::seconds(1);
    options.max_streams_per_session = 8;
    options.keep_alive_timeout = std::chrono::seconds(2);
    options.shutdown_grace = std::chrono::milliseconds(100);
    http = std::make_unique<transport::HttpServer>(
        options, [this](std::shared_ptr<transport::Transport> t) { mcp_server->connect(t); });
    http->start();
  }
  std::unique_ptr<mcp::Server> mcp_server;
  std::unique_ptr<transport::HttpServer> http;
};

// Never destroyed: the servers live as long as the fuzzing process.
Served& served(bool stateless) {
  static Served* stateful_server = new Served(false);
  static Served* stateless_server = new Served(true);
  return stateless ? *stateless_server : *stateful_server;
}

// A server that stopped accepting is a failure; a client out of ephemeral ports for a moment
// (long runs open a connection per input) is not: retry for half a second first.
int connect_to(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) std::abort();
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    ::close(fd);
    ::usleep(10'000);
  }
  std::abort();
}

// Reads until the peer closes or nothing arrives for `quiet`.
std::string read_answer(int fd, std::chrono::milliseconds quiet) {
  std::string out;
  char chunk[16 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    if (out.size() < 1024 * 1024) out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

const std::set<int> kStatuses = {200, 202, 400, 403, 404, 405, 406, 409, 413, 415, 429, 431, 503};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Served& s = served(data[0] & 1);
  std::string_view request(reinterpret_cast<const char*>(data + 1), size - 1);

  int fd = connect_to(s.http->port());
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server answered early (413, 431) and closed
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer = read_answer(fd, std::chrono::milliseconds(500));
  ::close(fd);

  // Every answer on the connection is a response we know; pipelined requests give several.
  std::string_view rest = answer;
  while (!rest.empty()) {
    if (!rest.starts_with("HTTP/1.")) break;  // the body of the previous response
    if (rest.size() < 12 || rest[8] != ' ') std::abort();
    int status = std::atoi(std::string(rest.substr(9, 3)).c_str());
    if (!kStatuses.contains(status)) std::abort();
    std::size_t next = rest.find("\r\nHTTP/1.", 12);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
  }
  return 0;
}
