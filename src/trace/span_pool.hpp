// Storage each thread keeps for the next request's spans: the recorder's span vector and the
// spans' attribute lists, given back once a request's spans have been curated. A passback call
// otherwise allocates both anew for every request (and frees them after its answer). Private to
// src/trace; defined in tracer.cpp.
//
// Threads: each thread has its own pool; what one thread gives back, it alone takes again.
#pragma once

#include "glassbox/trace/span_data.hpp"

#include <vector>

namespace glassbox::trace::span_pool {

// An empty span vector with room for a request's spans.
std::vector<SpanData> spans();
// An empty attribute list with room for a span's attributes.
Attributes attributes();
// Keeps the storage of spans no longer needed (their attribute lists and the vector itself)
// and leaves `spans` empty.
void give_back(std::vector<SpanData>& spans);

}  // namespace glassbox::trace::span_pool
