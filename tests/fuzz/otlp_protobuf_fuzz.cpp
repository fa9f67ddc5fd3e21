// OTLP protobuf (ExportTraceServiceRequest) as the collector receives it. Invariants: no crash;
// what decodes re-encodes to bytes that decode again.
#include "glassbox/trace/otlp.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = trace::decode_otlp_protobuf(input);
  if (!decoded) return 0;
  if (!trace::decode_otlp_protobuf(trace::encode_otlp_protobuf(*decoded))) std::abort();
  return 0;
}
