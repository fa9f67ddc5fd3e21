// Spare text buffers, kept by each thread: a large text made on every call (passback's curated
// spans, 2 kB and more, carried in the answer as jsonrpc::RawText) is written into the room of one
// that was given back, instead of a large malloc and free per call (glibc sorts its free lists
// first on every request over 1 kB).
//
// Threads: each thread keeps its own spares. A text may be given back on another thread than the
// one that took it: it then serves that thread.
#pragma once

#include <cstddef>
#include <string>

namespace glassbox::json {

// A string with room for at least `capacity` bytes, a spare one when this thread has one: its
// bytes are what it held before, to be written over (a writer that sizes it to its capacity
// then zero-fills only the room past them).
std::string take_spare_text(std::size_t capacity);

// Keeps the room of `text` for a later take_spare_text on this thread (four, each between 1 kB
// and 64 kB: 256 kB a thread at most); a smaller or larger one, or one more, is freed.
void give_back_spare_text(std::string&& text) noexcept;

}  // namespace glassbox::json
