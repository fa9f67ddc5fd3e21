// Newline framing and JSON-RPC parsing, as the stdio transport runs them on untrusted bytes.
// Invariants: no crash, bounded memory, and every message that parses serializes to text that
// parses to the same message.
#include "glassbox/jsonrpc/framing.hpp"
#include "glassbox/jsonrpc/message.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace glassbox;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  jsonrpc::LineFramer framer(4096);
  // The first byte picks a chunk size, so that lines split across reads are exercised too.
  std::size_t chunk = input.empty() ? 1 : 1 + static_cast<unsigned char>(input[0]) % 64;
  auto on_line = [](std::string_view line) {
    jsonrpc::ParseResult parsed = jsonrpc::parse(line);
    if (!parsed.message) return;
    std::string again = jsonrpc::serialize(*parsed.message);
    jsonrpc::ParseResult reparsed = jsonrpc::parse(again);
    if (!reparsed.message || jsonrpc::serialize(*reparsed.message) != again) std::abort();
  };
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    framer.feed(input.substr(i, chunk), on_line, [](std::size_t) {});
    if (framer.pending_bytes() > 4096) std::abort();
  }
  return 0;
}
