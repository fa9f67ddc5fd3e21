// serialize() appending to a caller's buffer: a transport that keeps a buffer per thread pays no
// allocation per message (stdio's answers). Defined in message.cpp.
//
// Threads: any; `out` is the caller's.
#pragma once

#include "glassbox/jsonrpc/message.hpp"

#include <string>

namespace glassbox::jsonrpc {

// Appends the text serialize(m) returns to `out`.
void serialize_append(std::string& out, const Message& m);

}  // namespace glassbox::jsonrpc
