#include "glassbox/trace/otlp_http.hpp"

#include <openssl/ssl.h>
#include <zlib.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdlib>
#include <random>

namespace glassbox::trace {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

std::optional<Url> parse_url(std::string_view url) {
  Url out;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);  // userinfo is not supported; ignore it
  if (authority.starts_with("[")) {   // [ipv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (rest.starts_with(":")) out.port = std::string(rest.substr(1));
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) return std::nullopt;
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  return out;
}

std::optional<std::string> gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* env(const char* traces_name, const char* generic_name) {
  const char* v = std::getenv(traces_name);
  if (v && *v) return v;
  v = generic_name ? std::getenv(generic_name) : nullptr;
  return v && *v ? v : nullptr;
}

bool retryable(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Runs one asynchronous operation to completion on a private io_context: the tcp_stream's
// expiry then bounds it, which synchronous Beast calls would not honour.
template <typename Start>
void run(asio::io_context& io, Start&& start) {
  start();
  io.restart();
  io.run();
}

template <typename Stream>
OtlpHttpExporter::Response exchange(asio::io_context& io, Stream& stream,
                                    beast::tcp_stream& tcp_layer,
                                    http::request<http::string_body>& request,
                                    std::chrono::milliseconds timeout) {
  OtlpHttpExporter::Response out;
  beast::error_code ec;
  tcp_layer.expires_after(timeout);
  run(io, [&] {
    http::async_write(stream, request, [&](beast::error_code e, std::size_t) { ec = e; });
  });
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1024 * 1024);
  run(io, [&] {
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  });
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  const auto& response = parser.get();
  out.status = static_cast<int>(response.result_int());
  if (auto it = response.find(http::field::retry_after); it != response.end()) {
    std::string_view v = trim(std::string_view(it->value().data(), it->value().size()));
    long seconds = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (r.ec == std::errc() && r.ptr == v.data() + v.size() && seconds >= 0)
      out.retry_after = std::chrono::seconds(seconds);  // an HTTP-date is ignored: backoff rules
  }
  if (out.status < 200 || out.status >= 300) {
    std::string_view body = response.body();
    out.error = "HTTP " + std::to_string(out.status) + ": " + std::string(body.substr(0, 200));
  }
  return out;
}

}  // namespace

std::string otlp_traces_endpoint(std::string_view base) {
  std::string out(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + "/v1/traces";
}

OtlpHttpExporterOptions otlp_options_from_environment(OtlpHttpExporterOptions options) {
  if (const char* v = std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v && *v) {
    options.endpoint = v;
  } else if (const char* b = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); b && *b) {
    options.endpoint = otlp_traces_endpoint(b);
  }
  if (const char* v = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")) {
    std::string_view p = trim(v);
    if (p == "http/json")
      options.protocol = OtlpProtocol::http_json;
    else if (p == "http/protobuf")
      options.protocol = OtlpProtocol::http_protobuf;
    // "grpc" is not supported: keep the default
  }
  if (const char* v = env("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")) {
    std::string_view rest = v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view pair = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key = percent_decode(trim(pair.substr(0, eq)));
      if (key.empty()) continue;
      options.headers.emplace_back(std::move(key), percent_decode(trim(pair.substr(eq + 1))));
    }
  }
  if (const char* v = env("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")) {
    long ms = 0;
    std::string_view s = trim(v);
    auto r = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (r.ec == std::errc() && ms > 0) options.timeout = std::chrono::milliseconds(ms);
  }
  if (const char* v =
          env("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")) {
    options.gzip = trim(v) == "gzip";
  }
  return options;
}

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options)
    : options_(std::move(options)),
      content_type_(options_.protocol == OtlpProtocol::http_json ? "application/json"
                                                                 : "application/x-protobuf") {
  if (options_.max_attempts == 0) options_.max_attempts = 1;
}

OtlpHttpExporter::~OtlpHttpExporter() {
  shutdown();
}

void OtlpHttpExporter::shutdown() noexcept {
  {
    std::lock_guard lock(mutex_);
    shut_down_.store(true);
  }
  shutdown_cv_.notify_all();
}

OtlpHttpExporter::Stats OtlpHttpExporter::stats() const noexcept {
  return {exported_.load(), failed_.load(), requests_.load(), retries_.load(), last_status_.load()};
}

std::string OtlpHttpExporter::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

ExportResult OtlpHttpExporter::export_spans(std::span<const SpanData> spans,
                                            const Resource& resource,
                                            const InstrumentationScope& scope) noexcept {
  if (spans.empty()) return ExportResult::success;
  std::string body;
  try {
    body = options_.protocol == OtlpProtocol::http_json
               ? encode_otlp_json_string(spans, resource, scope)
               : encode_otlp_protobuf(spans, resource, scope);
  } catch (...) {
    failed_.fetch_add(spans.size());
    return ExportResult::failure;
  }
  return export_body(std::move(body), spans.size());
}

ExportResult OtlpHttpExporter::export_traces(const TracesData& traces) noexcept {
  std::string body;
  try {
    body = options_.protocol == OtlpProtocol::http_json ? encode_otlp_json_string(traces)
                                                        : encode_otlp_protobuf(traces);
  } catch (...) {
    failed_.fetch_add(traces.span_count());
    return ExportResult::failure;
  }
  return export_body(std::move(body), traces.span_count());
}

bool OtlpHttpExporter::wait(std::chrono::milliseconds delay) noexcept {
  std::unique_lock lock(mutex_);
  return !shutdown_cv_.wait_for(lock, delay, [&] { return shut_down_.load(); });
}

ExportResult OtlpHttpExporter::export_body(std::string body, std::size_t span_count) noexcept {
  if (shut_down_.load()) {
    failed_.fetch_add(span_count);
    return ExportResult::failure;
  }
  thread_local std::minstd_rand jitter{std::random_device{}()};
  std::chrono::milliseconds backoff = options_.initial_backoff;
  Response response;
  for (std::size_t attempt = 1;; ++attempt) {
    requests_.fetch_add(1);
    response = post(body);
    last_status_.store(response.status);
    if (response.status >= 200 && response.status < 300) {
      exported_.fetch_add(span_count);
      return ExportResult::success;
    }
    bool again = response.status == 0 || retryable(response.status);
    if (!again || attempt >= options_.max_attempts || shut_down_.load()) break;
    std::chrono::milliseconds delay;
    if (response.retry_after.count() >= 0) {
      delay = std::min(response.retry_after, options_.max_backoff);
    } else {
      // Full jitter in [backoff/2, backoff].
      auto half = std::max<long long>(backoff.count() / 2, 0);
      delay = std::chrono::milliseconds(half + static_cast<long long>(jitter() % (half + 1)));
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    retries_.fetch_add(1);
    if (!wait(delay)) break;
  }
  failed_.fetch_add(span_count);
  try {
    std::lock_guard lock(mutex_);
    last_error_ = response.error;
  } catch (...) {
  }
  return ExportResult::failure;
}

OtlpHttpExporter::Response OtlpHttpExporter::post(const std::string& raw_body) noexcept {
  Response out;
  try {
    auto url = parse_url(options_.endpoint);
    if (!url) {
      out.error = "invalid endpoint URL: " + options_.endpoint;
      return out;
    }
    http::request<http::string_body> request{http::verb::post, url->target, 11};
    request.set(http::field::host, url->host + ":" + url->port);
    request.set(http::field::user_agent, "glassbox-otlp/0.1.0");
    request.set(http::field::content_type, content_type_);
    for (const auto& [name, value] : options_.headers) request.set(name, value);
    if (options_.gzip) {
      if (auto compressed = gzip(raw_body)) {
        request.body() = std::move(*compressed);
        request.set(http::field::content_encoding, "gzip");
      } else {
        request.body() = raw_body;
      }
    } else {
      request.body() = raw_body;
    }
    request.prepare_payload();

    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    run(io, [&] {
      resolver.async_resolve(url->host, url->port,
                             [&](beast::error_code e, tcp::resolver::results_type r) {
                               ec = e;
                               endpoints = std::move(r);
                             });
    });
    if (ec) {
      out.error = "resolve " + url->host + ": " + ec.message();
      return out;
    }
    if (!url->tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(options_.timeout);
      run(io, [&] {
        stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
      });
      if (ec) {
        out.error = "connect: " + ec.message();
        return out;
      }
      out = exchange(io, stream, stream, request, options_.timeout);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return out;
    }
    asio::ssl::context tls(asio::ssl::context::tls_client);
    if (options_.verify_tls) {
      tls.set_default_verify_paths();
      tls.set_verify_mode(asio::ssl::verify_peer);
    } else {
      tls.set_verify_mode(asio::ssl::verify_none);
    }
    asio::ssl::stream<beast::tcp_stream> stream(io, tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
      out.error = "TLS: cannot set SNI";
      return out;
    }
    if (options_.verify_tls)
      stream.set_verify_callback(asio::ssl::host_name_verification(url->host));
    beast::tcp_stream& layer = stream.next_layer();
    layer.expires_after(options_.timeout);
    run(io, [&] {
      layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    });
    if (ec) {
      out.error = "connect: " + ec.message();
      return out;
    }
    run(io, [&] {
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    });
    if (ec) {
      out.error = "TLS handshake: " + ec.message();
      return out;
    }
    out = exchange(io, stream, layer, request, options_.timeout);
    return out;
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
    return out;
  }
}

}  // namespace glassbox::trace
