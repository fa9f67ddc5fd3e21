// A single pass over the bytes that tracks only what the bounds need: nesting, strings, the keys
// of the first few levels (to find the telemetry paths and the id), and which top-level members
// are present. It never recurses, so nesting of any depth costs one counter.
#include "glassbox/jsonrpc/envelope.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace glassbox::jsonrpc {

namespace {

std::optional<Id> id_from_text(std::string_view raw) {
  std::optional<json::value> v = json::parse(raw);
  if (!v) return std::nullopt;
  if (v->is_int64()) return Id{v->get_int64()};
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return Id{static_cast<std::int64_t>(v->get_uint64())};
  if (v->is_string()) return Id{std::string(v->get_string())};
  return std::nullopt;
}

// The end of the run of string bytes from `i`: the next '"' or '\\', or the end of `bytes`.
// Eight bytes a step while eight remain (most strings end inside their first word): a byte of
// the word is one of the two when the word XOR that byte repeated has a zero byte there, and
// the lowest flagged byte is exactly the first such one (a borrow only flags bytes above a
// zero byte). Then byte by byte.
std::size_t string_run(std::string_view bytes, std::size_t i) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  constexpr std::uint64_t kQuotes = kOnes * '"';
  constexpr std::uint64_t kBackslashes = kOnes * '\\';
  const std::size_t n = bytes.size();
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= n; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes.data() + i, 8);
      std::uint64_t q = word ^ kQuotes;
      std::uint64_t b = word ^ kBackslashes;
      std::uint64_t found = (((q - kOnes) & ~q) | ((b - kOnes) & ~b)) & kHighs;
      if (found != 0) return i + static_cast<std::size_t>(std::countr_zero(found) / 8);
    }
  }
  while (i < n && bytes[i] != '"' && bytes[i] != '\\') ++i;
  return i;
}

std::string too_large_reason(std::size_t max_bytes) {
  return "exceeds the bound of " + std::to_string(max_bytes) + " bytes";
}

}  // namespace

Received EnvelopeReader::read(std::string_view text, const EnvelopeLimits& limits) {
  EnvelopeReader reader(limits);
  reader.feed(text);
  return reader.finish();
}

EnvelopeReader::Key EnvelopeReader::key_of(std::string_view text) {
  switch (text.size()) {
    case 2:
      if (text == "id") return Key::id;
      break;
    case 4:
      if (text == "otel") return Key::otel;
      if (text == "data") return Key::data;
      break;
    case 5:
      if (text == "_meta") return Key::meta;
      if (text == "error") return Key::error;
      break;
    case 6:
      if (text == "method") return Key::method;
      if (text == "result") return Key::result;
      if (text == "params") return Key::params;
      break;
    default:
      break;
  }
  return Key::other;
}

// result._meta.otel, params._meta.otel, error.data._meta.otel (depth_ is 3 or 4).
bool EnvelopeReader::telemetry_path() const {
  if (key_[depth_] != Key::otel) return false;  // every path ends there: most values stop here
  if (!is_object_[1] || !is_object_[2] || !is_object_[3]) return false;
  if (depth_ == 3)
    return (key_[1] == Key::result || key_[1] == Key::params) && key_[2] == Key::meta;
  return is_object_[4] && key_[1] == Key::error && key_[2] == Key::data && key_[3] == Key::meta;
}

void EnvelopeReader::value_starts(std::size_t at, char first) {
  if (depth_ == 1 && is_object_[1] && key_[1] == Key::id) {
    id_raw_.clear();
    id_valid_ = first != '{' && first != '[';
    id_capture_ = id_valid_;
  }
  if (!region_ && depth_ >= 3 && depth_ <= kPathDepth && telemetry_path()) {
    flush(at);
    region_ = true;
    region_depth_ = depth_;
    region_begin_ = base_ + at;
    region_kept_ = kept_.size();
  }
}

bool EnvelopeReader::flush(std::size_t upto) {
  if (overflow_ || dropping_) {
    mark_ = upto;
    return !overflow_;
  }
  std::size_t after = kept_.size() + (upto - mark_);
  std::size_t telemetry = telemetry_kept_ + (region_ ? after - region_kept_ : 0);
  if (after - telemetry > limits_.max_message_bytes) {
    overflow_ = true;
    kept_.clear();
    kept_.shrink_to_fit();
    mark_ = upto;
    return false;
  }
  kept_.append(in_.data() + mark_, upto - mark_);
  mark_ = upto;
  return true;
}

void EnvelopeReader::drop(std::size_t at, std::string reason) {
  if (!overflow_) kept_.resize(region_kept_);
  mark_ = at;
  dropping_ = true;
  drop_reason_ = std::move(reason);
}

void EnvelopeReader::end_region(std::size_t at) {
  if (!dropping_ && base_ + at - region_begin_ > limits_.max_telemetry_bytes) {
    // Over the bound by bytes not checked on the way (a long number, whitespace).
    drop(at, too_large_reason(limits_.max_telemetry_bytes));
  }
  if (dropping_) {
    mark_ = at;  // the delimiter that ends the value is kept
    dropping_ = false;
    const std::size_t size = base_ + at - region_begin_;
    // A value over both bounds: which one the reader met first depends on where the bytes were
    // split, so the size decides, and the reason is the same however the message arrived.
    if (size > limits_.max_telemetry_bytes)
      drop_reason_ = too_large_reason(limits_.max_telemetry_bytes);
    std::string why =
        "telemetry of " + std::to_string(size) + " bytes " + drop_reason_ + "; dropped while read";
    if (!overflow_) {
      kept_ += R"({"traces":{")";
      kept_ += kDiscardedKey;
      kept_ += R"(":)";
      kept_ += json::serialize(json::string(why));
      kept_ += "}}";
    }
    if (!dropped_.empty()) dropped_ += "; ";
    dropped_ += why;
  } else if (flush(at)) {
    telemetry_kept_ += kept_.size() - region_kept_;
  }
  region_ = false;
}

void EnvelopeReader::feed(std::string_view bytes) {
  in_ = bytes;
  mark_ = 0;
  const std::size_t n = bytes.size();
  auto capture_id = [&](std::string_view s) {
    if (!id_capture_) return;
    if (id_raw_.size() + s.size() > kMaxId) {
      id_valid_ = id_capture_ = false;
      return;
    }
    id_raw_.append(s);
  };
  // value_starts has work only for an id (depth 1) and where a telemetry path may begin.
  auto starts = [&](std::size_t at, char first) {
    if (depth_ == 1 || (!region_ && depth_ >= 3 && depth_ <= kPathDepth)) value_starts(at, first);
  };
  auto telemetry_too_large = [&](std::size_t at) {
    return region_ && !dropping_ && base_ + at - region_begin_ > limits_.max_telemetry_bytes;
  };
  std::size_t i = 0;
  while (i < n) {
    if (in_string_) {
      if (escape_) {
        escape_ = false;
        // An escaped key is no path's key (see below): its size is over kMaxKey already.
        capture_id(bytes.substr(i, 1));
        ++i;
        continue;
      }
      std::size_t j = string_run(bytes, i);
      if (key_string_ && key_size_ <= kMaxKey) {
        if (j - i <= kMaxKey - key_size_) {
          // A whole word where the chunk has one (one move, no call): the bytes past the key
          // land in key_text_'s slack and are never read.
          if (n - i >= 8) {
            std::memcpy(key_text_.data() + key_size_, bytes.data() + i, 8);
          } else {
            std::memcpy(key_text_.data() + key_size_, bytes.data() + i, j - i);
          }
          key_size_ += j - i;
        } else {
          key_size_ = kMaxKey + 1;  // longer than any key of a path
        }
      }
      capture_id(bytes.substr(i, j - i));
      if (telemetry_too_large(j)) drop(j, too_large_reason(limits_.max_telemetry_bytes));
      i = j;
      if (i == n) break;
      capture_id(bytes.substr(i, 1));
      if (bytes[i] == '\\') {
        // An escaped key never matches a path: "\u005fmeta" is not recognised, so telemetry
        // hidden that way counts against max_message_bytes instead.
        if (key_string_) key_size_ = kMaxKey + 1;
        escape_ = true;
      } else {
        in_string_ = false;
        if (key_string_) {
          key_string_ = false;
          key_[depth_] = key_size_ > kMaxKey ? Key::other : key_of({key_text_.data(), key_size_});
          if (depth_ == 1) {
            has_method_ |= key_[1] == Key::method;
            has_result_ |= key_[1] == Key::result;
            has_error_ |= key_[1] == Key::error;
          }
        }
      }
      ++i;
      continue;
    }
    char c = bytes[i];
    switch (c) {
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        in_literal_ = false;
        break;
      case '"':
        in_literal_ = false;
        any_ = true;
        if (depth_ >= 1 && depth_ <= kPathDepth && is_object_[depth_] && expect_key_[depth_]) {
          key_string_ = true;
          key_size_ = 0;
        } else {
          starts(i, c);
          capture_id(bytes.substr(i, 1));
        }
        in_string_ = true;
        break;
      case '{':
      case '[':
        in_literal_ = false;
        any_ = true;
        starts(i, c);
        ++depth_;
        if (depth_ <= kPathDepth) {
          is_object_[depth_] = c == '{';
          expect_key_[depth_] = c == '{';
          key_[depth_] = Key::other;
        }
        if (region_ && !dropping_ && depth_ - region_depth_ > limits_.max_telemetry_depth) {
          drop(i,
               "is nested deeper than " + std::to_string(limits_.max_telemetry_depth) + " levels");
        }
        break;
      case '}':
      case ']':
      case ',':
        in_literal_ = false;
        any_ = true;
        if (region_ && depth_ == region_depth_) end_region(i);
        if (depth_ == 1) id_capture_ = false;
        if (c == ',') {
          if (depth_ >= 1 && depth_ <= kPathDepth && is_object_[depth_]) expect_key_[depth_] = true;
        } else if (depth_ > 0) {
          --depth_;
        }
        break;
      case ':':
        in_literal_ = false;
        if (depth_ >= 1 && depth_ <= kPathDepth && is_object_[depth_]) expect_key_[depth_] = false;
        break;
      default:
        any_ = true;
        if (!in_literal_) {
          in_literal_ = true;
          starts(i, c);
        }
        capture_id(bytes.substr(i, 1));
        break;
    }
    ++i;
  }
  if (telemetry_too_large(n)) drop(n, too_large_reason(limits_.max_telemetry_bytes));
  flush(n);
  base_ += n;
  total_ = base_;
  in_ = {};
}

Received EnvelopeReader::finish() {
  Received out;
  if (!any_) {
    reset();
    return out;
  }
  // An answer: the call waiting for it learns at once that it will not come.
  bool answer = !has_method_ && (has_result_ || has_error_);
  auto refuse = [&](ErrorResponse e) {
    // The id read while scanning is parsed only here: a message that parses carries its own.
    std::optional<Id> id = id_valid_ && !id_raw_.empty() ? id_from_text(id_raw_) : std::nullopt;
    std::optional<Id> for_call = id ? id : e.id;
    if (answer && for_call) {
      out.message = ErrorResponse{
          for_call, Error{e.error.code, "invalid response: " + e.error.message, nullptr}};
    }
    out.reply = std::move(e);
  };
  if (overflow_) {
    refuse(ErrorResponse{std::nullopt,
                         {error_code::kInvalidRequest,
                          "message of " + std::to_string(total_) + " bytes exceeds the limit of " +
                              std::to_string(limits_.max_message_bytes) + " bytes",
                          nullptr}});
  } else {
    ParseResult parsed = jsonrpc::parse(kept_, json::ParseLimits{.max_depth = limits_.max_depth});
    if (parsed.message) {
      out.message = std::move(parsed.message);
    } else {
      refuse(std::move(*parsed.error));
    }
  }
  out.dropped = std::move(dropped_);
  reset();
  return out;
}

// Member by member (every member but limits_), the strings keeping their room: a fresh reader
// assigned over this one cost as much as reading a short message's structure.
void EnvelopeReader::reset() {
  in_ = {};
  base_ = mark_ = total_ = 0;
  kept_.clear();
  if (kept_.capacity() > limits_.max_message_bytes / 4) kept_.shrink_to_fit();
  telemetry_kept_ = 0;
  any_ = overflow_ = false;
  depth_ = 0;
  in_string_ = escape_ = in_literal_ = false;
  is_object_ = {};
  expect_key_ = {};
  key_ = {};
  key_string_ = false;
  key_size_ = 0;
  has_method_ = has_result_ = has_error_ = false;
  id_capture_ = false;
  id_valid_ = true;
  id_raw_.clear();
  region_ = dropping_ = false;
  region_depth_ = region_begin_ = region_kept_ = 0;
  drop_reason_.clear();
  dropped_.clear();
}

}  // namespace glassbox::jsonrpc
