// The client's reading of a peer's messages (jsonrpc::EnvelopeReader): the bytes of one message
// fed in three chunks split where the input says, with small bounds so that fuzzing-size inputs
// cross them (telemetry over 256 bytes or 6 levels dropped, 2 KiB kept).
// Invariants: no crash and no exception; chunking changes nothing (the same message, the same
// refusal); what the reader keeps never exceeds its bounds; a message within the bounds and
// without dropped telemetry reads exactly as jsonrpc::parse reads it; a broken answer becomes an
// error only together with a refusal.
#include "glassbox/jsonrpc/envelope.hpp"

#include <cstdlib>
#include <string>

namespace {

using namespace glassbox;

std::string describe(const jsonrpc::Received& r) {
  std::string out = r.message ? jsonrpc::serialize(*r.message) : "-";
  out += '|';
  out += r.reply ? jsonrpc::serialize(*r.reply) : "-";
  out += '|' + r.dropped;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const jsonrpc::EnvelopeLimits limits{.max_message_bytes = 2048,
                                       .max_telemetry_bytes = 256,
                                       .max_telemetry_depth = 6,
                                       .max_depth = 64};
  std::size_t a = data[0] % (size - 1);
  std::size_t b = a + data[1] % (size - 1 - a + 1);
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  a = std::min(a, text.size());
  b = std::min(std::max(a, b), text.size());

  jsonrpc::Received whole = jsonrpc::EnvelopeReader::read(text, limits);
  jsonrpc::EnvelopeReader reader(limits);
  reader.feed(text.substr(0, a));
  reader.feed(text.substr(a, b - a));
  reader.feed(text.substr(b));
  jsonrpc::Received chunked = reader.finish();
  if (describe(whole) != describe(chunked)) std::abort();

  // The same reader reads the next message from a clean state.
  reader.feed(R"({"jsonrpc":"2.0","id":1,"result":{}})");
  jsonrpc::Received next = reader.finish();
  if (!next.message || next.reply) std::abort();

  if (whole.message && std::holds_alternative<jsonrpc::ErrorResponse>(*whole.message) &&
      !whole.reply && whole.dropped.empty()) {
    // A delivered error must be the peer's own, readable as such.
    jsonrpc::ParseResult direct = jsonrpc::parse(text);
    if (!direct.message) std::abort();
  }
  if (whole.message && !whole.reply && whole.dropped.empty() && text.size() <= 2048) {
    jsonrpc::ParseResult direct = jsonrpc::parse(text);
    if (!direct.message) std::abort();
    if (jsonrpc::serialize(*direct.message) != jsonrpc::serialize(*whole.message)) std::abort();
  }
  if (whole.message && !whole.reply &&
      jsonrpc::serialize(*whole.message).size() > 2048 + 256 + 4096) {
    std::abort();  // kept bytes are bounded (plus the size of a drop's note)
  }
  return 0;
}
