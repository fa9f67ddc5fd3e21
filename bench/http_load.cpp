// Bounded loopback load test of the Streamable HTTP transport:
//   http_load [--sessions N] [--callers C] [--seconds S] [--server-threads T] [--url URL]
// N idle sessions each hold their standalone GET stream open (raw sockets, no client threads)
// while C callers, each an mcp::Client on its own session, call the `echo` tool at full rate.
// Prints calls/s, p50/p99 latency, errors, open connections and the process RSS (the server
// runs in this process unless --url names another one).
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/http_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace glassbox;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Args {
  int sessions = 1000;
  int callers = 4;
  int seconds = 5;
  int server_threads = 1;
  std::string url;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--sessions")
      a.sessions = std::stoi(v);
    else if (k == "--callers")
      a.callers = std::stoi(v);
    else if (k == "--seconds")
      a.seconds = std::stoi(v);
    else if (k == "--server-threads")
      a.server_threads = std::stoi(v);
    else if (k == "--url")
      a.url = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      std::exit(2);
    }
  }
  return a;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// A session that only holds its GET stream open: initialize, initialized, GET, then nothing.
struct Holder {
  explicit Holder(net::io_context& io) : socket(io) {}
  net::ip::tcp::socket socket;
};

bool open_holder(net::io_context& io, const net::ip::tcp::endpoint& endpoint,
                 const std::string& host, const std::string& target, Holder& holder) {
  beast::error_code ec;
  net::ip::tcp::socket post(io);
  post.connect(endpoint, ec);
  if (ec) return false;
  auto request = [&](http::verb verb, const std::string& body, const std::string& session) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json, text/event-stream");
    if (!session.empty()) req.set("Mcp-Session-Id", session);
    req.body() = body;
    req.prepare_payload();
    return req;
  };
  beast::flat_buffer buffer;
  auto init = request(
      http::verb::post,
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"load","version":"1"}}})",
      "");
  http::write(post, init, ec);
  http::response<http::string_body> res;
  if (!ec) http::read(post, buffer, res, ec);
  if (ec || res.result_int() != 200) return false;
  std::string session(res["Mcp-Session-Id"]);
  auto initialized = request(http::verb::post,
                             R"({"jsonrpc":"2.0","method":"notifications/initialized"})", session);
  http::write(post, initialized, ec);
  http::response<http::string_body> res2;
  if (!ec) http::read(post, buffer, res2, ec);
  if (ec) return false;
  holder.socket.connect(endpoint, ec);
  if (ec) return false;
  http::request<http::empty_body> get{http::verb::get, target, 11};
  get.set(http::field::host, host);
  get.set(http::field::accept, "text/event-stream");
  get.set("Mcp-Session-Id", session);
  http::write(holder.socket, get, ec);
  if (ec) return false;
  http::response_parser<http::empty_body> header;
  beast::flat_buffer gb;
  http::read_header(holder.socket, gb, header, ec);
  return !ec && header.get().result_int() == 200;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  mcp::Server server({.name = "http-load", .version = "1.0"});
  server.add_tool({.name = "echo", .description = "echo"},
                  [](const json::object& a, mcp::RequestContext&) {
                    const json::string* s = json::find_string(a, "message");
                    return mcp::CallToolResult::text(s ? std::string(*s) : "");
                  });
  std::unique_ptr<transport::HttpServer> http_server;
  std::string url = args.url;
  if (url.empty()) {
    transport::HttpServerOptions options;
    options.threads = static_cast<std::size_t>(args.server_threads);
    options.max_sessions = static_cast<std::size_t>(args.sessions + args.callers + 16);
    http_server = std::make_unique<transport::HttpServer>(
        options, [&](std::shared_ptr<transport::Transport> t) { server.connect(std::move(t)); });
    http_server->start();
    url = http_server->url();
  }
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    std::cerr << "bad url " << url << "\n";
    return 2;
  }
  net::io_context io;
  net::ip::tcp::resolver resolver(io);
  auto endpoint = *resolver.resolve(parsed->host_address(), parsed->port()).begin();
  std::string host = std::string(parsed->host_address()) + ":" + std::string(parsed->port());
  std::string target = std::string(parsed->encoded_path());

  long rss_before = rss_kib();
  auto t0 = Clock::now();
  std::vector<std::unique_ptr<Holder>> holders;
  int held = 0;
  for (int i = 0; i < args.sessions; ++i) {
    auto h = std::make_unique<Holder>(io);
    if (open_holder(io, endpoint, host, target, *h)) ++held;
    holders.push_back(std::move(h));
  }
  double open_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  long rss_held = rss_kib();

  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(args.callers));
  std::vector<std::thread> callers;
  for (int c = 0; c < args.callers; ++c) {
    callers.emplace_back([&, c] {
      try {
        mcp::Client client;
        client.connect(transport::connect_http({.url = url}));
        auto& mine = latencies[static_cast<std::size_t>(c)];
        while (!stop.load()) {
          auto start = Clock::now();
          try {
            auto r = client.call_tool("echo", {{"message", "x"}});
            if (r.is_error) ++errors;
          } catch (const std::exception&) {
            ++errors;
          }
          mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
        client.close();
      } catch (const std::exception& e) {
        std::cerr << "caller " << c << ": " << e.what() << "\n";
        ++errors;
      }
    });
  }
  auto run_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(args.seconds));
  stop = true;
  for (auto& t : callers) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - run_start).count();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
  };
  std::printf("sessions holding a GET stream: %d/%d (opened in %.2fs)\n", held, args.sessions,
              open_seconds);
  std::printf("callers: %d, server threads: %d, duration: %.1fs\n", args.callers,
              args.server_threads, elapsed);
  std::printf("calls: %zu  calls/s: %.0f  p50: %.0f us  p99: %.0f us  errors: %ld\n", all.size(),
              all.size() / elapsed, pct(0.50), pct(0.99), errors.load());
  if (http_server) {
    std::printf("server: %zu sessions, %zu open connections\n", http_server->session_count(),
                http_server->connection_count());
  }
  std::printf("process RSS: %ld KiB at start, %ld KiB with the streams open, %ld KiB at the end\n",
              rss_before, rss_held, rss_kib());
  holders.clear();
  if (http_server) http_server->stop();
  return errors.load() == 0 && held == args.sessions ? 0 : 1;
}
