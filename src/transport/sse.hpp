// Server-Sent Events (WHATWG HTML, "Server-sent events"): an incremental parser for the client
// side and the formatting of events for the server side. The parser reads untrusted network
// bytes: memory is bounded by max_event_bytes, and it never throws on any input.
// Not thread-safe: one reader owns a parser.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace glassbox::transport::sse {

struct Event {
  std::string type = "message";  // the `event:` field, "message" when absent
  std::string data;              // `data:` lines joined with '\n'
  std::string id;                // the last event id in force when the event was dispatched
};

class Parser {
 public:
  explicit Parser(std::size_t max_event_bytes = 4 * 1024 * 1024) : max_(max_event_bytes) {}

  // Feeds a chunk and calls on_event for each dispatched event. Returns false once an event
  // (or a single line) exceeds max_event_bytes: the stream is then unusable and must be dropped.
  bool feed(std::string_view chunk, const std::function<void(Event&&)>& on_event);

  // The `id:` in force (updated by events with empty data too, such as a priming event).
  const std::string& last_event_id() const { return last_event_id_; }
  // The last `retry:` value seen, if any.
  std::optional<std::chrono::milliseconds> retry() const { return retry_; }

 private:
  bool process_line(std::string_view line, const std::function<void(Event&&)>& on_event);

  std::size_t max_;
  std::string line_;      // a line split across chunks
  bool skip_lf_ = false;  // the previous chunk ended with CR: a leading LF belongs to it
  bool bom_checked_ = false;
  bool failed_ = false;
  std::string data_;  // data buffer of the event being built
  bool has_data_ = false;
  std::string type_;
  std::string last_event_id_;
  std::optional<std::chrono::milliseconds> retry_;
};

// One event, ready to write. `data` may contain newlines (each line becomes a `data:` line).
// An empty id omits the field; retry adds a `retry:` field.
std::string format_event(std::string_view data, std::string_view id = {},
                         std::optional<std::chrono::milliseconds> retry = std::nullopt,
                         std::string_view type = {});
// The same bytes appended to `out` (which may already have room for them).
void append_event(std::string& out, std::string_view data, std::string_view id = {},
                  std::optional<std::chrono::milliseconds> retry = std::nullopt,
                  std::string_view type = {});

// format_event(data, id) where `data` is `pieces` joined and is one line (a serialized message:
// Boost.JSON escapes line ends in strings, and a raw member's text is one line, as stdio's
// framing already requires): the same bytes, made in one allocation of their exact size, each
// piece copied once and not scanned for line ends.
std::string format_line_event(std::string_view id, std::initializer_list<std::string_view> pieces);

// A priming event (SEP-1699): an id and empty data, so the client can resume from it.
std::string format_priming_event(std::string_view id, std::chrono::milliseconds retry);
void append_priming_event(std::string& out, std::string_view id, std::chrono::milliseconds retry);

// A comment line, ignored by parsers; keeps idle connections open through proxies.
inline std::string format_comment(std::string_view text) {
  return ": " + std::string(text) + "\n\n";
}

}  // namespace glassbox::transport::sse
