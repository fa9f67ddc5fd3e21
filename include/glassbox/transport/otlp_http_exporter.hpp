// OTLP/HTTP trace exporter (POST {endpoint} with an ExportTraceServiceRequest as protobuf or
// JSON), configured like the OpenTelemetry SDKs (OTEL_EXPORTER_OTLP_* variables). It sends
// through the transport's HTTP client (a FetchClient), so its connection stays open between
// exports (keep-alive) instead of a TCP connect (and TLS handshake) per export.
//
// Threads: export calls block the calling thread (a BatchSpanProcessor's worker, or whoever
// forwards a payload) for at most about max_attempts * (timeout + backoff). Concurrent export
// calls are allowed (each uses a connection of its own). shutdown() may be called from any thread
// and interrupts a retry wait. stats() is readable from any thread.
#pragma once

#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/transport/http_fetch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glassbox::transport {

enum class OtlpProtocol { http_protobuf, http_json };

struct OtlpHttpExporterOptions {
  // The full traces URL (http:// or https://), used as is. From a base endpoint such as
  // "http://127.0.0.1:4318" use otlp_traces_endpoint(base), which appends "/v1/traces".
  std::string endpoint = "http://localhost:4318/v1/traces";
  OtlpProtocol protocol = OtlpProtocol::http_protobuf;  // the OTLP default
  std::vector<std::pair<std::string, std::string>> headers{};
  std::chrono::milliseconds timeout = std::chrono::seconds(2);  // per attempt, connect included
  // Attempts in all (1 = no retry). Retried: 429, 502, 503, 504 and connection failures.
  std::size_t max_attempts = 4;
  std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(100);  // doubles, jittered
  std::chrono::milliseconds max_backoff = std::chrono::seconds(5);  // caps Retry-After too
  bool gzip = false;                                                // Content-Encoding: gzip
  // https: verify the server's certificate against the system store (off: trust any).
  bool verify_tls = true;
};

// base + "/v1/traces" (one slash between them), as OTEL_EXPORTER_OTLP_ENDPOINT is read.
std::string otlp_traces_endpoint(std::string_view base);

// `defaults` overridden by the environment: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or else
// OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces"); OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL
// ("http/protobuf", "http/json"); OTEL_EXPORTER_OTLP_[TRACES_]HEADERS (k=v,... percent-decoded);
// OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT (milliseconds); OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION
// ("gzip"). Reads the process environment: call at startup.
OtlpHttpExporterOptions otlp_options_from_environment(OtlpHttpExporterOptions defaults = {});

class OtlpHttpExporter final : public trace::SpanExporter {
 public:
  explicit OtlpHttpExporter(OtlpHttpExporterOptions options);
  ~OtlpHttpExporter() override;

  trace::ExportResult export_spans(std::span<const trace::SpanData> spans,
                                   const trace::Resource& resource,
                                   const trace::InstrumentationScope& scope) noexcept override;
  // Whole payloads with their own resources (e.g. forwarding spans passed back by a server,
  // under the server's resource, C5/C7).
  trace::ExportResult export_traces(const trace::TracesData& traces) noexcept;
  // An already encoded body in this exporter's protocol; `span_count` only feeds the stats.
  trace::ExportResult export_body(std::string body, std::size_t span_count) noexcept;
  void shutdown() noexcept override;

  struct Stats {
    std::uint64_t exported_spans = 0;  // in requests answered 2xx
    std::uint64_t failed_spans = 0;    // in requests that failed after every attempt
    std::uint64_t requests = 0;        // HTTP attempts made
    std::uint64_t retries = 0;
    int last_status = 0;            // last HTTP status (0: no response)
    std::uint64_t connections = 0;  // connections opened for them (keep-alive keeps it low)
  };
  Stats stats() const noexcept;
  std::string last_error() const;
  const OtlpHttpExporterOptions& options() const noexcept { return options_; }

  // One HTTP attempt's outcome (implementation detail).
  struct Response {
    int status = 0;  // 0: no response (connection failure, timeout)
    std::chrono::milliseconds retry_after{-1};
    std::string error;
  };

 private:
  Response post(const std::string& body) noexcept;
  bool wait(std::chrono::milliseconds delay) noexcept;  // false when shut down meanwhile

  OtlpHttpExporterOptions options_;
  std::string content_type_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> exported_{0}, failed_{0}, requests_{0}, retries_{0};
  std::atomic<int> last_status_{0};
  mutable std::mutex mutex_;  // last_error_, the shutdown wait
  std::condition_variable shutdown_cv_;
  std::string last_error_;
  FetchClient client_;
};

}  // namespace glassbox::transport
