// stdio transports: newline-delimited JSON-RPC over a pair of file descriptors.
//
// Threads: the thread that reads a message delivers it, and the session runs a request right
// there (callbacks_may_block() is true): when a callback runs past 1 ms, or calls will_block(),
// another thread takes over reading, so callbacks may then overlap (not with ordered_delivery).
// A lone caller waiting for an answer reads it itself (read_on_caller): after such an answer the
// reader thread stands by, waking once a handoff_after tick (it resumes reading after a tick
// without a caller, and hands reading over when a caller's delivery runs past a tick), so
// sequential calls hand nothing to another thread.
// send() takes a mutex and writes the whole line (a slow reader on the other side blocks senders,
// never the reading); answers sent while a batch of messages read together is delivered leave in
// one write, requests sent meanwhile four to a write (the peer starts on them while it runs).
// Lines are read by a jsonrpc::EnvelopeReader as they arrive: telemetry (`_meta.otel`) over
// max_message_bytes or nested too deep is dropped while read and the rest delivered; a line whose
// other content is over max_message_bytes is discarded (memory stays bounded) and answered with
// -32600, bad JSON with -32700; a broken answer also fails its call at once (envelope.hpp).
// The connection lives on. End of input closes the transport.
// The reader waits for input in read() alone, as `cat` does (no poll per message): close() then
// runs on_close at once on a thread of its own, and that read, when input or its end comes,
// drops what it got. It reads a duplicate of read_fd (made at construction), so the caller may
// close read_fd once on_close has run; the duplicate goes when that read returns. A caller's
// timed read (read_on_caller) polls.
#pragma once

#include "glassbox/jsonrpc/framing.hpp"
#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::transport {

struct StdioOptions {
  int read_fd = 0;
  int write_fd = 1;
  std::size_t max_message_bytes = jsonrpc::kDefaultMaxMessageBytes;
  // One delivery at a time, strictly in arrival order: no second reader takes over behind a slow
  // callback (callbacks_may_block() is false). For a relay such as a proxy, whose callbacks
  // forward at once and must keep order (progress before the response it precedes).
  bool ordered_delivery = false;
  // A callback that runs longer than this hands reading to another thread (so a slow handler
  // never delays a ping); will_block() hands it over at once. Short enough that a message behind
  // a slow handler waits a millisecond or so, long enough that a quick one never pays a hand-off.
  std::chrono::microseconds handoff_after{1000};
};

// The server side: this process's stdin/stdout (or any two descriptors).
std::shared_ptr<Transport> make_stdio_transport(StdioOptions options = {});

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  std::size_t max_message_bytes = jsonrpc::kDefaultMaxMessageBytes;
  bool inherit_stderr = true;  // the child's stderr is its log (MCP stdio): pass it through
  // Variables set in the child's environment, over this process's own (which it inherits).
  std::vector<std::pair<std::string, std::string>> env{};
  bool ordered_delivery = false;  // as StdioOptions::ordered_delivery
  // close() closes the child's stdin, waits this long, then SIGTERM, then SIGKILL (MCP spec order).
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(2);
};

// The client side: starts a child process and talks to it over its stdin/stdout. Throws
// std::system_error when the process cannot be started. close() ends the child cleanly.
std::shared_ptr<Transport> spawn_process(ProcessOptions options);

}  // namespace glassbox::transport
