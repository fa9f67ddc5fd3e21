// glassbox's MCP endpoint mounted in an HTTP server of the user's own, written with Beast
// (transport/beast_mount.hpp): the user's routes stay theirs, /mcp is served by glassbox.
#include "glassbox/transport/beast_mount.hpp"
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/serve_http.hpp"
#include "glassbox/transport/http_client.hpp"
#include "support/echo_tool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace glassbox::mcp {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

using testing::add_echo;
using testing::echo_over;

// A user's own Beast server (one thread per connection, synchronous): /health is its own page,
// /mcp goes to glassbox. Each hand-over is counted in `handed_over` by the connection's thread,
// after glassbox may already have answered: read it once the server is gone (its threads joined).
class OwnBeastServer {
 public:
  OwnBeastServer(transport::HttpServer& mcp, std::atomic<int>& handed_over)
      : mcp_(mcp), handed_over_(handed_over) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accepting_ = std::thread([this] {
      for (;;) {
        boost::system::error_code ec;
        tcp::socket socket = acceptor_.accept(ec);
        if (ec || stopping_) return;
        std::lock_guard lock(mutex_);
        connections_.emplace_back(&OwnBeastServer::serve, this, std::move(socket));
      }
    });
  }
  ~OwnBeastServer() {
    // A blocking accept() is not woken by close() from another thread: wake it with a connection.
    stopping_ = true;
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    accepting_.join();
    acceptor_.close(ignored);
    std::lock_guard lock(mutex_);
    for (auto& t : connections_) t.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      boost::system::error_code ec;
      http::read(stream, buffer, request, ec);
      if (ec) return;
      if (transport::targets_endpoint(request.target(), "/mcp")) {
        if (transport::hand_over(mcp_, std::move(stream), std::move(request), buffer))
          ++handed_over_;
        return;
      }
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.set(http::field::content_type, "text/plain");
      response.body() = "own page\n";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::write(stream, response, ec);
      if (ec || !request.keep_alive()) return;
    }
  }

  transport::HttpServer& mcp_;
  net::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread accepting_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::atomic<int>& handed_over_;
  std::atomic<bool> stopping_{false};
};

std::string get(std::uint16_t port, std::string_view target) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(false);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return std::to_string(response.result_int()) + " " + response.body();
}

TEST(MountInBeast, TheUsersServerKeepsItsPagesAndHandsTheEndpointToGlassbox) {
  Server server;
  add_echo(server);
  std::unique_ptr<transport::HttpServer> mcp = start_http(server, {.listen = false});
  std::atomic<int> handed_over{0};
  {
    OwnBeastServer own(*mcp, handed_over);
    std::string url = "http://127.0.0.1:" + std::to_string(own.port()) + "/mcp";
    EXPECT_EQ(get(own.port(), "/health"), "200 own page\n");
    EXPECT_EQ(echo_over(url, "mounted"), "mounted");
    EXPECT_EQ(echo_over(url, "again"), "again");
    // A request glassbox cannot parse is refused by glassbox, as on its own listener.
    std::string refused = get(own.port(), "/mcp");
    EXPECT_TRUE(refused.starts_with("4")) << refused;
    mcp->stop();
  }
  EXPECT_GE(handed_over, 2);  // one connection at least per client
  EXPECT_EQ(mcp->connection_count(), 0u);
}

TEST(MountInBeast, AdoptRefusesWhenStoppedOrGivenNoSocket) {
  Server server;
  std::unique_ptr<transport::HttpServer> mcp = start_http(server, {.listen = false});
  EXPECT_EQ(mcp->port(), 0u);  // no socket of its own
  int not_a_socket[2];
  ASSERT_EQ(::pipe(not_a_socket), 0);
  EXPECT_FALSE(mcp->adopt(not_a_socket[0], "GET /mcp HTTP/1.1\r\n\r\n"));
  ::close(not_a_socket[1]);
  mcp->stop();
  net::io_context io;
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  EXPECT_FALSE(mcp->adopt(accepted.release(), "GET /mcp HTTP/1.1\r\n\r\n"));
  // The refused connection was closed: the client reads end of stream.
  char byte;
  boost::system::error_code ec;
  client.read_some(net::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, net::error::eof);
}

}  // namespace
}  // namespace glassbox::mcp
