// Reads one JSON-RPC message as its bytes arrive, with memory bounded whatever the peer sends.
//
// A peer's telemetry (`_meta.otel` of a result, of an error's data, or of params) is the one part
// of a message a receiver can do without. Over its own bounds (bytes, nesting) it is dropped
// while it is read, not after, and replaced by {"traces":{"glassbox.discarded":"<why>"}}: the
// rest of the message still arrives (passback rule C8), and the telemetry ingest reports why.
// A message that cannot be recovered (too large outside its telemetry, not JSON, nested too deep)
// is refused with the error that answers it; when it was an answer (result or error, no method)
// whose id can be read, that refusal is also delivered as an error for its id, so the call that
// waits for it fails at once instead of timing out.
//
// Not thread-safe: one reader owns an EnvelopeReader. It never throws on any input.
#pragma once

#include "glassbox/jsonrpc/framing.hpp"
#include "glassbox/jsonrpc/message.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glassbox::jsonrpc {

// The key that replaces dropped telemetry (inside `_meta.otel.traces`); its value says why.
inline constexpr std::string_view kDiscardedKey = "glassbox.discarded";

struct EnvelopeLimits {
  // Bytes kept of one message, its dropped telemetry excluded; over it the message is refused.
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  std::size_t max_telemetry_bytes = 4 * 1024 * 1024;  // one `_meta.otel` value
  // Nesting inside one `_meta.otel` value (OTLP JSON with attribute values nested 8 deep is 43).
  std::size_t max_telemetry_depth = 48;
  std::size_t max_depth = 64;  // nesting of what is kept, as json::ParseLimits
};

// What to do with one message read.
struct Received {
  std::optional<Message> message;      // deliver this (for a broken answer: an error for its id)
  std::optional<ErrorResponse> reply;  // answer the peer with this
  std::string dropped;                 // why telemetry was dropped while read; empty when none was
};

class EnvelopeReader {
 public:
  explicit EnvelopeReader(EnvelopeLimits limits = {}) : limits_(limits) {}

  // Feeds the next bytes of the current message.
  void feed(std::string_view bytes);
  // True when only whitespace (or nothing) was fed since the last finish().
  bool blank() const { return !any_; }
  std::size_t bytes_fed() const { return total_; }
  // Ends the current message and starts the next. Blank input yields an empty Received.
  Received finish();

  // One whole message.
  static Received read(std::string_view text, const EnvelopeLimits& limits = {});

 private:
  static constexpr std::size_t kPathDepth = 4;  // error.data._meta.otel is the deepest path
  // The keys the paths and the top level are made of, each read once as a code: what the
  // reader compares per value is a byte, not a string. Any other key is `other`.
  enum class Key : std::uint8_t { other, id, method, result, error, params, data, meta, otel };
  static constexpr std::size_t kMaxKey = 6;  // the longest of them ("method", "result", "params")
  static Key key_of(std::string_view text);
  static constexpr std::size_t kMaxId = 256;

  void value_starts(std::size_t at, char first);
  bool telemetry_path() const;
  void end_region(std::size_t at);
  void drop(std::size_t at, std::string reason);
  bool flush(std::size_t upto);  // appends in_[mark_, upto) unless dropping; false on overflow
  void reset();  // sets every member below limits_ as constructed: a new member goes there too

  EnvelopeLimits limits_;
  std::string_view in_;   // the chunk being fed
  std::size_t base_ = 0;  // offset of in_ in the message
  std::size_t mark_ = 0;  // bytes of in_ before this are kept or dropped already
  std::size_t total_ = 0;
  std::string kept_;
  std::size_t telemetry_kept_ = 0;  // bytes of kept_ that are telemetry within its bounds
  bool any_ = false;
  bool overflow_ = false;

  std::size_t depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool in_literal_ = false;
  std::array<bool, kPathDepth + 1> is_object_{};
  std::array<bool, kPathDepth + 1> expect_key_{};
  std::array<Key, kPathDepth + 1> key_{};  // the last key read at each depth
  bool key_string_ = false;                // the string being read is a key at depth_ <= kPathDepth
  // Its bytes so far (a key may be split between feeds); a size over kMaxKey is no path's key.
  std::array<char, kMaxKey + 8> key_text_{};  // and room for a word copied past its end
  std::size_t key_size_ = 0;

  bool has_method_ = false, has_result_ = false, has_error_ = false;
  bool id_capture_ = false;
  bool id_valid_ = true;
  std::string id_raw_;

  bool region_ = false;    // inside a telemetry value
  bool dropping_ = false;  // ...which is being dropped
  std::size_t region_depth_ = 0;
  std::size_t region_begin_ = 0;  // offset in the message
  std::size_t region_kept_ = 0;   // offset in kept_
  std::string drop_reason_;
  std::string dropped_;  // every drop of this message, for Received::dropped
};

}  // namespace glassbox::jsonrpc
