#include "glassbox/auth/redirect_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/url/parse.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace glassbox::auth {
namespace {

constexpr std::size_t kMaxHead = 8 * 1024;
constexpr int kReadTimeoutMs = 5000;

void send_all(int fd, const std::string& data) {
  std::size_t put = 0;
  while (put < data.size()) {
    ssize_t n = ::send(fd, data.data() + put, data.size() - put, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    put += static_cast<std::size_t>(n);
  }
}

void answer(int fd, int status, std::string_view reason, std::string_view text) {
  std::string body =
      "<!doctype html><meta charset=utf-8><title>glassbox</title><p>" + std::string(text) + "\n";
  send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                   "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
                   "Connection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
}

// The request head, or "" when it is too large, too slow or broken.
std::string read_head(int fd) {
  std::string head;
  char buffer[2048];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReadTimeoutMs);
  while (head.find("\r\n\r\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0 || head.size() > kMaxHead) return {};
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return {};
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {};
    head.append(buffer, static_cast<std::size_t>(n));
  }
  return head;
}

}  // namespace

RedirectListener::RedirectListener(RedirectListenerOptions options) : options_(std::move(options)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  if (::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("redirect listener: '" + options_.host +
                             "' is not a numeric IPv4 address");
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("redirect listener: ") + std::strerror(errno));
  // The port of an earlier flow may still have connections in TIME_WAIT; reusing it keeps the
  // redirect URI a dynamically registered client was registered with.
  int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("redirect listener: cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + why);
  }
  socklen_t length = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

RedirectListener::~RedirectListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

std::string RedirectListener::redirect_uri() const {
  return "http://" + options_.host + ":" + std::to_string(port_) + options_.path;
}

void RedirectListener::expect_state(std::string state) {
  std::lock_guard lock(mutex_);
  expected_state_ = std::move(state);
}

std::optional<AuthorizationResponse> RedirectListener::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return response_.has_value() || cancelled_; });
  if (cancelled_) return std::nullopt;
  return response_;
}

void RedirectListener::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  stop_ = true;
  changed_.notify_all();
}

void RedirectListener::run() {
  // Polls in short slices so that stop_ is seen without closing the descriptor under accept().
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready <= 0) continue;
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    bool done = serve(client);
    ::close(client);
    if (done) return;
  }
}

bool RedirectListener::serve(int client) {
  std::string head = read_head(client);
  std::size_t line_end = head.find("\r\n");
  if (head.empty() || line_end == std::string::npos) {
    if (!head.empty()) answer(client, 400, "Bad Request", "Bad request.");
    return false;
  }
  std::string_view line(head.data(), line_end);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    answer(client, 400, "Bad Request", "Bad request.");
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto parsed = boost::urls::parse_origin_form(target);
  if (method != "GET" || !parsed || parsed->path() != options_.path) {
    answer(client, 404, "Not Found", "Not found.");
    return false;
  }
  AuthorizationResponse r;
  for (auto param : parsed->params()) {
    if (param.key == "code") r.code = param.value;
    if (param.key == "state") r.state = param.value;
    if (param.key == "iss") r.iss = param.value;
    if (param.key == "error") r.error = param.value;
    if (param.key == "error_description") r.error_description = param.value;
  }
  std::lock_guard lock(mutex_);
  if (expected_state_.empty() || r.state != expected_state_) {
    answer(client, 400, "Bad Request",
           "This authorization response does not belong to the request glassbox is waiting for.");
    return false;
  }
  if (!r.error.empty()) {
    answer(client, 200, "OK", "Authorization was refused. You can close this window.");
  } else {
    answer(client, 200, "OK", "Authorization complete. You can close this window.");
  }
  response_ = std::move(r);
  changed_.notify_all();
  return true;
}

}  // namespace glassbox::auth
