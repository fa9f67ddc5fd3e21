// Serving over HTTP in one call (mcp::serve_http, mcp::start_http).
#include "glassbox/mcp/serve_http.hpp"
#include "glassbox/mcp/client.hpp"
#include "glassbox/transport/beast_mount.hpp"
#include "glassbox/transport/http_client.hpp"
#include "support/echo_tool.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <csignal>
#include <future>
#include <thread>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

using testing::add_echo;
using testing::echo_over;

// serve_http in a thread; the URL once it listens.
struct Serving {
  explicit Serving(Server& server, std::stop_token stop = {}) {
    done = std::async(std::launch::async, [&server, this, stop] {
      serve_http(server, {.on_listening = [this](const std::string& u) { url.set_value(u); },
                          .stop = stop});
    });
  }
  std::promise<std::string> url;
  std::future<void> done;
};

TEST(ServeHttp, OneCallServesUntilItsStopTokenIsRequested) {
  Server server;
  add_echo(server);
  std::stop_source stop;
  Serving serving(server, stop.get_token());
  auto url = serving.url.get_future();
  ASSERT_EQ(url.wait_for(10s), std::future_status::ready);
  std::string endpoint = url.get();
  EXPECT_TRUE(endpoint.starts_with("http://127.0.0.1:")) << endpoint;
  EXPECT_TRUE(endpoint.ends_with("/mcp")) << endpoint;
  EXPECT_EQ(echo_over(endpoint, "over http"), "over http");
  stop.request_stop();
  EXPECT_EQ(serving.done.wait_for(10s), std::future_status::ready);
  serving.done.get();
}

TEST(ServeHttp, SigtermStopsItGracefully) {
  Server server;
  add_echo(server);
  Serving serving(server);
  auto url = serving.url.get_future();
  ASSERT_EQ(url.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(echo_over(url.get(), "before the signal"), "before the signal");
  // serve_http owns SIGTERM from before it listens, so this cannot end the test process.
  std::raise(SIGTERM);
  EXPECT_EQ(serving.done.wait_for(10s), std::future_status::ready);
  serving.done.get();
}

TEST(ServeHttp, StartHttpReportsABindFailure) {
  Server server;
  std::unique_ptr<transport::HttpServer> first = start_http(server);
  EXPECT_THROW(start_http(server, {.port = first->port()}), std::system_error);
}

}  // namespace
}  // namespace glassbox::mcp
