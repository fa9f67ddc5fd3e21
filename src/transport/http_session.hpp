// One session of the Streamable HTTP server (private to src/transport): its SSE streams (number
// 0 is the standalone GET stream, 1.. one per POSTed request), the replay buffer behind
// Last-Event-ID, its inbox, and serve_sse(), which writes one of its streams onto a connection.
// The server's table of sessions (find, create, evict, expire) is here too; http_server.cpp
// routes requests to them.
//
// A stream holds a bounded buffer of formatted events (replay plus whatever the client has not
// read yet) and at most one attached connection (a Sink) that writes them out. send() from any
// thread appends under the session mutex and wakes the sink by cancelling its timer on its
// strand. Incoming messages go through the inbox, drained by one thread at a time, so the
// transport's callbacks run one at a time, in order, on I/O threads.
#pragma once

#include "glassbox/transport/http_server.hpp"

#include "json/spare_list.hpp"
#include "transport/asio_net.hpp"
#include "transport/fifo.hpp"
#include "transport/http_inline.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace glassbox::transport::http_detail {

using Clock = std::chrono::steady_clock;

// How long one write to a connection may take.
inline constexpr std::chrono::seconds kWriteTimeout{30};

// "<stream>_<seq>": the SSE event id, and its parse (nullopt when malformed).
std::string event_id(std::uint64_t stream, std::uint64_t seq);
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_event_id(std::string_view text);

// What a session needs of its server: an I/O thread to run callbacks on, and to be forgotten
// when it closes. HttpServer::Impl is one.
class HttpSession;

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // Runs `fn` on an I/O thread unless the server is stopped; false when it did not.
  virtual bool post(std::function<void()> fn) = 0;
  // The same for session->drain(), without a std::function (an allocation per one-shot POST).
  virtual bool post_drain(std::shared_ptr<HttpSession> session) = 0;
  virtual void forget_session(const std::string& id) = 0;
  // Watches callbacks that run on an I/O thread (http_inline.hpp).
  virtual InlineWatch& inline_watch() = 0;
};

// What a Sink knows of its stream, from attach to detach (a reused Sink starts it over).
struct SinkState {
  std::uint64_t cursor = 0;  // the last seq handed to this connection
  // Set by every pull(): the connection may wait on `timer` before it pulls again, so a new
  // event must wake it. Clear until the first pull and after a wake: the connection pulls
  // before it waits, and a send then needs no post to its strand.
  bool may_wait = false;
  std::size_t queued_bytes = 0;  // appended but not yet handed over
  bool drop = false;             // end the connection now (overflow, session closed, replaced)
  bool release = false;          // end the response gracefully; the stream stays resumable
};

// The connection side of an SSE stream. Guarded by its session's mutex, except `timer`, which
// lives on the connection's strand.
struct Sink : std::enable_shared_from_this<Sink>, SinkState {
  explicit Sink(net::any_io_executor executor) : timer(std::move(executor)) {}

  // Any thread; the cancel runs on the strand, where the connection is suspended on the timer
  // or about to be (it checks its events under the session mutex before it waits).
  void wake() {
    net::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
  }

  net::steady_timer timer;
  std::atomic<bool> peer_gone{false};
};

struct StreamEvent {
  std::uint64_t seq;
  std::string frame;
};

struct Stream {
  std::uint64_t number = 0;
  Fifo<StreamEvent> events;
  std::uint64_t next_seq = 1;       // 0 is the priming event
  std::uint64_t delivered_seq = 0;  // the highest seq ever handed to a connection
  bool finished = false;            // its response is among `events`: the stream ends there
  std::string request_key;          // the request it answers (empty for the standalone stream)
  std::shared_ptr<Sink> sink;
  // Sessionless: an error answer with nothing before it goes out as plain JSON with this status
  // (HttpServerOptions::sessionless_error_status); 0: as an SSE event.
  int plain_status = 0;
  std::string plain_body;
};

// The Sink and Stream of a connection's last sessionless POST, for its next one (the
// connection's strand only): making them cost two allocations and the timer's service look-up
// under the execution context's lock. Each is taken again once nothing else holds it (no
// wake-up or peer watch still queued with the Sink; a one-shot stream is let go when its
// session closes, as it cannot be resumed), else made anew.
struct PostSpares {
  json::SpareList<std::shared_ptr<Sink>, 1> sinks;
  json::SpareList<std::shared_ptr<Stream>, 1> streams;

  std::shared_ptr<Sink> take_sink(const net::any_io_executor& executor);
  std::shared_ptr<Stream> take_stream();
};

struct SessionLimits {
  std::size_t replay_buffer_events;
  std::size_t max_stream_queue_bytes;
  std::size_t max_streams;
  std::function<int(const jsonrpc::Error&)> sessionless_error_status;
};

// One MCP session: its streams and its inbox. Lives as long as its transport (held by the MCP
// layer) or its entry in the server's table, whichever is longer. Every member is thread-safe.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::string id, bool stateless, SessionLimits limits,
              std::weak_ptr<SessionHost> server, std::string owner = {});

  const std::string& id() const { return id_; }
  // One POST's session (no id): its one request runs on the I/O thread that read it.
  bool one_shot() const { return id_.empty(); }
  void will_block();
  // Who created it, as the authorizer named them (AuthorizationDecision::session_owner).
  const std::string& owner() const { return owner_; }

  void start(Callbacks callbacks);
  void start(std::shared_ptr<const Callbacks> callbacks);
  bool send(const jsonrpc::Message& message, const SendOptions& options);
  // Ends the session: streams dropped, on_close queued; `inline_drain` when on an I/O thread.
  void close(bool inline_drain);
  // Like close(), but no callback runs any more (the transport's owner is being destroyed).
  void abandon();
  void deliver(jsonrpc::Message message, MessageContext context);

  // `blank` (a Stream as made) becomes the stream of a POSTed request, with `sink` attached;
  // nullptr when over the limit or when a request with the same id is still in flight.
  std::shared_ptr<Stream> open_request_stream(const std::string& key,
                                              const std::shared_ptr<Sink>& sink, bool& duplicate,
                                              std::shared_ptr<Stream> blank);

  enum class AttachResult { kOk, kConflict, kUnknown, kLimit, kClosed };

  // GET: resume `resume` = (stream, seq) or, when absent, attach to the standalone stream.
  AttachResult attach(std::optional<std::pair<std::uint64_t, std::uint64_t>> resume,
                      const std::shared_ptr<Sink>& sink, std::shared_ptr<Stream>& out);
  void detach(const std::shared_ptr<Stream>& stream, const std::shared_ptr<Sink>& sink);

  // Under the lock: the frames after the sink's cursor, and whether the stream is over for it.
  struct Pull {
    std::string frames;
    bool done = false;      // the response was handed over: end the stream normally
    bool released = false;  // close_sse_stream(): end this response, the client will resume
    bool dropped = false;   // end the connection without finishing
    int plain_status = 0;   // done, and the answer goes out as plain JSON (Stream::plain_status)
    std::string plain_body;
  };
  Pull pull(Stream& stream, Sink& sink);

  // SEP-1699 polling: ends the connection of `key`'s stream gracefully.
  bool release_stream(const std::string& key);

  void touch();
  void begin_request();
  void end_request();
  bool idle_since(Clock::time_point limit);
  // A session is used from its first request other than initialize, or its first GET stream.
  // Until then it costs its creator nothing to make, so it gets the short expiry and is the
  // first evicted when the table is full.
  void mark_used() { used_.store(true, std::memory_order_relaxed); }
  bool used() const { return used_.load(std::memory_order_relaxed); }
  // Nothing in progress on it: it can be evicted without cutting a request or a stream.
  bool quiet();
  Clock::time_point last_activity();
  // Graceful shutdown, first phase: standalone streams end; request streams run on.
  void drop_standalone();
  // Runs the inbox's messages through the callbacks, one thread at a time (the others return).
  void drain();
  // A closed one-shot session made as new for another sessionless POST: only when nothing else
  // holds it (SessionTable::make_one_shot).
  void renew();
  // Graceful shutdown, last phase, once the I/O threads are gone: a close notice still queued
  // (its drain was posted but never ran) is delivered on the calling thread; messages queued
  // before it are dropped, as nothing could answer them any more.
  void finish_close();

 private:
  struct Inbound {
    std::optional<jsonrpc::Message> message;  // none: the close notice
    MessageContext context;
  };

  std::shared_ptr<Stream> standalone_locked();
  // Drops events no connection needs any more, beyond the replay budget.
  void trim_locked(Stream& stream);
  // The stream of request `key` while its answer is still to come (nullptr when none), and the
  // stream of any request in flight.
  std::shared_ptr<Stream> in_flight_locked(const std::string& key);
  std::shared_ptr<Stream> any_in_flight_locked();
  void schedule_drain();

  const std::string id_;
  const std::string owner_;
  const bool stateless_;
  const SessionLimits limits_;
  const std::weak_ptr<SessionHost> server_;

  std::mutex mutex_;
  bool started_ = false;
  bool draining_ = false;
  bool closed_ = false;
  std::shared_ptr<const Callbacks> callbacks_;  // shared so a drain in progress keeps its copy
  Fifo<Inbound> inbox_;
  // A one-shot session's request stream: no table entry for the one request it ever has (a map
  // node, a hash node and its buckets, a finished-list entry: four allocations per POST). Such
  // a stream cannot be resumed, so it is not kept once finished. Every other stream is in the
  // tables below.
  std::shared_ptr<Stream> one_shot_stream_;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams_;
  std::unordered_map<std::string, std::uint64_t> by_request_;
  Fifo<std::uint64_t> finished_;
  std::uint64_t next_stream_ = 1;
  std::size_t attached_ = 0;
  std::size_t in_flight_ = 0;
  Clock::time_point last_activity_;
  std::atomic<bool> used_{false};
};

// The Transport the MCP layer holds for one session.
class SessionTransport : public Transport {
 public:
  explicit SessionTransport(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
  // The owner is going away: the session ends without calling back into it.
  ~SessionTransport() override { session_->abandon(); }

  void start(Callbacks callbacks) override { session_->start(std::move(callbacks)); }
  void start_shared(std::shared_ptr<const Callbacks> callbacks) override {
    session_->start(std::move(callbacks));
  }
  bool send(const jsonrpc::Message& message, const SendOptions& options) override {
    return session_->send(message, options);
  }
  void close() override { session_->close(false); }
  bool callbacks_may_block() const noexcept override { return session_->one_shot(); }
  bool one_shot() const noexcept override { return session_->one_shot(); }
  void will_block() noexcept override { session_->will_block(); }
  HttpSession& session() { return *session_; }

 private:
  std::shared_ptr<HttpSession> session_;
};

// The server's sessions by id. Every member is thread-safe.
class SessionTable {
 public:
  explicit SessionTable(const HttpServerOptions& options);

  // A one-shot session (a sessionless POST's, outside the table): a closed one that nothing
  // holds any more (its transport's owner let it go, its connection is done with it) renewed,
  // else a new one.
  std::shared_ptr<HttpSession> make_one_shot(const std::shared_ptr<SessionHost>& host);
  // A one-shot session its POST has closed, kept for make_one_shot().
  void keep_one_shot(std::shared_ptr<HttpSession> session);
  // A new session with a fresh random id, in the table; when the table is full, the oldest
  // session never used past initialize (nothing in progress on it) makes room, so that a flood
  // of bare initialize requests cannot lock real clients out. nullptr when full or `stopping`.
  std::shared_ptr<HttpSession> create(std::string owner, std::weak_ptr<SessionHost> host,
                                      bool stopping);
  // A session owned by someone else is not found: its id alone must not let another caller in.
  std::shared_ptr<HttpSession> find(const std::string& id, std::string_view owner = {});
  void forget(const std::string& id);
  // Retry-After for "too many sessions": when the least recently active idle session expires.
  long retry_after_seconds();
  // The sessions idle past their timeout (an unused one at the shorter of the two), which the
  // caller closes (closing forgets them).
  std::vector<std::shared_ptr<HttpSession>> expired(Clock::time_point now);
  std::vector<std::shared_ptr<HttpSession>> all();
  void clear();
  std::size_t size();

 private:
  std::shared_ptr<HttpSession> make(std::string id, std::weak_ptr<SessionHost> host,
                                    std::string owner) const;
  std::shared_ptr<HttpSession> evict_unused_locked();

  const SessionLimits limits_;
  const bool stateless_;
  const std::size_t max_sessions_;
  const std::chrono::seconds idle_timeout_;
  const std::chrono::seconds unused_timeout_;

  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<HttpSession>> sessions_;
  // Sessions not yet used, oldest first (entries that became used or went away are skipped and
  // pruned by expired()).
  std::deque<std::weak_ptr<HttpSession>> unused_order_;

  // Closed one-shot sessions (spare_mutex_): making and destroying one per sessionless POST
  // cost an allocation and its construction, with a copy of the limits. Until its transport's
  // owner lets it go (a recycled MCP session does at its next request) a session stays held;
  // one held long (a handler kept its transport) makes room for newer ones when the list is
  // full.
  std::mutex spare_mutex_;
  json::SpareList<std::shared_ptr<HttpSession>, 64> spare_one_shots_;
};

// The SSE timing of HttpServerOptions.
struct SseTiming {
  std::chrono::milliseconds retry;  // sse_retry
  std::chrono::seconds keepalive;   // sse_keepalive; 0: none
  // Sessionless: the head waits for the first message (or the first keep-alive), so that an
  // error answering at once can still go out with its own status (sessionless_error_status).
  bool hold_head_for_plain_errors = false;
};

// Answers `request` on `stream` (the connection, on its strand) with `sse` as a text/event-stream
// response: the priming event (or, `resumed`, the retry field), then the stream's events as they
// come, until the request's response is out, the stream is released or dropped, or the peer goes
// away. Detaches `sink` on every exit. Returns whether the connection may serve another request.
template <class S>
net::awaitable<bool> serve_sse(S& stream, const Request& request,
                               const std::shared_ptr<HttpSession>& session,
                               const std::shared_ptr<Stream>& sse,
                               const std::shared_ptr<Sink>& sink, bool resumed, SseTiming timing);
extern template net::awaitable<bool> serve_sse(PlainStream&, const Request&,
                                               const std::shared_ptr<HttpSession>&,
                                               const std::shared_ptr<Stream>&,
                                               const std::shared_ptr<Sink>&, bool, SseTiming);

}  // namespace glassbox::transport::http_detail
