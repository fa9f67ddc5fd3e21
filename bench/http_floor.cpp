// The floor of the HTTP comparison (scripts/bench.sh): a bare Boost.Beast server that answers
// every request 200 with the request's body, on keep-alive connections, on one thread.
//
//   http_floor --listen HOST:PORT
//
// No MCP and no JSON parse: what is left is the price of HTTP/1.1 on loopback with the same
// library glassbox's Streamable HTTP server is built on (Asio coroutines + Beast), so the ratio
// glassbox / floor is what the MCP layer adds. One I/O thread, as glassbox's HttpServer has by
// default. Runs until SIGINT or SIGTERM.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

net::awaitable<void> serve_connection(tcp::socket socket) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [read_error, read_bytes] = co_await http::async_read(socket, buffer, request, kTuple);
    if (read_error) co_return;  // end of stream, reset: the client is done
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = std::move(request.body());
    response.prepare_payload();
    auto [write_error, written] = co_await http::async_write(socket, response, kTuple);
    if (write_error || !response.keep_alive()) co_return;
  }
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kTuple);
    if (error) co_return;  // the acceptor was closed
    socket.set_option(tcp::no_delay(true));
    net::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--listen") {
    std::cerr << "usage: http_floor --listen HOST:PORT\n";
    return 2;
  }
  std::string address = argv[2];
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "http_floor: --listen wants HOST:PORT\n";
    return 2;
  }
  net::io_context io(1);
  tcp::endpoint endpoint(net::ip::make_address(address.substr(0, colon)),
                         static_cast<unsigned short>(std::atoi(address.c_str() + colon + 1)));
  tcp::acceptor acceptor(io, endpoint);
  net::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  net::co_spawn(io, accept_loop(acceptor), net::detached);
  std::cerr << "http_floor: listening on " << acceptor.local_endpoint() << std::endl;
  io.run();
  return 0;
}
