#include "glassbox/transport/otlp_http_exporter.hpp"

#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/span_data.hpp"

#include <zlib.h>

#include <charconv>
#include <cstdlib>
#include <random>

namespace glassbox::transport {

using trace::ExportResult;
using trace::InstrumentationScope;
using trace::Resource;
using trace::SpanData;
using trace::TracesData;

namespace {

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

// The seconds of a Retry-After; -1 when absent or an HTTP-date (then backoff rules).
std::chrono::milliseconds retry_after(const std::optional<std::string>& header) {
  if (!header) return std::chrono::milliseconds(-1);
  std::string_view v = trim(*header);
  long seconds = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (r.ec == std::errc() && r.ptr == v.data() + v.size() && seconds >= 0)
    return std::chrono::seconds(seconds);
  return std::chrono::milliseconds(-1);
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
    for (auto& header : trace::parse_otel_key_values(v))
      options.headers.push_back(std::move(header));
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
  return {.exported_spans = exported_.load(),
          .failed_spans = failed_.load(),
          .requests = requests_.load(),
          .retries = retries_.load(),
          .last_status = last_status_.load(),
          .connections = client_.connections_opened()};
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
               ? trace::encode_otlp_json_string(spans, resource, scope)
               : trace::encode_otlp_protobuf(spans, resource, scope);
  } catch (...) {
    failed_.fetch_add(spans.size());
    return ExportResult::failure;
  }
  return export_body(std::move(body), spans.size());
}

ExportResult OtlpHttpExporter::export_traces(const TracesData& traces) noexcept {
  std::string body;
  try {
    body = options_.protocol == OtlpProtocol::http_json ? trace::encode_otlp_json_string(traces)
                                                        : trace::encode_otlp_protobuf(traces);
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
    FetchRequest request{
        .method = "POST",
        .url = options_.endpoint,
        .headers = {{"User-Agent", "glassbox-otlp/0.1.0"}, {"Content-Type", content_type_}},
        .timeout = options_.timeout,
        .max_response_bytes = 1024 * 1024,
        .verify_peer = options_.verify_tls};
    for (const auto& header : options_.headers) request.headers.push_back(header);
    std::optional<std::string> compressed = options_.gzip ? gzip(raw_body) : std::nullopt;
    if (compressed) {
      request.body = std::move(*compressed);
      request.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      request.body = raw_body;
    }
    FetchResponse response = client_.fetch(request);
    out.status = response.status;
    out.retry_after = retry_after(response.header("retry-after"));
    if (out.status < 200 || out.status >= 300) {
      std::string_view body = response.body;
      out.error = "HTTP " + std::to_string(out.status) + ": " + std::string(body.substr(0, 200));
    }
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

}  // namespace glassbox::transport
