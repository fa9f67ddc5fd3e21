// OTLP/HTTP exporter against a loopback listener (127.0.0.1, port 0): content type, body,
// retries with backoff on 503/429 and Retry-After, no retry on 400, environment options (C7).
#include "glassbox/transport/otlp_http_exporter.hpp"
#include "support/loopback_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace glassbox::transport {
namespace {

using namespace glassbox::trace;

// A one-thread HTTP/1.1 listener that answers each request with the next scripted response.
class Listener {
 public:
  struct Request {
    std::string head;
    std::string body;
    std::chrono::steady_clock::time_point at;
  };
  struct Reply {
    int status;
    std::string extra_headers;
  };

  explicit Listener(std::vector<Reply> script) : script_(std::move(script)) {
    auto listener = glassbox::testing::listen_on_loopback(16);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { run(); });
  }
  ~Listener() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces"; }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    for (std::size_t i = 0;; ++i) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      Request request = read_request(client);
      request.at = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      Reply reply = i < script_.size() ? script_[i] : Reply{200, ""};
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n" +
                             reply.extra_headers +
                             "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

 public:
  // One request off `client` (head empty when the peer closed first).
  static Request read_request(int client) {
    Request r;
    std::string data;
    char buf[65536];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    while (true) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          r.head = data.substr(0, header_end);
          std::string lower;
          for (char c : r.head)
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          auto at = lower.find("content-length:");
          if (at != std::string::npos)
            content_length = std::strtoul(lower.c_str() + at + 15, nullptr, 10);
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    if (header_end != std::string::npos) r.body = data.substr(header_end + 4, content_length);
    return r;
  }

 private:
  std::vector<Reply> script_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

// An HTTP/1.1 collector that keeps each connection open for as many requests as the client
// sends on it (or, with close_after_each, closes it after one answer without saying so, as a
// server whose idle timeout ran out does). Counts the connections it accepted.
class KeepAliveListener {
 public:
  explicit KeepAliveListener(bool close_after_each = false) : close_after_each_(close_after_each) {
    auto listener = glassbox::testing::listen_on_loopback(16);
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { run(); });
  }
  ~KeepAliveListener() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
    }
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces"; }
  std::size_t connections() {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  std::size_t requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    for (;;) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) {
          ::close(client);
          return;
        }
        ++connections_;
        client_ = client;
      }
      for (;;) {
        Listener::Request request = Listener::read_request(client);
        if (request.head.empty()) break;
        {
          std::lock_guard lock(mutex_);
          ++requests_;
        }
        std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
        if (close_after_each_) break;
      }
      {
        std::lock_guard lock(mutex_);
        client_ = -1;
      }
      ::close(client);
    }
  }

  bool close_after_each_;
  int fd_ = -1;
  int port_ = 0;
  std::mutex mutex_;
  int client_ = -1;  // the connection being served, under mutex_
  bool stopping_ = false;
  std::size_t connections_ = 0, requests_ = 0;
  std::thread thread_;
};

std::vector<SpanData> spans(int n) {
  std::vector<SpanData> out;
  for (int i = 0; i < n; ++i) {
    SpanData s;
    s.name = "s" + std::to_string(i);
    s.trace_id = generate_trace_id();
    s.span_id = generate_span_id();
    s.start_time_unix_nano = 1;
    s.end_time_unix_nano = 2;
    out.push_back(s);
  }
  return out;
}

bool has_header(const std::string& head, std::string_view line) {
  return head.find(std::string(line)) != std::string::npos;
}

// covers C7
TEST(OtlpHttpTest, ProtobufRetriedAfter503) {
  Listener listener({{503, ""}, {200, ""}});
  OtlpHttpExporter exporter({.endpoint = listener.url(),
                             .headers = {{"x-tenant", "t1"}},
                             .initial_backoff = std::chrono::milliseconds(50)});
  auto batch = spans(3);
  Resource resource = Resource{}.set("service.name", "svc");
  EXPECT_EQ(exporter.export_spans(batch, resource, {}), ExportResult::success);
  auto requests = listener.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(has_header(requests[1].head, "POST /v1/traces HTTP/1.1"));
  EXPECT_TRUE(has_header(requests[1].head, "Content-Type: application/x-protobuf"));
  EXPECT_TRUE(has_header(requests[1].head, "x-tenant: t1"));
  EXPECT_GE(requests[1].at - requests[0].at, std::chrono::milliseconds(25));  // backed off
  std::string error;
  auto decoded = decode_otlp_protobuf(requests[1].body, {}, &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->resource_spans[0].scope_spans[0].spans, batch);
  EXPECT_EQ(decoded->resource_spans[0].resource.service_name(), "svc");
  auto stats = exporter.stats();
  EXPECT_EQ(stats.exported_spans, 3u);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.last_status, 200);
}

// covers C7: a steady exporter (the proxy's gateway, the CLI) sends every export on one
// connection instead of a TCP connect each.
TEST(OtlpHttpTest, SteadyExportsShareOneConnection) {
  KeepAliveListener collector;
  OtlpHttpExporter exporter({.endpoint = collector.url()});
  constexpr std::size_t kExports = 5;
  for (std::size_t i = 0; i < kExports; ++i)
    ASSERT_EQ(exporter.export_spans(spans(2), {}, {}), ExportResult::success);
  EXPECT_EQ(collector.requests(), kExports);
  EXPECT_EQ(collector.connections(), 1u);
  EXPECT_EQ(exporter.stats().connections, 1u);
  EXPECT_EQ(exporter.stats().requests, kExports);
}

// A kept connection the collector closed meanwhile costs a reconnect, never an export.
TEST(OtlpHttpTest, AConnectionClosedWhileIdleIsReplacedWithoutFailing) {
  KeepAliveListener collector(/*close_after_each=*/true);
  OtlpHttpExporter exporter({.endpoint = collector.url(), .max_attempts = 1});
  constexpr std::size_t kExports = 3;
  for (std::size_t i = 0; i < kExports; ++i)
    ASSERT_EQ(exporter.export_spans(spans(1), {}, {}), ExportResult::success) << i;
  EXPECT_EQ(collector.requests(), kExports);
  EXPECT_EQ(collector.connections(), kExports);
  EXPECT_EQ(exporter.stats().retries, 0u);
}

// covers C7
TEST(OtlpHttpTest, JsonWithRetryAfterAndGzip) {
  Listener listener({{429, "Retry-After: 1\r\n"}, {200, ""}});
  OtlpHttpExporter exporter({.endpoint = listener.url(), .protocol = OtlpProtocol::http_json});
  auto batch = spans(2);
  EXPECT_EQ(exporter.export_spans(batch, {}, {}), ExportResult::success);
  auto requests = listener.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(has_header(requests[0].head, "Content-Type: application/json"));
  EXPECT_GE(requests[1].at - requests[0].at, std::chrono::milliseconds(900));  // Retry-After: 1
  std::string error;
  auto decoded = decode_otlp_json(std::string_view(requests[1].body), {}, &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->span_count(), 2u);

  Listener gz({});
  OtlpHttpExporter gzipped({.endpoint = gz.url(), .gzip = true});
  EXPECT_EQ(gzipped.export_spans(batch, {}, {}), ExportResult::success);
  ASSERT_EQ(gz.requests().size(), 1u);
  EXPECT_TRUE(has_header(gz.requests()[0].head, "Content-Encoding: gzip"));
  EXPECT_EQ(gz.requests()[0].body.substr(0, 2), "\x1f\x8b");
}

TEST(OtlpHttpTest, NoRetryOnClientErrorAndBoundedAttempts) {
  Listener bad({{400, ""}});
  OtlpHttpExporter exporter({.endpoint = bad.url()});
  EXPECT_EQ(exporter.export_spans(spans(1), {}, {}), ExportResult::failure);
  EXPECT_EQ(bad.requests().size(), 1u);
  EXPECT_EQ(exporter.stats().failed_spans, 1u);
  EXPECT_NE(exporter.last_error().find("400"), std::string::npos);

  Listener down({{503, ""}, {503, ""}, {503, ""}, {503, ""}, {503, ""}});
  OtlpHttpExporter bounded(
      {.endpoint = down.url(), .max_attempts = 3, .initial_backoff = std::chrono::milliseconds(1)});
  EXPECT_EQ(bounded.export_spans(spans(1), {}, {}), ExportResult::failure);
  EXPECT_EQ(down.requests().size(), 3u);
}

TEST(OtlpHttpTest, ConnectionRefusedFailsQuickly) {
  int port;
  {
    Listener closed({});
    port = std::stoi(closed.url().substr(17, 5));
  }
  OtlpHttpExporter exporter({.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces",
                             .timeout = std::chrono::milliseconds(500),
                             .max_attempts = 2,
                             .initial_backoff = std::chrono::milliseconds(1)});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter.export_spans(spans(1), {}, {}), ExportResult::failure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(exporter.stats().requests, 2u);
  EXPECT_FALSE(exporter.last_error().empty());
}

TEST(OtlpHttpTest, ExportTracesKeepsEachResource) {
  Listener listener({});
  OtlpHttpExporter exporter({.endpoint = listener.url()});
  TracesData traces;
  traces.resource_spans.push_back(
      {Resource{}.set("service.name", "server"), {{{}, spans(2), ""}}, ""});
  EXPECT_EQ(exporter.export_traces(traces), ExportResult::success);
  auto decoded = decode_otlp_protobuf(listener.requests().at(0).body);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->resource_spans[0].resource.service_name(), "server");  // C5
}

TEST(OtlpHttpTest, BatchProcessorThroughExporter) {
  Listener listener({});
  auto exporter =
      std::make_shared<OtlpHttpExporter>(OtlpHttpExporterOptions{.endpoint = listener.url()});
  BatchSpanProcessor batch({.exporter = exporter});
  for (const auto& s : spans(5)) batch.on_end(s);
  EXPECT_TRUE(batch.force_flush(std::chrono::seconds(5)));
  EXPECT_EQ(batch.stats().exported, 5u);
  EXPECT_EQ(exporter->stats().exported_spans, 5u);
}

// covers C7
TEST(OtlpHttpTest, OptionsFromEnvironment) {
  EXPECT_EQ(otlp_traces_endpoint("http://127.0.0.1:4318/"), "http://127.0.0.1:4318/v1/traces");
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  ::setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%3Db,x=y", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1500", 1);
  auto options = otlp_options_from_environment();
  EXPECT_EQ(options.endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(options.protocol, OtlpProtocol::http_json);
  ASSERT_EQ(options.headers.size(), 2u);
  EXPECT_EQ(options.headers[0], (std::pair<std::string, std::string>{"api-key", "a=b"}));
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(1500));
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/custom", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", 1);
  options = otlp_options_from_environment();
  EXPECT_EQ(options.endpoint, "http://127.0.0.1:9/custom");
  EXPECT_EQ(options.protocol, OtlpProtocol::http_protobuf);
  for (const char* name :
       {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"})
    ::unsetenv(name);
}

}  // namespace
}  // namespace glassbox::transport
