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
// Sets `out`, an empty string without storage of its own, to `text`: in the string's own small
// buffer when it fits (inline: most keys and values do), else in the storage of a key or value
// string given back with its span (an attribute key such as "gen_ai.operation.name" costs an
// allocation per span otherwise).
void assign_long(std::string& out, std::string_view text);
inline void assign(std::string& out, std::string_view text) {
  if (text.size() <= std::string().capacity()) {
    out.append(text.data(), text.size());  // into an empty string: the shortest path there is
  } else {
    assign_long(out, text);
  }
}
// Keeps the storage of spans no longer needed (their attribute lists and the vector itself)
// and leaves `spans` empty.
void give_back(std::vector<SpanData>& spans);
// The same for a recorder's list of spans kept where they ended: `spans` (whose spans are
// given back on their own) is left empty, its room kept.
void give_room(std::vector<SpanData*>& spans);
void give_back(std::vector<SpanData*>& spans);
// Keeps the storage of the longer keys and values of `attributes` (a span's State made ready
// for the next span: its list stays with it), leaving them empty strings.
void give_back_strings(Attributes& attributes);

}  // namespace glassbox::trace::span_pool
