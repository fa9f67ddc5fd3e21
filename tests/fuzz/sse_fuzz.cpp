// Server-Sent Events as the Streamable HTTP client reads them. Invariant: no crash, and no
// event larger than the parser's limit is ever delivered.
#include "transport/sse.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox::transport;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kLimit = 2048;
  sse::Parser parser(kLimit);
  std::size_t chunk = input.empty() ? 1 : 1 + static_cast<unsigned char>(input[0]) % 32;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    bool ok = parser.feed(input.substr(i, chunk), [](sse::Event&& e) {
      if (e.data.size() > kLimit) std::abort();
    });
    if (!ok) break;
  }
  return 0;
}
