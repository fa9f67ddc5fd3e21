// transport::fetch against a canned loopback server that answers one connection with fixed bytes,
// so the test sees exactly what the client sent and controls exactly what it receives.
#include "glassbox/transport/http_fetch.hpp"
#include "support/loopback_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

namespace glassbox::transport {
namespace {

// Accepts one connection, reads the request (headers plus Content-Length bytes), answers
// `response` (unless it is empty: then it holds the connection until the client gives up).
class CannedServer {
 public:
  explicit CannedServer(std::string response) {
    auto listener = glassbox::testing::listen_on_loopback(1);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this, response = std::move(response)] {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string got;
      char buffer[4096];
      for (;;) {
        auto end = got.find("\r\n\r\n");
        if (end != std::string::npos) {
          std::size_t length = 0;
          if (auto at = got.find("Content-Length: "); at != std::string::npos)
            length = std::stoul(got.substr(at + 16));
          if (got.size() >= end + 4 + length) break;
        }
        auto n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        got.append(buffer, static_cast<std::size_t>(n));
      }
      request_.set_value(got);
      if (!response.empty()) {
        (void)::write(client, response.data(), response.size());
      } else {
        while (::read(client, buffer, sizeof buffer) > 0) {
        }
      }
      ::close(client);
    });
  }
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string request() { return request_.get_future().get(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::promise<std::string> request_;
  std::thread thread_;
};

TEST(HttpFetch, GetReturnsStatusHeadersAndBody) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Thing: a\r\n"
      "Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}");
  auto response =
      fetch({.url = server.url("/.well-known/x?a=1"), .headers = {{"Accept", "application/json"}}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"ok\":true}");
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("X-THING"), "a");
  EXPECT_FALSE(response.header("missing"));
  std::string request = server.request();
  EXPECT_TRUE(request.starts_with("GET /.well-known/x?a=1 HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Accept: application/json\r\n"), std::string::npos) << request;
}

TEST(HttpFetch, PostSendsTheFormBody) {
  CannedServer server("HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}");
  std::string body = form_encode({{"grant_type", "client_credentials"}, {"scope", "a b/c&d"}});
  EXPECT_EQ(body, "grant_type=client_credentials&scope=a+b%2Fc%26d");
  auto response = fetch({.method = "POST",
                         .url = server.url("/token"),
                         .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                         .body = body});
  EXPECT_EQ(response.status, 400);  // an error status is a response, not an exception
  std::string request = server.request();
  EXPECT_TRUE(request.starts_with("POST /token HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\n" + body)) << request;
}

TEST(HttpFetch, RedirectsAreReturnedNotFollowed) {
  CannedServer server(
      "HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nContent-Length: 0\r\n\r\n");
  auto response = fetch({.url = server.url("/")});
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.header("location"), "http://evil.example/");
}

TEST(HttpFetch, AnOversizedBodyIsAnError) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  try {
    fetch({.url = server.url("/"), .max_response_bytes = 1000});
    FAIL() << "no exception";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("over 1000 bytes"), std::string::npos) << e.what();
  }
}

TEST(HttpFetch, ASilentServerTimesOut) {
  CannedServer server("");
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(fetch({.url = server.url("/"), .timeout = std::chrono::milliseconds(300)}),
               FetchError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpFetch, BadUrlsAreRefusedBeforeAnyConnection) {
  EXPECT_THROW(fetch({.url = "not a url"}), FetchError);
  EXPECT_THROW(fetch({.url = "ftp://127.0.0.1/x"}), FetchError);
  EXPECT_THROW(fetch({.method = "BREW", .url = "http://127.0.0.1:1/"}), FetchError);
}

TEST(HttpFetch, ARefusedConnectionIsAnError) {
  int port = 0;
  {
    CannedServer closed("x");  // take a free port, then let it go
    port = std::stoi(closed.url("").substr(17));
  }
  EXPECT_THROW(fetch({.url = "http://127.0.0.1:" + std::to_string(port) + "/"}), FetchError);
}

}  // namespace
}  // namespace glassbox::transport
