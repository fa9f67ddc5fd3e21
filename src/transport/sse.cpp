// SSE parsing follows the WHATWG event stream interpretation: lines end with CRLF, LF or CR;
// a blank line dispatches; an event with empty data is not dispatched but its id still counts.
#include "transport/sse.hpp"

#include <charconv>
#include <cstring>

namespace glassbox::transport::sse {

namespace {

// The first CR or LF at or after `from`, or npos. Two vectorized scans (LF, then CR before it):
// string_view::find_first_of calls memchr once per byte, 65k instructions for the 2.3 KB answer
// of a passback call.
std::size_t find_line_end(std::string_view text, std::size_t from = 0) {
  if (from >= text.size()) return std::string_view::npos;
  const char* begin = text.data() + from;
  std::size_t size = text.size() - from;
  const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', size));
  const auto* cr = static_cast<const char*>(
      std::memchr(begin, '\r', lf ? static_cast<std::size_t>(lf - begin) : size));
  const char* end = cr ? cr : lf;
  return end ? static_cast<std::size_t>(end - text.data()) : std::string_view::npos;
}

}  // namespace

bool Parser::feed(std::string_view chunk, const std::function<void(Event&&)>& on_event) {
  if (failed_) return false;
  if (!bom_checked_) {
    // A UTF-8 BOM may start the stream; it can arrive split, so wait for three bytes.
    std::string_view bom = "\xEF\xBB\xBF";
    std::string probe = line_ + std::string(chunk.substr(0, 3));
    if (probe.size() < 3 && bom.substr(0, probe.size()) == probe) {
      line_ = probe;
      return true;
    }
    bom_checked_ = true;
    if (probe.compare(0, 3, bom) == 0) {
      std::size_t from_chunk = 3 - line_.size();
      line_.clear();
      chunk.remove_prefix(from_chunk);
    }
  }
  while (!chunk.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (chunk.front() == '\n') {
        chunk.remove_prefix(1);
        continue;
      }
    }
    std::size_t end = find_line_end(chunk);
    if (end == std::string_view::npos) {
      if (line_.size() + chunk.size() > max_) {
        failed_ = true;
        return false;
      }
      line_.append(chunk);
      return true;
    }
    bool ok;
    if (line_.empty()) {
      ok = process_line(chunk.substr(0, end), on_event);
    } else {
      if (line_.size() + end > max_) {
        failed_ = true;
        return false;
      }
      line_.append(chunk.substr(0, end));
      std::string line = std::move(line_);
      line_.clear();
      ok = process_line(line, on_event);
    }
    if (!ok) {
      failed_ = true;
      return false;
    }
    if (chunk[end] == '\r') {
      if (end + 1 < chunk.size()) {
        if (chunk[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    chunk.remove_prefix(end + 1);
  }
  return true;
}

bool Parser::process_line(std::string_view line, const std::function<void(Event&&)>& on_event) {
  if (line.empty()) {
    if (!has_data_) {
      type_.clear();
      return true;
    }
    Event event;
    event.type = type_.empty() ? "message" : std::move(type_);
    event.data = std::move(data_);
    if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
    event.id = last_event_id_;
    data_.clear();
    type_.clear();
    has_data_ = false;
    if (on_event) on_event(std::move(event));
    return true;
  }
  if (line.front() == ':') return true;  // comment
  std::string_view field = line;
  std::string_view value;
  if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_) return false;
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    if (value.size() > max_) return false;
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() <= 9;
    for (char c : value) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      long ms = 0;
      std::from_chars(value.data(), value.data() + value.size(), ms);
      retry_ = std::chrono::milliseconds(ms);
    }
  }
  return true;  // unknown fields are ignored
}

std::string format_event(std::string_view data, std::string_view id,
                         std::optional<std::chrono::milliseconds> retry, std::string_view type) {
  std::string out;
  out.reserve(data.size() + id.size() + 32);
  append_event(out, data, id, retry, type);
  return out;
}

void append_event(std::string& out, std::string_view data, std::string_view id,
                  std::optional<std::chrono::milliseconds> retry, std::string_view type) {
  if (!type.empty()) {
    out += "event: ";
    out += type;
    out += '\n';
  }
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  if (retry) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, retry->count()).ptr;
    out += "retry: ";
    out.append(digits, end);
    out += '\n';
  }
  // Each line of the payload is its own data: field (JSON from serialize() has none, but a
  // caller's text may).
  std::size_t start = 0;
  while (true) {
    std::size_t nl = find_line_end(data, start);
    out += "data: ";
    out += data.substr(start, nl == std::string_view::npos ? data.size() - start : nl - start);
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
    if (data[nl] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out += '\n';
}

std::string format_line_event(std::string_view id, std::initializer_list<std::string_view> pieces) {
  constexpr std::string_view kId = "id: ", kData = "data: ", kEnd = "\n\n";
  std::size_t size = kData.size() + kEnd.size() + (id.empty() ? 0 : kId.size() + id.size() + 1);
  for (std::string_view piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  if (!id.empty()) out.append(kId).append(id).append(1, '\n');
  out.append(kData);
  for (std::string_view piece : pieces) out.append(piece);
  out.append(kEnd);
  return out;
}

std::string format_priming_event(std::string_view id, std::chrono::milliseconds retry) {
  return format_event({}, id, retry);
}

void append_priming_event(std::string& out, std::string_view id, std::chrono::milliseconds retry) {
  append_event(out, {}, id, retry);
}

}  // namespace glassbox::transport::sse
