// A JSON tree written as text at the end of a string, byte for byte what boost::json::serialize
// writes (the wire shapes tests compare depend on it), without its serializer: the serializer is
// a resumable state machine that pays for being able to stop anywhere, about 80 instructions a
// string and as much for every member, where a message is written whole into a string that grows.
//
// Threads: none of its own; `out` and `v` are the caller's.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace glassbox::json {

// Appends `v` as compact JSON, as boost::json::serialize does: strings escaped the same way
// (`"`, `\`, and control characters only; other bytes as they are), numbers in the same form.
void append_text(std::string& out, const boost::json::value& v);

// Appends `text` as a JSON string, quotes included, escaped as append_text escapes.
void append_quoted_text(std::string& out, std::string_view text);

}  // namespace glassbox::json
