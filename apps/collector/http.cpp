// The collector's HTTP side: one Asio I/O thread, one coroutine per connection, Beast for
// HTTP/1.1 (keep-alive). Requests are small and handled inline on the I/O thread: decoding is
// bounded and SQLite writes of one export take milliseconds.
#include "collector.hpp"

#include "glassbox/json/ascii.hpp"
#include "glassbox/transport/http_guard.hpp"

#include <zlib.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <thread>

namespace glassbox::collector {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::optional<std::string> inflate(std::string_view compressed, std::size_t max_bytes,
                                   std::string* error) {
  z_stream z{};
  // 15 + 32: zlib or gzip, detected from the header.
  if (inflateInit2(&z, 15 + 32) != Z_OK) {
    if (error) *error = "zlib init failed";
    return std::nullopt;
  }
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = ::inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      if (error) *error = std::string("bad gzip body: ") + (z.msg ? z.msg : "truncated or corrupt");
      return std::nullopt;
    }
    out.append(buffer, sizeof buffer - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      if (error) *error = "gzip body inflates past " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {  // input ended mid-stream
      inflateEnd(&z);
      if (error) *error = "bad gzip body: truncated";
      return std::nullopt;
    }
  }
  inflateEnd(&z);
  return out;
}

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIdleTimeout{30};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// "application/json; charset=utf-8" -> "application/json"
std::string media_type(std::string_view header) {
  std::string_view t = header.substr(0, header.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  return json::ascii_lower(t);
}

Response make_response(const Request& req, http::status status, std::string_view content_type,
                       std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "glassbox-collector");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// google.rpc.Status {code = 1, message = 2}, as OTLP/HTTP answers a protobuf request's failure.
std::string status_protobuf(int code, std::string_view message) {
  std::string out;
  out.push_back(0x08);
  out.push_back(static_cast<char>(code));
  out.push_back(0x12);
  std::size_t n = message.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(message);
  return out;
}

bool is_hex_id(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

ExportDecodeResult decode_export_request(std::string_view content_type,
                                         std::string_view content_encoding, std::string_view body,
                                         const CollectorOptions& options) {
  ExportDecodeResult result;
  std::string type = media_type(content_type);
  result.protobuf = type == "application/x-protobuf" || type == "application/protobuf";
  auto fail = [&](int status, std::string reason) {
    result.status = status;
    result.reason = std::move(reason);
    return std::move(result);
  };
  if (!result.protobuf && type != "application/json") {
    return fail(
        415, "Content-Type must be application/json or application/x-protobuf, not '" + type + "'");
  }
  std::optional<std::string> inflated;
  std::string encoding = json::ascii_lower(content_encoding);
  if (encoding == "gzip" || encoding == "deflate") {
    std::string error;
    inflated = inflate(body, options.max_inflated_bytes, &error);
    if (!inflated) return fail(400, error);
    body = *inflated;
  } else if (!encoding.empty() && encoding != "identity") {
    return fail(415, "unsupported Content-Encoding '" + encoding + "'");
  }
  std::string error;
  result.traces = result.protobuf ? trace::decode_otlp_protobuf(body, options.decode_limits, &error)
                                  : trace::decode_otlp_json(body, options.decode_limits, &error);
  if (!result.traces) return fail(400, "invalid OTLP payload: " + error);
  return result;
}

struct Collector::Impl {
  CollectorOptions options;
  transport::HostOriginRule host_origin_rule;
  std::unique_ptr<TraceStore> store;
  net::io_context io{1};
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
  std::uint16_t port = 0;
  bool running = false;

  Response export_traces(const Request& req) {
    ExportDecodeResult decoded = decode_export_request(
        req[http::field::content_type], req[http::field::content_encoding], req.body(), options);
    auto fail = [&](http::status status, const std::string& reason) {
      if (decoded.protobuf)
        return make_response(req, status, "application/x-protobuf", status_protobuf(3, reason));
      return make_response(req, status, "application/json",
                           json::serialize(json::object{{"code", 3}, {"message", reason}}));
    };
    if (!decoded.traces) return fail(static_cast<http::status>(decoded.status), decoded.reason);
    try {
      if (options.on_traces)
        options.on_traces(std::move(*decoded.traces));
      else
        store->insert(*decoded.traces);
    } catch (const std::exception& e) {
      return fail(http::status::service_unavailable, std::string("store: ") + e.what());
    }
    // ExportTraceServiceResponse with no partial_success: empty in both encodings.
    if (decoded.protobuf) return make_response(req, http::status::ok, "application/x-protobuf", "");
    return make_response(req, http::status::ok, "application/json", "{}");
  }

  Response handle(const Request& req) {
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view query =
        path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
    if (path == "/v1/traces") {
      if (req.method() != http::verb::post) {
        auto res =
            make_response(req, http::status::method_not_allowed, "text/plain", "POST only\n");
        res.set(http::field::allow, "POST");
        return res;
      }
      return export_traces(req);
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      return make_response(req, http::status::method_not_allowed, "text/plain", "GET only\n");
    }
    if (path == "/" || path == "/index.html" || path.starts_with("/trace/")) {
      return make_response(req, http::status::ok, "text/html; charset=utf-8",
                           std::string(viewer_page()));
    }
    if (path == "/api/traces") {
      std::size_t limit = 100;
      if (auto at = query.find("limit="); at != std::string_view::npos) {
        std::string_view v = query.substr(at + 6);
        std::from_chars(v.data(), v.data() + v.size(), limit);
        limit = std::clamp<std::size_t>(limit, 1, 1000);
      }
      json::array list;
      for (const auto& s : store->recent(limit)) list.push_back(s.to_json());
      return make_response(
          req, http::status::ok, "application/json",
          json::serialize(json::object{{"traces", std::move(list)},
                                       {"traceCount", store->trace_count()},
                                       {"spanCount", store->span_count()},
                                       {"ingest", store->ingest_counts().to_json()}}));
    }
    if (path.starts_with("/api/traces/")) {
      std::string id = json::ascii_lower(path.substr(12));
      std::optional<json::object> t = is_hex_id(id) ? store->trace_json(id) : std::nullopt;
      if (!t) {
        return make_response(req, http::status::not_found, "application/json",
                             json::serialize(json::object{{"error", "no trace " + id}}));
      }
      return make_response(req, http::status::ok, "application/json", json::serialize(*t));
    }
    return make_response(req, http::status::not_found, "text/plain", "not found\n");
  }

  net::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (ec == http::error::body_limit) {
        Request head;
        head.version(11);
        head.keep_alive(false);
        Response res =
            make_response(head, http::status::payload_too_large, "application/json",
                          json::serialize(json::object{
                              {"code", 8},
                              {"message", "body larger than " +
                                              std::to_string(options.max_body_bytes) + " bytes"}}));
        co_await http::async_write(stream, res, kTuple);
        break;
      }
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != net::error::eof && ec != net::error::operation_aborted) {
          Request head;
          head.version(11);
          head.keep_alive(false);
          Response res =
              make_response(head, http::status::bad_request, "text/plain", "bad request\n");
          co_await http::async_write(stream, res, kTuple);
        }
        break;
      }
      Request req = parser.release();
      Response res;
      transport::RequestHeadFacts facts = transport::head_facts(req);
      auto refusal = transport::screen_framing(facts);
      if (refusal) req.keep_alive(false);  // the rest of the connection cannot be trusted
      if (!refusal) refusal = transport::screen_host_origin(facts, host_origin_rule);
      try {
        if (refusal) {
          res = make_response(req, static_cast<http::status>(refusal->status), "text/plain",
                              refusal->reason + "\n");
        } else {
          res = handle(req);
        }
      } catch (const std::exception& e) {  // never let one request take the collector down
        res = make_response(req, http::status::internal_server_error, "text/plain",
                            std::string(e.what()) + "\n");
      }
      if (req.method() == http::verb::head) res.body().clear();
      bool keep_alive = res.keep_alive();
      auto [wec, written] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(kTuple);
      if (ec == net::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }
};

Collector::Collector(CollectorOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->host_origin_rule = {.listen_host = impl_->options.host,
                             .allowed_hosts = impl_->options.allowed_hosts,
                             .allowed_origins = impl_->options.allowed_origins};
}

Collector::~Collector() {
  stop();
}

void Collector::start() {
  if (impl_->running) return;
  if (!impl_->store) impl_->store = std::make_unique<TraceStore>(impl_->options.store);
  impl_->store->resume();
  boost::system::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw std::runtime_error("bad listen address '" + impl_->options.host + "'");
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.emplace(impl_->io);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->acceptor.reset();
    throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                             std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->port = impl_->acceptor->local_endpoint().port();
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->running = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

void Collector::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  // An export being stored on the I/O thread stops at its next span and rolls back: the join
  // below never waits for a big insert.
  impl_->store->interrupt();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->acceptor.reset();
}

std::uint16_t Collector::port() const noexcept {
  return impl_->port;
}

std::string Collector::base_url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

TraceStore& Collector::store() {
  if (!impl_->store) impl_->store = std::make_unique<TraceStore>(impl_->options.store);
  return *impl_->store;
}

}  // namespace glassbox::collector
