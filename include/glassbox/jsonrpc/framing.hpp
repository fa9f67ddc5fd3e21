// Newline-delimited framing for stdio (MCP stdio transport: one JSON-RPC message per line, no
// embedded newlines). Not thread-safe: one reader owns a LineFramer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace glassbox::jsonrpc {

inline constexpr std::size_t kDefaultMaxMessageBytes = 4 * 1024 * 1024;

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_(max_message_bytes) {}

  // Feeds a chunk; calls on_line(std::string_view) for each complete line (without the newline
  // and a trailing '\r'; blank lines are skipped) and on_oversize(std::size_t bytes) once for a
  // line longer than the limit, whose bytes are discarded up to its newline: memory stays bounded.
  template <class OnLine, class OnOversize>
  void feed(std::string_view chunk, OnLine&& on_line, OnOversize&& on_oversize) {
    while (!chunk.empty()) {
      std::size_t nl = chunk.find('\n');
      std::string_view part = chunk.substr(0, nl);
      if (discarding_) {
        discarded_ += part.size();
      } else if (buffer_.size() + part.size() > max_) {
        discarding_ = true;
        discarded_ = buffer_.size() + part.size();
        buffer_.clear();
        buffer_.shrink_to_fit();
      } else if (nl != std::string_view::npos && buffer_.empty()) {
        emit(part, on_line);  // fast path: a whole line inside one chunk, no copy
      } else {
        buffer_.append(part);
      }
      if (nl == std::string_view::npos) return;
      if (discarding_) {
        on_oversize(discarded_);
        discarding_ = false;
        discarded_ = 0;
      } else if (!buffer_.empty()) {
        emit(buffer_, on_line);
        buffer_.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
  }

  // Bytes of an unfinished line held at end of input.
  std::size_t pending_bytes() const { return buffer_.size(); }
  std::string take_pending() { return std::exchange(buffer_, {}); }

 private:
  template <class OnLine>
  static void emit(std::string_view line, OnLine& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    on_line(line);
  }

  std::size_t max_;
  std::string buffer_;
  bool discarding_ = false;
  std::size_t discarded_ = 0;
};

}  // namespace glassbox::jsonrpc
