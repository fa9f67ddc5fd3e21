// A scripted loopback HTTP/1.1 server for the OAuth client tests: a handler answers each request
// (method, path, query, headers, body), and every request is recorded in arrival order, so a test
// can check both what the client asked and in which order. One connection at a time, each closed
// after its answer; bounded reads so that a broken client cannot hang the test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/url/parse.hpp>

#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace glassbox::testing {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  // application/x-www-form-urlencoded body, decoded.
  std::map<std::string, std::string> form() const {
    std::map<std::string, std::string> out;
    std::string target = "/?" + body;  // the view below points into it
    auto parsed = boost::urls::parse_origin_form(target);
    if (parsed)
      for (auto p : parsed->params()) out[p.key] = p.value;
    return out;
  }
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static FakeResponse json(std::string body, int status = 200) {
    return {status, {{"Content-Type", "application/json"}}, std::move(body)};
  }
  static FakeResponse not_found() { return {404, {}, "not found"}; }
  static FakeResponse redirect(std::string location, int status = 302) {
    return {status, {{"Location", std::move(location)}}, ""};
  }
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  FakeHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  void handle(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  std::vector<FakeRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // "GET /path" per request, in order.
  std::vector<std::string> log() const {
    std::vector<std::string> out;
    for (const FakeRequest& r : requests()) out.push_back(r.method + " " + r.path);
    return out;
  }
  std::vector<FakeRequest> requests_to(const std::string& path) const {
    std::vector<FakeRequest> out;
    for (const FakeRequest& r : requests())
      if (r.path == path) out.push_back(r);
    return out;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      serve(client);
      ::close(client);
    }
  }

  static std::string read_some(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return {};
    char buffer[8192];
    auto n = ::read(fd, buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

  void serve(int client) {
    std::string data;
    std::size_t end;
    while ((end = data.find("\r\n\r\n")) == std::string::npos) {
      std::string more = read_some(client);
      if (more.empty()) return;
      data += more;
    }
    FakeRequest r;
    std::string head = data.substr(0, end);
    std::size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    std::size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1);
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t at = line_end;
    while (at != std::string::npos && at < head.size()) {
      std::size_t next = head.find("\r\n", at + 2);
      std::string field =
          head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      std::size_t colon = field.find(':');
      if (colon != std::string::npos) {
        std::string name = field.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t v = field.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : field.substr(v);
      }
      at = next;
    }
    std::size_t length =
        r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    r.body = data.substr(end + 4);
    while (r.body.size() < length) {
      std::string more = read_some(client);
      if (more.empty()) break;
      r.body += more;
    }
    if (auto parsed = boost::urls::parse_origin_form(r.target)) {
      r.path = std::string(parsed->path());
      for (auto p : parsed->params()) r.query[p.key] = p.value;
    }
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(r);
      handler = handler_;
    }
    FakeResponse response = handler ? handler(r) : FakeResponse::not_found();
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " X\r\n";
    for (const auto& [k, v] : response.headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) +
           "\r\nConnection: close\r\n\r\n" + response.body;
    std::size_t put = 0;
    while (put < out.size()) {
      auto n = ::send(client, out.data() + put, out.size() - put, MSG_NOSIGNAL);
      if (n <= 0) break;
      put += static_cast<std::size_t>(n);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

}  // namespace glassbox::testing
