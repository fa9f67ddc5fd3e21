// OTLP JSON as it arrives in passback (client ingest) and at the collector. Invariants: no
// crash; what decodes re-encodes to JSON that decodes to the same spans.
#include "glassbox/trace/otlp.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  trace::OtlpDecodeLimits limits;
  auto decoded = trace::decode_otlp_json(input, limits);
  if (!decoded) return 0;
  json::object again = trace::encode_otlp_json(*decoded);
  auto redecoded = trace::decode_otlp_json(json::value(again), limits);
  if (!redecoded) std::abort();
  return 0;
}
