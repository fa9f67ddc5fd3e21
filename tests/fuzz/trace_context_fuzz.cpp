// W3C traceparent / tracestate from request _meta. Invariant: what parses formats back to the
// same traceparent (after lowercasing nothing: the parser accepts only lowercase).
#include "glassbox/trace/context.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t bar = input.find('|');
  std::string_view traceparent = input.substr(0, bar);
  std::string_view tracestate =
      bar == std::string_view::npos ? std::string_view() : input.substr(bar + 1);
  if (auto ctx = trace::parse_traceparent(traceparent, tracestate)) {
    if (!ctx->is_valid()) std::abort();
    if (traceparent.substr(0, 2) == "00" && trace::format_traceparent(*ctx) != traceparent)
      std::abort();
  }
  return 0;
}
