// The embedded collector's OTLP/HTTP ingest (apps/collector): the first byte picks the
// Content-Type and Content-Encoding, the rest is the body, and it goes through
// collector::decode_export_request (media type, gzip/deflate inflation under its bound, the
// bounded JSON or protobuf decoder) and, when it decodes, into an in-memory TraceStore and back
// out of it as the viewer reads it. One mode compresses the body here first, so that mutations
// of the OTLP payload also travel the inflate path.
// Invariants: no crash; the status is 200, 400 or 415, and 200 exactly when spans decoded; the
// store takes what decoded and serves every trace it holds.
#include "collector.hpp"
#include "support/compress.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  if (size == 0) return 0;
  static const char* const kTypes[] = {"application/json",
                                       "application/x-protobuf",
                                       "application/protobuf; charset=binary",
                                       "Application/JSON; charset=utf-8",
                                       "text/plain",
                                       ""};
  static const char* const kEncodings[] = {"", "identity", "gzip", "deflate", "br", "GZIP"};
  std::uint8_t selector = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view type = kTypes[selector % 6];
  std::string_view encoding = kEncodings[(selector / 6) % 6];
  std::string compressed;
  if (selector >= 216) {  // compressed here: gzip or zlib framing, then inflated by the collector
    bool gzip = selector % 2 == 0;
    compressed = glassbox::testing::compress(body, gzip ? 15 + 16 : 15, Z_BEST_SPEED);
    body = compressed;
    encoding = gzip ? "gzip" : "deflate";
  }

  collector::CollectorOptions options;
  options.max_inflated_bytes = 256 * 1024;
  options.decode_limits = {.max_bytes = 256 * 1024, .max_spans = 256};
  collector::ExportDecodeResult result =
      collector::decode_export_request(type, encoding, body, options);
  if (result.status != 200 && result.status != 400 && result.status != 415) std::abort();
  if ((result.status == 200) != result.traces.has_value()) std::abort();
  if (result.status != 200 && result.reason.empty()) std::abort();
  if (!result.traces) return 0;

  static collector::TraceStore store({.path = ":memory:", .max_traces = 8});
  store.insert(*result.traces);
  for (const auto& summary : store.recent(8)) {
    if (!store.trace_json(summary.trace_id)) std::abort();
  }
  return 0;
}
