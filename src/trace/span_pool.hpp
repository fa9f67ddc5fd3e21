// Storage each thread keeps for the next request's spans: the recorder's span vector, the
// spans' attribute lists and their longer key and value strings, given back once a request's spans
// have been curated. A passback call otherwise allocates both anew for every request (and frees
// them after its answer). Private to src/trace; defined in tracer.cpp.
//
// Threads: each thread has its own pool; what one thread gives back, it alone takes again.
#pragma once

#include "glassbox/trace/span_data.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace::span_pool {

// Gives `spans`, an empty vector without room, room for a request's spans.
void give_room(std::vector<SpanData>& spans);
// Gives `attributes`, an empty list without room, room for a span's attributes (swapped in
// where it stays: no list moved and destroyed on the way).
void give_room(Attributes& attributes);
// A string holding `text`: the storage of a key or value string given back with its span when
// `text` is too long for the string's own small buffer (an attribute key such as
// "gen_ai.operation.name" costs an allocation per span otherwise).
std::string string(std::string_view text);
// Keeps the storage of spans no longer needed (their attribute lists and the vector itself)
// and leaves `spans` empty.
void give_back(std::vector<SpanData>& spans);

}  // namespace glassbox::trace::span_pool
