// The transport seam: how JSON-RPC messages enter and leave an MCP session.
//
// Contract (every implementation follows it, and its header repeats what is specific to it):
// - start() is called once, before any send(); it registers the callbacks and begins delivery.
// - Callbacks run on a thread the transport owns (its reader), one message at a time and in
//   arrival order. They must not block for long (the session hands real work to its own
//   workers), unless callbacks_may_block() says the transport keeps reading on another thread
//   meanwhile: then a callback that runs long lets later messages be delivered concurrently.
// - send() may be called from any thread, concurrently; each message is written whole.
//   After close() or on a broken connection it returns false and drops the message.
// - close() may be called from any thread, any number of times; on_close runs exactly once,
//   when no more messages will arrive (the peer ended its input, or this side closed). A stdio
//   transport whose input ended can still send until close(), so pending answers get out.
//   close() does not wait for the reader: callbacks may still run until on_close has returned,
//   so what they capture must outlive that (Session captures a weak_ptr to itself).
// - Malformed input is answered by the transport itself, by its own rules (stdio: a JSON-RPC
//   error line; HTTP: a 400 with a JSON-RPC error body); only well-formed messages reach
//   on_message.
#pragma once

#include "glassbox/jsonrpc/message.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace glassbox::transport {

// What arrived with a message besides the message itself. Per-message, not per-connection:
// HTTP carries the protocol version and session on every request, and the stateless protocol
// of 2026-07-28 carries them in each request's _meta.
struct MessageContext {
  std::optional<std::string> protocol_version;  // MCP-Protocol-Version, when the transport has one
  std::optional<std::string> session_id;        // Mcp-Session-Id, when the transport has one
  std::optional<std::string> bearer_token;      // Authorization: Bearer ..., HTTP only
  // Who the caller is, as an HTTP authorizer above the transport decided it
  // (HttpServerOptions::authorizer); empty when nothing authorized the message. Opaque here:
  // its type belongs to the layer that put it there (mcp reads it for RequestContext::auth()).
  std::any principal;
};

// Extra HTTP header fields for one message (name, value); transports without headers ignore them.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SendOptions {
  // The request this message belongs to (a response's own request, or the request on whose
  // behalf a progress notification or a server-to-client request is sent). HTTP uses it to pick
  // the SSE stream; stdio ignores it.
  std::optional<jsonrpc::Id> related_request;
  // Set on this message's HTTP request, over the transport's own (MCP 2026-07-28 names the
  // method, the tool and some arguments in headers; the layer above decides which).
  HeaderList headers;
};

struct Callbacks {
  std::function<void(jsonrpc::Message, MessageContext)> on_message;
  std::function<void()> on_close;
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual void start(Callbacks callbacks) = 0;
  // The same with callbacks their owner keeps for later transports (a recycled session): a
  // transport that keeps them shared takes them as they are, without copying them.
  virtual void start_shared(std::shared_ptr<const Callbacks> callbacks) { start(*callbacks); }
  virtual bool send(const jsonrpc::Message& message, const SendOptions& options = {}) = 0;
  virtual void close() = 0;

  // True when a callback may run as long as it likes: the transport then moves reading to
  // another thread (stdio). The session runs quick requests right inside the callback, which
  // saves the hand-off to a worker thread.
  virtual bool callbacks_may_block() const noexcept { return false; }
  // Called from inside a callback that is about to wait for another message of this transport
  // (a handler's request to the client): reading moves to another thread now, not after a delay.
  virtual void will_block() noexcept {}
  // False when SendOptions::headers are ignored (stdio): the layer above need not compute them.
  virtual bool carries_headers() const noexcept { return true; }
  // True when the transport carries one request and then ends (a sessionless HTTP POST): the
  // session above may then be recycled for a later such transport once it has finished.
  virtual bool one_shot() const noexcept { return false; }

  // A caller waiting for an answer may read it itself: no wake-up of a reader thread that then
  // wakes the caller. `done()` says the answer is in; `alone()` that no other caller waits for
  // input. Both are asked with the transport's own locks held, from any thread, so they only
  // look (an atomic load, say). A transport may keep the wait and ask it from its reader thread
  // after read_on_caller returned (stdio and HTTP do, to stand by once the answer is in): hence
  // shared. An interface, not two std::functions: a call then costs no allocation for them (the
  // session's request holds its wait in its own shared state).
  class CallerWait {
   public:
    virtual ~CallerWait() = default;
    virtual bool done() const noexcept = 0;
    virtual bool alone() const noexcept = 0;
  };
  struct CallerRead {
    std::shared_ptr<const CallerWait> wait;  // never null
    std::chrono::steady_clock::time_point deadline;
    bool done() const noexcept { return wait->done(); }
    bool alone() const noexcept { return wait->alone(); }
  };
  // Reads and delivers messages on the calling thread until done(), the deadline, the end of
  // input or a slow delivery moves reading elsewhere, when no other thread reads at the moment;
  // returns false at once when it cannot. Either way some thread keeps reading afterwards.
  virtual bool read_on_caller(const CallerRead& /*read*/) { return false; }
};

}  // namespace glassbox::transport
