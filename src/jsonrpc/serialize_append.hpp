// serialize() appending to a caller's buffer: a transport that keeps a buffer per thread pays no
// allocation per message (stdio's answers). Defined in message.cpp.
//
// Threads: any; `out` is the caller's.
#pragma once

#include "glassbox/jsonrpc/message.hpp"

#include <cstddef>
#include <string>

namespace glassbox::jsonrpc {

// Appends the text serialize(m) returns to `out`.
void serialize_append(std::string& out, const Message& m);

// The same without the text of a response's raw member (RawMember::json): returns the place in
// `out` where that text belongs, or SIZE_MAX when the message has none there (no raw member, or
// none spliced). For a transport that copies the line anyway (stdio's batches) or writes it in
// pieces: a passback answer's text, 2 kB and more, is then copied once, where the line goes.
std::size_t serialize_append_without_raw(std::string& out, const Message& m);

}  // namespace glassbox::jsonrpc
