// Streamable HTTP server (MCP 2025-11-25) on Asio + Beast with C++20 coroutines.
//
// Shape: every connection is a coroutine on its own strand. A session owns its SSE streams
// (number 0 is the standalone GET stream, 1.. one per POSTed request); a stream holds a bounded
// buffer of formatted events (replay for Last-Event-ID plus whatever the client has not read
// yet) and at most one attached connection (a Sink) that writes them out. send() from any thread
// appends under the session mutex and wakes the sink by cancelling its timer on its strand.
// Incoming messages go through a per-session inbox drained by one thread at a time, so the
// transport's callbacks run one at a time, in order, on I/O threads.
#include "glassbox/transport/http_server.hpp"

#include "glassbox/transport/http_guard.hpp"

#include "transport/http_common.hpp"
#include "transport/sse.hpp"

#include <openssl/rand.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace glassbox::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace http_detail;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// Finished request streams kept per session so that a client that lost the connection just
// before the response can still resume and read it.
constexpr std::size_t kFinishedStreamsKept = 32;
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kHandshakeTimeout{10};

using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string random_session_id() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(sizeof bytes * 2);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::string error_body(int code, std::string_view message) {
  return jsonrpc::serialize(
      jsonrpc::ErrorResponse{std::nullopt, jsonrpc::Error{code, std::string(message), nullptr}});
}

std::string event_id(std::uint64_t stream, std::uint64_t seq) {
  return std::to_string(stream) + "_" + std::to_string(seq);
}

// "<stream>_<seq>", as event_id() writes it.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_event_id(std::string_view text) {
  std::size_t sep = text.find('_');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == text.size()) return std::nullopt;
  std::uint64_t stream = 0, seq = 0;
  auto r1 = std::from_chars(text.data(), text.data() + sep, stream);
  auto r2 = std::from_chars(text.data() + sep + 1, text.data() + text.size(), seq);
  if (r1.ec != std::errc() || r1.ptr != text.data() + sep || r2.ec != std::errc() ||
      r2.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return std::pair{stream, seq};
}

std::optional<std::string> key_of(const jsonrpc::Message& message) {
  if (auto* r = std::get_if<jsonrpc::Response>(&message)) return jsonrpc::to_string(r->id);
  if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&message)) {
    if (e->id) return jsonrpc::to_string(*e->id);
  }
  return std::nullopt;
}

// The connection side of an SSE stream. Guarded by its session's mutex, except `timer`, which
// lives on the connection's strand.
struct Sink : std::enable_shared_from_this<Sink> {
  explicit Sink(net::any_io_executor executor) : timer(std::move(executor)) {}

  // Any thread; the cancel runs on the strand, where the connection is suspended on the timer
  // or about to be (it checks its events under the session mutex before it waits).
  void wake() {
    net::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
  }

  net::steady_timer timer;
  std::uint64_t cursor = 0;      // the last seq handed to this connection
  std::size_t queued_bytes = 0;  // appended but not yet handed over
  bool drop = false;             // end the connection now (overflow, session closed, replaced)
  bool release = false;          // end the response gracefully; the stream stays resumable
  std::atomic<bool> peer_gone{false};
};

struct StreamEvent {
  std::uint64_t seq;
  std::string frame;
};

struct Stream {
  std::uint64_t number = 0;
  std::deque<StreamEvent> events;
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

struct SessionLimits {
  std::size_t replay_buffer_events;
  std::size_t max_stream_queue_bytes;
  std::size_t max_streams;
  std::function<int(const jsonrpc::Error&)> sessionless_error_status;
};

}  // namespace

// One MCP session: its streams and its inbox. Lives as long as its transport (held by the MCP
// layer) or its entry in the server's table, whichever is longer.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::string id, bool stateless, SessionLimits limits,
              std::weak_ptr<HttpServer::Impl> server, std::string owner = {})
      : id_(std::move(id)),
        owner_(std::move(owner)),
        stateless_(stateless),
        limits_(limits),
        server_(std::move(server)) {
    last_activity_ = Clock::now();
  }

  const std::string& id() const { return id_; }
  // Who created it, as the authorizer named them (AuthorizationDecision::session_owner).
  const std::string& owner() const { return owner_; }

  void start(Callbacks callbacks);
  bool send(const jsonrpc::Message& message, const SendOptions& options);
  // Ends the session: streams dropped, on_close queued; `inline_drain` when on an I/O thread.
  void close(bool inline_drain);
  // Like close(), but no callback runs any more (the transport's owner is being destroyed).
  void abandon() {
    {
      std::lock_guard lock(mutex_);
      callbacks_.reset();
      inbox_.clear();
    }
    close(true);
  }

  void deliver(jsonrpc::Message message, MessageContext context) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      inbox_.push_back({std::move(message), std::move(context)});
    }
    drain();
  }

  // A new stream for a POSTed request, with `sink` attached; nullptr when over the limit or
  // when a request with the same id is still in flight.
  std::shared_ptr<Stream> open_request_stream(const std::string& key,
                                              const std::shared_ptr<Sink>& sink, bool& duplicate) {
    std::lock_guard lock(mutex_);
    // A second request with an id still in flight could not be told apart from the first.
    duplicate = by_request_.count(key) > 0;
    if (closed_ || duplicate) return nullptr;
    if (!stateless_ && attached_ >= limits_.max_streams) return nullptr;
    auto stream = std::make_shared<Stream>();
    stream->number = next_stream_++;
    stream->request_key = key;
    stream->sink = sink;
    ++attached_;
    streams_[stream->number] = stream;
    by_request_[key] = stream->number;
    return stream;
  }

  enum class AttachResult { kOk, kConflict, kUnknown, kLimit, kClosed };

  // GET: resume `resume` = (stream, seq) or, when absent, attach to the standalone stream.
  AttachResult attach(std::optional<std::pair<std::uint64_t, std::uint64_t>> resume,
                      const std::shared_ptr<Sink>& sink, std::shared_ptr<Stream>& out) {
    std::lock_guard lock(mutex_);
    if (closed_) return AttachResult::kClosed;
    std::shared_ptr<Stream> stream;
    if (resume) {
      if (resume->first == 0) {
        stream = standalone_locked();
      } else {
        auto it = streams_.find(resume->first);
        if (it == streams_.end()) return AttachResult::kUnknown;
        stream = it->second;
      }
      if (resume->second >= stream->next_seq) return AttachResult::kUnknown;
      if (!stream->sink && attached_ >= limits_.max_streams) return AttachResult::kLimit;
      if (stream->sink) {  // the client lost the old connection before this side noticed
        stream->sink->drop = true;
        stream->sink->wake();
        --attached_;
      }
      sink->cursor = resume->second;
    } else {
      stream = standalone_locked();
      if (stream->sink) return AttachResult::kConflict;
      if (attached_ >= limits_.max_streams) return AttachResult::kLimit;
      sink->cursor = stream->delivered_seq;
    }
    sink->queued_bytes = 0;
    for (const auto& e : stream->events) {
      if (e.seq > sink->cursor) sink->queued_bytes += e.frame.size();
    }
    stream->sink = sink;
    ++attached_;
    out = stream;
    return AttachResult::kOk;
  }

  void detach(const std::shared_ptr<Stream>& stream, const std::shared_ptr<Sink>& sink) {
    std::lock_guard lock(mutex_);
    if (stream->sink == sink) {
      stream->sink.reset();
      --attached_;
    }
    last_activity_ = Clock::now();
    trim_locked(*stream);
  }

  // Under the lock: the frames after the sink's cursor, and whether the stream is over for it.
  struct Pull {
    std::string frames;
    bool done = false;      // the response was handed over: end the stream normally
    bool released = false;  // close_sse_stream(): end this response, the client will resume
    bool dropped = false;   // end the connection without finishing
    int plain_status = 0;   // done, and the answer goes out as plain JSON (Stream::plain_status)
    std::string plain_body;
  };
  Pull pull(Stream& stream, Sink& sink) {
    std::lock_guard lock(mutex_);
    Pull pull;
    if (sink.drop || sink.peer_gone.load() || stream.sink.get() != &sink) {
      pull.dropped = true;
      return pull;
    }
    for (const auto& e : stream.events) {
      if (e.seq <= sink.cursor) continue;
      pull.frames += e.frame;
      sink.cursor = e.seq;
    }
    sink.queued_bytes = 0;
    stream.delivered_seq = std::max(stream.delivered_seq, sink.cursor);
    pull.done = stream.finished && sink.cursor + 1 >= stream.next_seq;
    if (pull.done && stream.plain_status != 0) {
      pull.plain_status = stream.plain_status;
      pull.plain_body = stream.plain_body;
    }
    pull.released = sink.release && !pull.done;
    trim_locked(stream);
    return pull;
  }

  // SEP-1699 polling: ends the connection of `key`'s stream gracefully.
  bool release_stream(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = by_request_.find(key);
    if (it == by_request_.end()) return false;
    auto& stream = streams_[it->second];
    if (!stream || !stream->sink) return false;
    stream->sink->release = true;
    stream->sink->wake();
    return true;
  }

  void touch() {
    std::lock_guard lock(mutex_);
    last_activity_ = Clock::now();
  }
  void begin_request() {
    std::lock_guard lock(mutex_);
    ++in_flight_;
    last_activity_ = Clock::now();
  }
  void end_request() {
    std::lock_guard lock(mutex_);
    --in_flight_;
    last_activity_ = Clock::now();
  }
  bool idle_since(Clock::time_point limit) {
    std::lock_guard lock(mutex_);
    return attached_ == 0 && in_flight_ == 0 && last_activity_ < limit;
  }
  // A session is used from its first request other than initialize, or its first GET stream.
  // Until then it costs its creator nothing to make, so it gets the short expiry and is the
  // first evicted when the table is full.
  void mark_used() { used_.store(true, std::memory_order_relaxed); }
  bool used() const { return used_.load(std::memory_order_relaxed); }
  // Nothing in progress on it: it can be evicted without cutting a request or a stream.
  bool quiet() {
    std::lock_guard lock(mutex_);
    return attached_ == 0 && in_flight_ == 0;
  }
  Clock::time_point last_activity() {
    std::lock_guard lock(mutex_);
    return last_activity_;
  }
  // Graceful shutdown, first phase: standalone streams end; request streams run on.
  void drop_standalone() {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(0);
    if (it != streams_.end() && it->second->sink) {
      it->second->sink->drop = true;
      it->second->sink->wake();
    }
  }

 private:
  struct Inbound {
    std::optional<jsonrpc::Message> message;  // none: the close notice
    MessageContext context;
  };

  std::shared_ptr<Stream> standalone_locked() {
    auto& slot = streams_[0];
    if (!slot) slot = std::make_shared<Stream>();
    return slot;
  }

  // Drops events no connection needs any more, beyond the replay budget.
  void trim_locked(Stream& stream) {
    while (stream.events.size() > limits_.replay_buffer_events &&
           (!stream.sink || stream.events.front().seq <= stream.sink->cursor)) {
      stream.events.pop_front();
    }
  }

  void drain();
  void schedule_drain();

  const std::string id_;
  const std::string owner_;
  const bool stateless_;
  const SessionLimits limits_;
  const std::weak_ptr<HttpServer::Impl> server_;

  std::mutex mutex_;
  bool started_ = false;
  bool draining_ = false;
  bool closed_ = false;
  std::shared_ptr<const Callbacks> callbacks_;  // shared so a drain in progress keeps its copy
  std::deque<Inbound> inbox_;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams_;
  std::unordered_map<std::string, std::uint64_t> by_request_;
  std::deque<std::uint64_t> finished_;
  std::uint64_t next_stream_ = 1;
  std::size_t attached_ = 0;
  std::size_t in_flight_ = 0;
  Clock::time_point last_activity_;
  std::atomic<bool> used_{false};
};

namespace {

class SessionTransport : public Transport {
 public:
  explicit SessionTransport(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
  // The owner is going away: the session ends without calling back into it.
  ~SessionTransport() override { session_->abandon(); }

  void start(Callbacks callbacks) override { session_->start(std::move(callbacks)); }
  bool send(const jsonrpc::Message& message, const SendOptions& options) override {
    return session_->send(message, options);
  }
  void close() override { session_->close(false); }
  HttpSession& session() { return *session_; }

 private:
  std::shared_ptr<HttpSession> session_;
};

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(HttpServerOptions options, SessionHandler on_session)
      : options_(std::move(options)), on_session_(std::move(on_session)) {}

  void start();
  void listen();  // binds options_.host:port and accepts on it
  bool adopt(int native_socket, std::string received);
  void stop();
  void wait() {
    std::unique_lock lock(state_mutex_);
    stopped_cv_.wait(lock, [&] { return stopped_; });
  }
  std::uint16_t port() const { return port_.load(); }
  std::string url() const {
    std::string host = options_.host;
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    return std::string(ssl_ ? "https://" : "http://") + host + ":" + std::to_string(port()) +
           options_.endpoint;
  }
  std::size_t session_count() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }
  std::size_t connection_count() {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

  // Runs `fn` on an I/O thread unless the server is stopped; false when it did not.
  bool post(std::function<void()> fn) {
    std::lock_guard lock(state_mutex_);
    if (io_finished_) return false;
    net::post(io_, std::move(fn));
    return true;
  }
  void forget_session(const std::string& id) {
    if (id.empty()) return;
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }

 private:
  // What stop() needs of a connection. `lowest` and `alive` are touched only on its strand.
  struct Connection : std::enable_shared_from_this<Connection> {
    explicit Connection(net::any_io_executor e) : executor(std::move(e)) {}
    void close() {
      net::post(executor, [self = shared_from_this()] {
        if (self->alive && self->lowest) self->lowest->close();
      });
    }
    net::any_io_executor executor;
    beast::tcp_stream* lowest = nullptr;
    bool alive = false;
    std::atomic<bool> busy{false};
  };

  net::awaitable<void> accept_loop();
  net::awaitable<void> sweep_loop();
  template <class S>
  net::awaitable<void> serve(S stream, std::shared_ptr<Connection> connection,
                             std::string received = {});
  template <class S>
  net::awaitable<bool> handle(S& stream, Request& request);
  template <class S>
  net::awaitable<bool> handle_post(S& stream, Request& request, const MessageContext& base);
  template <class S>
  net::awaitable<bool> handle_get(S& stream, Request& request, const std::string& owner);
  template <class S>
  net::awaitable<bool> serve_public(S& stream, const Request& request, std::string document);
  // Runs options_.authorizer and waits (without blocking the thread) for its answer.
  net::awaitable<AuthorizationDecision> authorize(const Request& request,
                                                  const jsonrpc::Message* message);
  template <class S>
  net::awaitable<bool> refuse(S& stream, const Request& request, AuthorizationDecision decision) {
    return reply(stream, request, static_cast<http::status>(decision.status),
                 std::move(decision.body), std::move(decision.content_type),
                 std::move(decision.headers));
  }
  template <class S>
  net::awaitable<bool> serve_sse(S& stream, const Request& request,
                                 const std::shared_ptr<HttpSession>& session,
                                 const std::shared_ptr<Stream>& sse,
                                 const std::shared_ptr<Sink>& sink, bool resumed);
  // (GCC 12 miscompiles initializer lists inside co_await expressions: callers build any
  // extra headers in a local first.)
  template <class S>
  net::awaitable<bool> reply(S& stream, const Request& request, http::status status,
                             std::string body, std::string content_type = {}, Headers headers = {});
  template <class S>
  net::awaitable<bool> reply_error(S& stream, const Request& request, http::status status, int code,
                                   std::string_view message) {
    return reply(stream, request, status, error_body(code, message), "application/json");
  }

  std::shared_ptr<HttpSession> make_session(std::string id, std::string owner = {}) {
    return std::make_shared<HttpSession>(
        std::move(id), options_.stateless,
        SessionLimits{options_.replay_buffer_events, options_.max_stream_queue_bytes,
                      options_.max_streams_per_session, options_.sessionless_error_status},
        weak_from_this(), std::move(owner));
  }
  // The table is full: takes out the oldest session never used past initialize (nothing in
  // progress on it) so that a flood of bare initialize requests cannot lock real clients out.
  // Under mutex_; the caller closes what it returns, outside the lock.
  std::shared_ptr<HttpSession> evict_unused_locked() {
    while (!unused_order_.empty()) {
      std::shared_ptr<HttpSession> oldest = unused_order_.front().lock();
      if (oldest && !oldest->used() && oldest->quiet()) {
        unused_order_.pop_front();
        sessions_.erase(oldest->id());
        return oldest;
      }
      if (oldest && !oldest->used()) return nullptr;  // busy now: the next flood request retries
      unused_order_.pop_front();
    }
    return nullptr;
  }
  // Retry-After for "too many sessions": when the least recently active idle session expires.
  long retry_after_seconds() {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    auto soonest = options_.session_idle_timeout;
    for (auto& [id, session] : sessions_) {
      if (!session->quiet()) continue;
      auto left = session->last_activity() + options_.session_idle_timeout - now;
      soonest = std::min(soonest, std::chrono::duration_cast<std::chrono::seconds>(left));
    }
    return std::max<long>(1, static_cast<long>(soonest.count()));
  }
  // A session owned by someone else is not found: its id alone must not let another caller in.
  std::shared_ptr<HttpSession> find_session(const std::string& id, std::string_view owner = {}) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->owner() != owner) return nullptr;
    return it->second;
  }
  bool version_supported(std::string_view version) const {
    return std::find(options_.supported_protocol_versions.begin(),
                     options_.supported_protocol_versions.end(),
                     version) != options_.supported_protocol_versions.end();
  }

  HttpServerOptions options_;
  HostOriginRule host_origin_rule_{options_.host, options_.allowed_hosts, options_.allowed_origins};
  SessionHandler on_session_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stopping_{false};

  // Declared before io_ so that they outlive the coroutine frames io_ destroys.
  std::mutex mutex_;  // sessions_, connections_
  std::unordered_map<std::string, std::shared_ptr<HttpSession>> sessions_;
  // Sessions not yet used, oldest first (entries that became used or went away are skipped and
  // pruned by the sweep).
  std::deque<std::weak_ptr<HttpSession>> unused_order_;
  std::list<std::shared_ptr<Connection>> connections_;
  std::optional<net::ssl::context> ssl_;

  std::mutex state_mutex_;  // started_, stop_begun_, stopped_, io_finished_
  std::condition_variable stopped_cv_;
  bool started_ = false;
  bool stop_begun_ = false;
  bool stopped_ = false;
  bool io_finished_ = false;

  net::io_context io_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

// ---- HttpSession ------------------------------------------------------------------------------

void HttpSession::start(Callbacks callbacks) {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
    callbacks_ = std::make_shared<const Callbacks>(std::move(callbacks));
    started_ = true;
    if (inbox_.empty()) return;
  }
  schedule_drain();
}

void HttpSession::schedule_drain() {
  if (auto server = server_.lock()) {
    if (server->post([self = shared_from_this()] { self->drain(); })) return;
  }
  drain();
}

void HttpSession::drain() {
  std::unique_lock lock(mutex_);
  if (!started_ || draining_) return;
  draining_ = true;
  while (!inbox_.empty()) {
    Inbound item = std::move(inbox_.front());
    inbox_.pop_front();
    std::shared_ptr<const Callbacks> callbacks = callbacks_;
    lock.unlock();
    try {
      if (!callbacks) {
      } else if (item.message) {
        if (callbacks->on_message) {
          callbacks->on_message(std::move(*item.message), std::move(item.context));
        }
      } else if (callbacks->on_close) {
        callbacks->on_close();
      }
    } catch (...) {
      // A callback's failure must not stall the inbox; the MCP layer maps its own errors.
    }
    lock.lock();
  }
  draining_ = false;
}

bool HttpSession::send(const jsonrpc::Message& message, const SendOptions& options) {
  std::string payload = jsonrpc::serialize(message);
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  std::optional<std::string> key = options.related_request
                                       ? std::optional(jsonrpc::to_string(*options.related_request))
                                       : key_of(message);
  std::shared_ptr<Stream> stream;
  if (key) {
    if (auto it = by_request_.find(*key); it != by_request_.end()) stream = streams_[it->second];
  }
  if (!stream && stateless_ && !by_request_.empty()) {
    // Stateless: the one request stream is the only way to reach the client.
    stream = streams_[by_request_.begin()->second];
  }
  if (!stream) stream = standalone_locked();

  std::uint64_t seq = stream->next_seq++;
  std::string frame = sse::format_event(payload, event_id(stream->number, seq));
  std::size_t size = frame.size();
  stream->events.push_back({seq, std::move(frame)});

  std::optional<std::string> own = key_of(message);
  if (own && !stream->request_key.empty() && *own == stream->request_key) {
    stream->finished = true;
    const auto* error = std::get_if<jsonrpc::ErrorResponse>(&message);
    if (error && seq == 1 && id_.empty() && limits_.sessionless_error_status) {
      stream->plain_status = limits_.sessionless_error_status(error->error);
      if (stream->plain_status != 0) stream->plain_body = payload;
    }
    by_request_.erase(*own);
    finished_.push_back(stream->number);
    while (finished_.size() > kFinishedStreamsKept) {
      auto it = streams_.find(finished_.front());
      if (it != streams_.end() && !it->second->sink) streams_.erase(it);
      finished_.pop_front();
    }
  }
  if (stream->sink) {
    stream->sink->queued_bytes += size;
    if (stream->sink->queued_bytes > limits_.max_stream_queue_bytes) stream->sink->drop = true;
    stream->sink->wake();
  }
  trim_locked(*stream);
  return true;
}

void HttpSession::close(bool inline_drain) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (auto& [number, stream] : streams_) {
      if (stream->sink) {
        stream->sink->drop = true;
        stream->sink->wake();
      }
    }
    inbox_.push_back({std::nullopt, {}});
  }
  auto server = server_.lock();
  if (server) server->forget_session(id_);
  if (inline_drain) {
    drain();
  } else {
    schedule_drain();
  }
}

// ---- HttpServer::Impl -------------------------------------------------------------------------

void HttpServer::Impl::start() {
  {
    std::lock_guard lock(state_mutex_);
    if (started_) throw std::logic_error("HttpServer::start called twice");
    started_ = true;
  }
  if (!options_.tls_certificate_file.empty() || !options_.tls_private_key_file.empty()) {
    ssl_.emplace(net::ssl::context::tls_server);
    ssl_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                      net::ssl::context::no_tlsv1_1);
    try {
      ssl_->use_certificate_chain_file(options_.tls_certificate_file);
      ssl_->use_private_key_file(options_.tls_private_key_file, net::ssl::context::pem);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("cannot load the TLS certificate or key: ") + e.what());
    }
  }
  work_.emplace(io_.get_executor());
  if (options_.listen) {
    listen();
  } else {
    port_ = options_.port;  // the port of the server the endpoint is mounted in
  }
  if (!options_.stateless) net::co_spawn(io_, sweep_loop(), net::detached);
  std::size_t threads = std::max<std::size_t>(1, options_.threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          io_.run();
          break;
        } catch (...) {
          // A handler that throws must not take the server down; keep serving.
        }
      }
    });
  }
}

void HttpServer::Impl::listen() {
  boost::system::error_code ec;
  auto address =
      net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address '" + options_.host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.emplace(net::make_strand(io_));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::system_error(
        ec, "cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(acceptor_->get_executor(), accept_loop(), net::detached);
}

bool HttpServer::Impl::adopt(int native_socket, std::string received) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
    ::close(native_socket);
    return false;
  }
  auto strand = net::make_strand(io_);
  tcp::socket socket(strand);
  boost::system::error_code ec;
  socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), native_socket, ec);
  if (ec) {
    ::close(native_socket);
    return false;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto connection = std::make_shared<Connection>(strand);
  {
    std::lock_guard lock(state_mutex_);
    if (!started_ || stop_begun_) return false;  // `socket` closes the descriptor
    std::lock_guard connections_lock(mutex_);
    connections_.push_back(connection);
  }
  net::co_spawn(strand,
                serve(beast::tcp_stream(std::move(socket)), connection, std::move(received)),
                net::detached);
  return true;
}

void HttpServer::Impl::stop() {
  {
    std::unique_lock lock(state_mutex_);
    if (!started_) {
      stopped_ = true;
      stopped_cv_.notify_all();
      return;
    }
    if (stop_begun_) {
      bool on_io_thread = std::any_of(threads_.begin(), threads_.end(), [](auto& t) {
        return t.get_id() == std::this_thread::get_id();
      });
      if (!on_io_thread) stopped_cv_.wait(lock, [&] { return stopped_; });
      return;
    }
    stop_begun_ = true;
  }
  stopping_ = true;
  if (acceptor_) {
    net::post(acceptor_->get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
  }

  // Idle keep-alive connections and standalone streams go now; requests get a grace period.
  std::vector<std::shared_ptr<HttpSession>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) sessions.push_back(session);
    for (auto& connection : connections_) {
      if (!connection->busy) connection->close();
    }
  }
  for (auto& session : sessions) session->drop_standalone();
  auto deadline = Clock::now() + options_.shutdown_grace;
  while (Clock::now() < deadline) {
    bool busy = false;
    {
      std::lock_guard lock(mutex_);
      for (auto& connection : connections_) busy = busy || connection->busy;
    }
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& session : sessions) session->close(false);
  {
    std::lock_guard lock(mutex_);
    sessions_.clear();
    for (auto& connection : connections_) connection->close();
  }
  // Let the close notices and connection ends run, then stop whatever is left.
  work_.reset();
  deadline = Clock::now() + std::chrono::milliseconds(500);
  while (Clock::now() < deadline && connection_count() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  {
    std::lock_guard lock(state_mutex_);
    io_finished_ = true;
  }
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();
    } else if (thread.joinable()) {
      thread.join();
    }
  }
  std::lock_guard lock(state_mutex_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

net::awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    auto strand = net::make_strand(io_);
    auto [ec, socket] = co_await acceptor_->async_accept(strand, kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_ || !acceptor_->is_open()) co_return;
      // Out of descriptors and the like: back off instead of spinning.
      net::steady_timer timer(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await timer.async_wait(kTuple);
      continue;
    }
    if (stopping_) co_return;
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<Connection>(strand);
    {
      std::lock_guard lock(mutex_);
      connections_.push_back(connection);
    }
    if (ssl_) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *ssl_);
      net::co_spawn(strand, serve(std::move(stream), connection), net::detached);
    } else {
      net::co_spawn(strand, serve(beast::tcp_stream(std::move(socket)), connection), net::detached);
    }
  }
}

net::awaitable<void> HttpServer::Impl::sweep_loop() {
  auto period = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min(options_.session_idle_timeout, options_.unused_session_timeout)) /
          4,
      std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!stopping_) {
    timer.expires_after(period);
    co_await timer.async_wait(kTuple);
    if (stopping_ || io_finished_) co_return;
    auto limit = Clock::now() - options_.session_idle_timeout;
    auto unused_limit = Clock::now() - options_.unused_session_timeout;
    std::vector<std::shared_ptr<HttpSession>> expired;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, session] : sessions_) {
        // An unused session goes at the shorter of the two timeouts.
        if (session->idle_since(session->used() ? limit : std::max(limit, unused_limit))) {
          expired.push_back(session);
        }
      }
      std::erase_if(unused_order_, [](const std::weak_ptr<HttpSession>& w) {
        auto s = w.lock();
        return !s || s->used();
      });
    }
    for (auto& session : expired) session->close(true);
  }
}

template <class S>
net::awaitable<void> HttpServer::Impl::serve(S stream, std::shared_ptr<Connection> connection,
                                             std::string received) {
  auto& lowest = beast::get_lowest_layer(stream);
  connection->lowest = &lowest;
  connection->alive = true;
  // `lowest` lives in this frame: stop() must not reach it once the frame is gone.
  struct Unregister {
    Impl* self;
    std::shared_ptr<Connection> connection;
    ~Unregister() {
      connection->alive = false;
      std::lock_guard lock(self->mutex_);
      self->connections_.remove(connection);
    }
  } unregister{this, connection};

  if constexpr (!std::is_same_v<S, beast::tcp_stream>) {
    lowest.expires_after(kHandshakeTimeout);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    if (ec) co_return;
  }
  beast::flat_buffer buffer;
  // An adopted connection: what its first owner already read is parsed first.
  buffer.commit(net::buffer_copy(buffer.prepare(received.size()), net::buffer(received)));
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options_.max_body_bytes);
    lowest.expires_after(options_.keep_alive_timeout);
    auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) {
      if (ec == http::error::end_of_stream || ec == net::error::eof ||
          ec == beast::error::timeout || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated ||
          stopping_) {
        break;
      }
      Request partial;
      partial.version(11);
      partial.keep_alive(false);
      if (ec == http::error::body_limit) {
        co_await reply_error(stream, partial, http::status::payload_too_large,
                             jsonrpc::error_code::kInvalidRequest, "request body too large");
      } else if (ec == http::error::header_limit) {
        co_await reply(stream, partial, http::status::request_header_fields_too_large,
                       "request headers too large\n", "text/plain");
      } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        co_await reply(stream, partial, http::status::bad_request, "malformed HTTP request\n",
                       "text/plain");
      }
      break;
    }
    connection->busy = true;
    bool keep = co_await handle(stream, parser.get());
    connection->busy = false;
    if (!keep || stopping_) break;
  }
  lowest.expires_after(std::chrono::seconds(1));
  if constexpr (!std::is_same_v<S, beast::tcp_stream>) {
    co_await stream.async_shutdown(kTuple);
  }
  boost::system::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest.close();
}

template <class S>
net::awaitable<bool> HttpServer::Impl::reply(S& stream, const Request& request, http::status status,
                                             std::string body, std::string content_type,
                                             Headers headers) {
  http::response<http::string_body> res{status, request.version()};
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  for (auto& [name, value] : headers) res.set(name, value);
  res.body() = std::move(body);
  res.keep_alive(request.keep_alive() && !stopping_);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec && res.keep_alive();
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle(S& stream, Request& request) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  RequestHeadFacts facts = head_facts(request);
  if (auto refusal = screen_framing(facts)) {
    // What follows on this connection cannot be trusted to start where the body ended.
    request.keep_alive(false);
    co_return co_await reply_error(stream, request, static_cast<http::status>(refusal->status),
                                   jsonrpc::error_code::kConnectionClosed, refusal->reason);
  }
  if (options_.public_document && path != options_.endpoint) {
    if (std::optional<std::string> document = options_.public_document(path, url())) {
      co_return co_await serve_public(stream, request, std::move(*document));
    }
  }
  if (auto refusal = screen_host_origin(facts, host_origin_rule_)) {
    co_return co_await reply_error(stream, request, static_cast<http::status>(refusal->status),
                                   jsonrpc::error_code::kConnectionClosed, refusal->reason);
  }
  if (path != options_.endpoint) {
    co_return co_await reply(stream, request, http::status::not_found, "not found\n", "text/plain");
  }
  std::string owner;  // the caller, for session binding, as the authorizer names them
  if (options_.authorizer &&
      (request.method() == http::verb::get || request.method() == http::verb::delete_)) {
    AuthorizationDecision decision = co_await authorize(request, nullptr);
    if (decision.status != 0) co_return co_await refuse(stream, request, std::move(decision));
    owner = std::move(decision.session_owner);
  }
  std::string authorization(request[http::field::authorization]);
  MessageContext base;
  if (std::string_view a = authorization; a.size() > 7 && to_lower(a.substr(0, 7)) == "bearer ") {
    base.bearer_token = std::string(trim(a.substr(7)));
  }
  switch (request.method()) {
    case http::verb::post:
      co_return co_await handle_post(stream, request, base);
    case http::verb::get:
      co_return co_await handle_get(stream, request, owner);
    case http::verb::delete_: {
      if (options_.stateless) {
        Headers allow = {{"Allow", "POST"}};
        co_return co_await reply(stream, request, http::status::method_not_allowed, "", "",
                                 std::move(allow));
      }
      auto id = request.find(kSessionHeader);
      if (id == request.end()) {
        co_return co_await reply_error(stream, request, http::status::bad_request,
                                       jsonrpc::error_code::kConnectionClosed,
                                       "missing Mcp-Session-Id header");
      }
      auto session = find_session(std::string(id->value()), owner);
      if (!session) {
        co_return co_await reply_error(stream, request, http::status::not_found,
                                       jsonrpc::error_code::kConnectionClosed, "session not found");
      }
      session->close(true);
      co_return co_await reply(stream, request, http::status::ok, "");
    }
    default: {
      Headers allow = {{"Allow", options_.stateless ? "POST" : "GET, POST, DELETE"}};
      co_return co_await reply(stream, request, http::status::method_not_allowed, "", "",
                               std::move(allow));
    }
  }
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle_post(S& stream, Request& request,
                                                   const MessageContext& base) {
  if (media_type(request[http::field::content_type]) != "application/json") {
    co_return co_await reply_error(stream, request, http::status::unsupported_media_type,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "Content-Type must be application/json");
  }
  std::string_view accept = request[http::field::accept];
  if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream")) {
    co_return co_await reply_error(stream, request, http::status::not_acceptable,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "Accept must list application/json and text/event-stream");
  }
  std::string_view body = request.body();
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  if (!trimmed.empty() && trimmed.front() == '[') {
    // Batches left the protocol in 2025-06-18; glassbox does not take them for any version.
    co_return co_await reply_error(stream, request, http::status::bad_request,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "JSON-RPC batches are not supported");
  }
  jsonrpc::ParseResult parsed = jsonrpc::parse(body);
  if (!parsed.message) {
    jsonrpc::ErrorResponse error =
        parsed.error ? *parsed.error
                     : jsonrpc::ErrorResponse{
                           std::nullopt, {jsonrpc::error_code::kParseError, "parse error", {}}};
    co_return co_await reply(stream, request, http::status::bad_request, jsonrpc::serialize(error),
                             "application/json");
  }
  jsonrpc::Message& message = *parsed.message;
  auto* as_request = std::get_if<jsonrpc::Request>(&message);
  bool is_initialize = as_request && as_request->method == "initialize";

  MessageContext context = base;
  std::string owner;
  if (options_.authorizer) {
    // After the parse, so that the decision can depend on the method (a tool's scopes); before
    // any session is found or made, so that a refused caller leaves no trace in the server.
    AuthorizationDecision decision = co_await authorize(request, &message);
    if (decision.status != 0) co_return co_await refuse(stream, request, std::move(decision));
    context.principal = std::move(decision.principal);
    owner = std::move(decision.session_owner);
  }
  if (options_.validate_request) {
    HeaderViews headers;
    for (const auto& field : request) headers.emplace_back(field.name_string(), field.value());
    if (auto refusal = options_.validate_request(headers, message)) {
      co_return co_await refuse(stream, request, std::move(*refusal));
    }
  }
  auto version = request.find(kProtocolHeader);
  // A sessionless version (2026-07-28): every POST stands alone.
  const bool sessionless =
      options_.stateless ||
      (version != request.end() &&
       std::find(options_.sessionless_protocol_versions.begin(),
                 options_.sessionless_protocol_versions.end(),
                 version->value()) != options_.sessionless_protocol_versions.end());
  if (version != request.end()) {
    std::string v(version->value());
    if (!is_initialize && !sessionless && !version_supported(v)) {
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kInvalidRequest,
                                     "unsupported MCP-Protocol-Version: " + v);
    }
    context.protocol_version = std::move(v);
  } else if (!is_initialize) {
    context.protocol_version = std::string(kFallbackProtocolVersion);
  }

  std::shared_ptr<HttpSession> session;
  bool fresh = false;
  auto session_header = request.find(kSessionHeader);
  if (sessionless) {
    session = make_session("");
    fresh = true;
  } else if (session_header == request.end()) {
    if (!is_initialize) {
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kConnectionClosed,
                                     "missing Mcp-Session-Id header");
    }
    std::shared_ptr<HttpSession> evicted;
    {
      std::lock_guard lock(mutex_);
      if (sessions_.size() >= options_.max_sessions && !stopping_) evicted = evict_unused_locked();
      if (sessions_.size() >= options_.max_sessions || stopping_) {
        session.reset();
      } else {
        session = make_session(random_session_id(), owner);
        sessions_[session->id()] = session;
        unused_order_.push_back(session);
      }
    }
    if (evicted) evicted->close(true);  // outside the lock: closing forgets it under the lock
    if (!session) {
      Headers retry = {{"Retry-After", std::to_string(retry_after_seconds())}};
      co_return co_await reply(
          stream, request, http::status::service_unavailable,
          error_body(jsonrpc::error_code::kConnectionClosed, "too many sessions"),
          "application/json", std::move(retry));
    }
    fresh = true;
  } else {
    session = find_session(std::string(session_header->value()), owner);
    if (!session) {
      co_return co_await reply_error(stream, request, http::status::not_found,
                                     jsonrpc::error_code::kConnectionClosed, "session not found");
    }
    if (as_request && !is_initialize) session->mark_used();
  }
  if (!session->id().empty()) context.session_id = session->id();
  if (fresh && on_session_) {
    bool started = true;
    try {
      on_session_(std::make_shared<SessionTransport>(session));
    } catch (...) {
      started = false;
    }
    if (!started) {
      session->close(true);
      co_return co_await reply_error(stream, request, http::status::internal_server_error,
                                     jsonrpc::error_code::kInternalError,
                                     "session could not be started");
    }
  }

  Headers session_headers;
  if (!session->id().empty()) session_headers.emplace_back(kSessionHeader, session->id());

  if (!as_request) {
    // Notifications and responses (a sampling answer, say) are accepted and go to the session.
    session->touch();
    session->deliver(std::move(message), std::move(context));
    if (sessionless) session->close(true);
    co_return co_await reply(stream, request, http::status::accepted, "", "",
                             std::move(session_headers));
  }

  auto sink = std::make_shared<Sink>(beast::get_lowest_layer(stream).get_executor());
  std::string key = jsonrpc::to_string(as_request->id);
  bool duplicate = false;
  auto sse = session->open_request_stream(key, sink, duplicate);
  if (!sse && duplicate) {
    co_return co_await reply_error(stream, request, http::status::bad_request,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "a request with this id is already in flight");
  }
  if (!sse) {
    session_headers.emplace_back("Retry-After", "1");
    co_return co_await reply(
        stream, request, http::status::too_many_requests,
        error_body(jsonrpc::error_code::kConnectionClosed, "too many open streams on this session"),
        "application/json", std::move(session_headers));
  }
  session->begin_request();
  session->deliver(std::move(message), std::move(context));
  bool keep = co_await serve_sse(stream, request, session, sse, sink, false);
  session->end_request();
  if (sessionless) session->close(true);
  co_return keep;
}

template <class S>
net::awaitable<bool> HttpServer::Impl::handle_get(S& stream, Request& request,
                                                  const std::string& owner) {
  if (options_.stateless) {
    Headers allow = {{"Allow", "POST"}};
    co_return co_await reply(stream, request, http::status::method_not_allowed, "", "",
                             std::move(allow));
  }
  if (!accepts(request[http::field::accept], "text/event-stream")) {
    co_return co_await reply_error(stream, request, http::status::not_acceptable,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "Accept must list text/event-stream");
  }
  auto id = request.find(kSessionHeader);
  if (id == request.end()) {
    co_return co_await reply_error(stream, request, http::status::bad_request,
                                   jsonrpc::error_code::kConnectionClosed,
                                   "missing Mcp-Session-Id header");
  }
  auto session = find_session(std::string(id->value()), owner);
  if (!session) {
    co_return co_await reply_error(stream, request, http::status::not_found,
                                   jsonrpc::error_code::kConnectionClosed, "session not found");
  }
  if (auto version = request.find(kProtocolHeader);
      version != request.end() && !version_supported(version->value())) {
    co_return co_await reply_error(stream, request, http::status::bad_request,
                                   jsonrpc::error_code::kInvalidRequest,
                                   "unsupported MCP-Protocol-Version");
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> resume;
  if (auto last = request.find(kLastEventIdHeader); last != request.end()) {
    resume = parse_event_id(last->value());
    if (!resume) {
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kInvalidRequest,
                                     "malformed Last-Event-ID");
    }
  }
  auto sink = std::make_shared<Sink>(beast::get_lowest_layer(stream).get_executor());
  std::shared_ptr<Stream> sse;
  switch (session->attach(resume, sink, sse)) {
    case HttpSession::AttachResult::kOk:
      break;
    case HttpSession::AttachResult::kConflict:
      co_return co_await reply_error(stream, request, http::status::conflict,
                                     jsonrpc::error_code::kConnectionClosed,
                                     "this session already has a standalone SSE stream");
    case HttpSession::AttachResult::kUnknown:
      // Replaying another stream's events would break the one-stream-per-message rule, and
      // silently starting over would hide the loss: the client learns it must not resume.
      co_return co_await reply_error(stream, request, http::status::bad_request,
                                     jsonrpc::error_code::kInvalidRequest,
                                     "unknown Last-Event-ID for this session");
    case HttpSession::AttachResult::kLimit: {
      Headers retry = {{"Retry-After", "1"}};
      co_return co_await reply(stream, request, http::status::too_many_requests,
                               error_body(jsonrpc::error_code::kConnectionClosed,
                                          "too many open streams on this session"),
                               "application/json", std::move(retry));
    }
    case HttpSession::AttachResult::kClosed:
      co_return co_await reply_error(stream, request, http::status::not_found,
                                     jsonrpc::error_code::kConnectionClosed, "session not found");
  }
  session->touch();
  session->mark_used();
  co_return co_await serve_sse(stream, request, session, sse, sink, resume.has_value());
}

template <class S>
net::awaitable<bool> HttpServer::Impl::serve_sse(S& stream, const Request& request,
                                                 const std::shared_ptr<HttpSession>& session,
                                                 const std::shared_ptr<Stream>& sse,
                                                 const std::shared_ptr<Sink>& sink, bool resumed) {
  // Detach on every exit, including the frame's destruction when the server is torn down.
  struct Detach {
    std::shared_ptr<HttpSession> session;
    std::shared_ptr<Stream> sse;
    std::shared_ptr<Sink> sink;
    ~Detach() { session->detach(sse, sink); }
  } detach{session, sse, sink};

  auto& lowest = beast::get_lowest_layer(stream);
  // The head, the priming event and (for a quick handler) the whole answer and the last chunk
  // go out in one write: one TCP segment for a typical call.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!session->id().empty()) head += std::string(kSessionHeader) + ": " + session->id() + "\r\n";
  if (!request.keep_alive()) head += "Connection: close\r\n";
  head += "Transfer-Encoding: chunked\r\n\r\n";
  // SEP-1699: the priming event carries an id (so the client can resume even before the first
  // message) and the reconnection delay; a resumed stream just restates the delay.
  std::string pending =
      resumed ? "retry: " + std::to_string(options_.sse_retry.count()) + "\n\n"
              : sse::format_priming_event(event_id(sse->number, 0), options_.sse_retry);

  bool armed = false;
  struct CancelWait {
    tcp::socket& socket;
    bool& armed;
    ~CancelWait() {
      boost::system::error_code ignored;
      if (armed) socket.cancel(ignored);
    }
  } cancel_wait{lowest.socket(), armed};

  bool finished = false;
  // Sessionless: the head waits for the first message (or the first keep-alive), so that an
  // error answering at once can still go out with its own status.
  bool may_hold = session->id().empty() && static_cast<bool>(options_.sessionless_error_status);
  for (;;) {
    HttpSession::Pull pull = session->pull(*sse, *sink);
    if (pull.dropped) break;
    if (pull.plain_status != 0 && !head.empty()) {
      // Nothing went out yet: the error travels with its HTTP status (2026-07-28).
      co_return co_await reply(stream, request, static_cast<http::status>(pull.plain_status),
                               std::move(pull.plain_body), "application/json");
    }
    pending += pull.frames;
    if (pull.released) {
      // The retry field right before the end tells the client when to come back (SEP-1699).
      pending += "retry: " + std::to_string(options_.sse_retry.count()) + "\n\n";
      pull.done = true;
    }
    bool hold = may_hold && !head.empty() && pull.frames.empty() && !pull.done;
    bool wrote = !pending.empty() && !hold;
    if (wrote || pull.done) {
      lowest.expires_after(kWriteTimeout);
      boost::system::error_code ec;
      if (pending.empty()) {  // a resumed stream whose answer was already read: just end it
        std::tie(ec, std::ignore) = co_await net::async_write(
            stream, beast::buffers_cat(net::buffer(head), http::make_chunk_last()), kTuple);
      } else if (pull.done) {
        std::tie(ec, std::ignore) = co_await net::async_write(
            stream,
            beast::buffers_cat(net::buffer(head), http::make_chunk(net::buffer(pending)),
                               http::make_chunk_last()),
            kTuple);
      } else {
        std::tie(ec, std::ignore) = co_await net::async_write(
            stream, beast::buffers_cat(net::buffer(head), http::make_chunk(net::buffer(pending))),
            kTuple);
      }
      head.clear();
      pending.clear();
      if (ec) break;
    }
    if (pull.done) {
      finished = true;
      break;
    }
    if (!armed) {
      // A client that goes away while the stream is idle is noticed at once: the socket turns
      // readable with nothing to read (EOF) or fails. Bytes waiting to be read are the next
      // pipelined request (HTTP/1.1 allows it): left in the socket for the loop in serve(), and
      // the watch ends there (a closing peer is then seen at the next write or read).
      armed = true;
      // (The handler may run after this frame is gone: it holds the descriptor, not the socket.)
      lowest.socket().async_wait(
          tcp::socket::wait_read,
          [sink, fd = lowest.socket().native_handle()](boost::system::error_code ec) {
            if (ec == net::error::operation_aborted) return;
            int available = 0;
            if (!ec && ::ioctl(fd, FIONREAD, &available) == 0 && available > 0) return;
            sink->peer_gone = true;
            sink->timer.cancel();
          });
    }
    if (wrote) continue;  // more may have arrived while writing
    sink->timer.expires_after(
        options_.sse_keepalive.count() > 0
            ? std::chrono::duration_cast<Clock::duration>(options_.sse_keepalive)
            : Clock::duration(std::chrono::hours(24)));
    auto [ec] = co_await sink->timer.async_wait(kTuple);
    if (!ec && options_.sse_keepalive.count() > 0) {
      pending += sse::format_comment("keepalive");
      may_hold = false;
    }
  }
  co_return finished&& request.keep_alive() && !sink->peer_gone;
}

template <class S>
net::awaitable<bool> HttpServer::Impl::serve_public(S& stream, const Request& request,
                                                    std::string document) {
  http::response<http::string_body> res{http::status::ok, request.version()};
  res.set(http::field::access_control_allow_origin, "*");
  switch (request.method()) {
    case http::verb::get:
      res.set(http::field::content_type, "application/json");
      res.body() = std::move(document);
      res.prepare_payload();
      break;
    case http::verb::head:
      res.set(http::field::content_type, "application/json");
      res.content_length(document.size());
      break;
    case http::verb::options:
      res.result(http::status::no_content);
      res.set(http::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
      // MCP clients send MCP-Protocol-Version on discovery requests (a non-simple header).
      res.set(http::field::access_control_allow_headers, "*");
      res.set(http::field::access_control_max_age, "86400");
      break;
    default:
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD, OPTIONS");
      res.prepare_payload();
      break;
  }
  res.keep_alive(request.keep_alive() && !stopping_);
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  boost::system::error_code ec;
  if (request.method() == http::verb::head) {
    http::response_serializer<http::string_body> serializer(res);
    serializer.split(true);  // the header only: a HEAD answer has no body
    std::tie(ec, std::ignore) = co_await http::async_write_header(stream, serializer, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write(stream, res, kTuple);
  }
  co_return !ec && res.keep_alive();
}

namespace {

// A connection waiting for its authorizer: the answer, and the timer that wakes the waiting
// coroutine. The timer lives in the coroutine frame; `timer` is cleared when the frame stops
// waiting, so a late answer never touches it.
struct AuthWait {
  std::mutex mutex;
  std::optional<AuthorizationDecision> decision;
  bool waiting = false;
  net::steady_timer* timer = nullptr;
};

}  // namespace

net::awaitable<AuthorizationDecision> HttpServer::Impl::authorize(const Request& request,
                                                                  const jsonrpc::Message* message) {
  auto wait = std::make_shared<AuthWait>();
  net::steady_timer timer(co_await net::this_coro::executor);
  {
    std::lock_guard lock(wait->mutex);
    wait->timer = &timer;
  }
  struct Release {
    std::shared_ptr<AuthWait> wait;
    ~Release() {
      std::lock_guard lock(wait->mutex);
      wait->timer = nullptr;
    }
  } release{wait};

  std::string server_url = url();
  auto header = [&](auto field) -> std::string_view {
    auto it = request.find(field);
    return it == request.end() ? std::string_view() : std::string_view(it->value());
  };
  AuthorizationRequest info{
      .http_method = request.method_string(),
      .target = request.target(),
      .authorization = header(http::field::authorization),
      .session_id = header(kSessionHeader),
      .protocol_version = header(kProtocolHeader),
      .message = message,
      .server_url = server_url,
  };
  std::weak_ptr<Impl> weak = weak_from_this();
  AuthorizationDone done = [wait, weak](AuthorizationDecision decision) {
    {
      std::lock_guard lock(wait->mutex);
      if (wait->decision || !wait->timer) return;
      wait->decision = std::move(decision);
      if (!wait->waiting) return;  // answered inside the call: nobody to wake
    }
    // From any thread: hop onto an I/O thread (unless the server stopped), then onto the
    // connection's strand, where the timer may be touched.
    if (auto self = weak.lock()) {
      self->post([wait] {
        std::lock_guard lock(wait->mutex);
        if (!wait->timer) return;
        net::post(wait->timer->get_executor(), [wait] {
          std::lock_guard inner(wait->mutex);
          if (wait->timer) wait->timer->cancel();
        });
      });
    }
  };
  try {
    options_.authorizer(info, done);
  } catch (...) {
    done(AuthorizationDecision{
        .status = 500,
        .body = error_body(jsonrpc::error_code::kInternalError, "authorization failed")});
  }
  bool must_wait = false;
  {
    std::lock_guard lock(wait->mutex);
    must_wait = !wait->decision;
    wait->waiting = must_wait;
  }
  if (must_wait) {
    timer.expires_after(options_.authorizer_timeout);
    co_await timer.async_wait(kTuple);
  }
  std::lock_guard lock(wait->mutex);
  if (wait->decision) co_return std::move(*wait->decision);
  AuthorizationDecision timeout{
      .status = 503,
      .body = error_body(jsonrpc::error_code::kConnectionClosed, "authorization timed out")};
  timeout.headers.emplace_back("Retry-After", "1");
  co_return timeout;
}

// ---- HttpServer -------------------------------------------------------------------------------

bool close_sse_stream(Transport& transport, const jsonrpc::Id& request) {
  auto* session = dynamic_cast<SessionTransport*>(&transport);
  return session && session->session().release_stream(jsonrpc::to_string(request));
}

HttpServer::HttpServer(HttpServerOptions options, SessionHandler on_session)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(on_session))) {}

HttpServer::~HttpServer() {
  impl_->stop();
}

bool HttpServer::adopt(int native_socket, std::string received) {
  return impl_->adopt(native_socket, std::move(received));
}

void HttpServer::start() {
  impl_->start();
}
std::uint16_t HttpServer::port() const {
  return impl_->port();
}
std::string HttpServer::url() const {
  return impl_->url();
}
void HttpServer::stop() {
  impl_->stop();
}
void HttpServer::wait() {
  impl_->wait();
}
std::size_t HttpServer::session_count() const {
  return impl_->session_count();
}
std::size_t HttpServer::connection_count() const {
  return impl_->connection_count();
}

}  // namespace glassbox::transport
