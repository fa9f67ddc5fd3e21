// An in-memory transport pair for tests: what one side sends, the other receives, serialized
// and parsed as on a real wire (so wire shapes are exercised), without pipes or sockets.
// Each side has its own delivery thread; send() is thread-safe; close() on either side closes both.
#pragma once

#include "glassbox/transport/transport.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace glassbox::transport {

struct MemoryPairOptions {
  // Sees every line that crosses, from either side ('>' client to server, '<' server to client);
  // golden transcripts record it. Called on the sender's thread.
  std::function<void(char direction, const std::string& line)> tap;
};

// first: the client end, second: the server end.
std::pair<std::shared_ptr<Transport>, std::shared_ptr<Transport>> make_memory_pair(
    MemoryPairOptions options = {});

}  // namespace glassbox::transport
