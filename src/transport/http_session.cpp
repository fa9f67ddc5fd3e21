// One session of the Streamable HTTP server: streams, replay, inbox (http_session.hpp), and the
// SSE writer that puts a stream on a connection.
#include "transport/http_session.hpp"

#include "glassbox/transport/secure_random.hpp"

#include "jsonrpc/serialize_append.hpp"
#include "transport/http_common.hpp"
#include "transport/http_sse_serve.hpp"
#include "transport/sse.hpp"

#include <sys/ioctl.h>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <system_error>
#include <tuple>

namespace glassbox::transport {

namespace http_detail {

namespace {

// Finished request streams kept per session so that a client that lost the connection just
// before the response can still resume and read it.
constexpr std::size_t kFinishedStreamsKept = 32;

// The most room a thread's serialization buffer keeps between answers (HttpSession::send).
constexpr std::size_t kMaxKeptLine = std::size_t{64} * 1024;

std::optional<std::string> key_of(const jsonrpc::Message& message) {
  if (auto* r = std::get_if<jsonrpc::Response>(&message)) return jsonrpc::to_string(r->id);
  if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&message)) {
    if (e->id) return jsonrpc::to_string(*e->id);
  }
  return std::nullopt;
}

}  // namespace

std::string event_id(std::uint64_t stream, std::uint64_t seq) {
  char text[41];  // two 20-digit numbers and '_': within the small-string buffer when short
  char* end = std::to_chars(text, text + 20, stream).ptr;
  *end++ = '_';
  end = std::to_chars(end, end + 20, seq).ptr;
  return {text, end};
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

HttpSession::HttpSession(std::string id, bool stateless, SessionLimits limits,
                         std::weak_ptr<SessionHost> server, std::string owner)
    : id_(std::move(id)),
      owner_(std::move(owner)),
      stateless_(stateless),
      limits_(limits),
      server_(std::move(server)) {
  last_activity_ = Clock::now();
}

void HttpSession::abandon() {
  {
    std::lock_guard lock(mutex_);
    callbacks_.reset();
    inbox_.clear();
  }
  close(true);
}

void HttpSession::deliver(jsonrpc::Message message, MessageContext context) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    inbox_.push_back({std::move(message), std::move(context)});
  }
  // A one-shot session's request runs on an I/O thread, but not inside the connection's
  // coroutine: that one must be free to write the request's notifications as they come.
  if (one_shot()) {
    schedule_drain();
  } else {
    drain();
  }
}

std::shared_ptr<Sink> PostSpares::take_sink(const net::any_io_executor& executor) {
  if (std::shared_ptr<Sink> sink = sinks.take()) {
    static_cast<SinkState&>(*sink) = SinkState();
    sink->peer_gone = false;
    return sink;
  }
  return std::make_shared<Sink>(executor);
}

std::shared_ptr<Stream> PostSpares::take_stream() {
  if (std::shared_ptr<Stream> stream = streams.take()) {
    *stream = Stream();
    return stream;
  }
  return std::make_shared<Stream>();
}

std::shared_ptr<Stream> HttpSession::open_request_stream(const std::string& key,
                                                         const std::shared_ptr<Sink>& sink,
                                                         bool& duplicate,
                                                         std::shared_ptr<Stream> blank) {
  std::lock_guard lock(mutex_);
  // A second request with an id still in flight could not be told apart from the first.
  duplicate = in_flight_locked(key) != nullptr;
  if (closed_ || duplicate) return nullptr;
  if (!stateless_ && attached_ >= limits_.max_streams) return nullptr;
  std::shared_ptr<Stream> stream = std::move(blank);
  stream->number = next_stream_++;
  stream->request_key = key;
  stream->sink = sink;
  ++attached_;
  if (one_shot() && !one_shot_stream_) {
    one_shot_stream_ = stream;
  } else {
    streams_[stream->number] = stream;
    by_request_[key] = stream->number;
  }
  return stream;
}

std::shared_ptr<Stream> HttpSession::in_flight_locked(const std::string& key) {
  if (one_shot_stream_ && !one_shot_stream_->finished && one_shot_stream_->request_key == key) {
    return one_shot_stream_;
  }
  auto it = by_request_.find(key);
  return it == by_request_.end() ? nullptr : streams_[it->second];
}

std::shared_ptr<Stream> HttpSession::any_in_flight_locked() {
  if (one_shot_stream_ && !one_shot_stream_->finished) return one_shot_stream_;
  return by_request_.empty() ? nullptr : streams_[by_request_.begin()->second];
}

HttpSession::AttachResult HttpSession::attach(
    std::optional<std::pair<std::uint64_t, std::uint64_t>> resume,
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

void HttpSession::detach(const std::shared_ptr<Stream>& stream, const std::shared_ptr<Sink>& sink) {
  std::lock_guard lock(mutex_);
  if (stream->sink == sink) {
    stream->sink.reset();
    --attached_;
  }
  last_activity_ = Clock::now();
  trim_locked(*stream);
}

HttpSession::Pull HttpSession::pull(Stream& stream, Sink& sink) {
  std::lock_guard lock(mutex_);
  Pull pull;
  if (sink.drop || sink.peer_gone.load() || stream.sink.get() != &sink) {
    pull.dropped = true;
    return pull;
  }
  for (auto& e : stream.events) {
    if (e.seq <= sink.cursor) continue;
    // A one-shot session's stream cannot be resumed (no session id to GET it with): its one
    // frame is handed over, not copied.
    if (one_shot() && pull.frames.empty()) {
      pull.frames = std::move(e.frame);
    } else {
      pull.frames += e.frame;
    }
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
  sink.may_wait = true;
  trim_locked(stream);
  return pull;
}

bool HttpSession::release_stream(const std::string& key) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<Stream> stream = in_flight_locked(key);
  if (!stream || !stream->sink) return false;
  stream->sink->release = true;
  stream->sink->wake();
  return true;
}

void HttpSession::touch() {
  std::lock_guard lock(mutex_);
  last_activity_ = Clock::now();
}

void HttpSession::begin_request() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
  last_activity_ = Clock::now();
}

void HttpSession::end_request() {
  std::lock_guard lock(mutex_);
  --in_flight_;
  last_activity_ = Clock::now();
}

bool HttpSession::idle_since(Clock::time_point limit) {
  std::lock_guard lock(mutex_);
  return attached_ == 0 && in_flight_ == 0 && last_activity_ < limit;
}

bool HttpSession::quiet() {
  std::lock_guard lock(mutex_);
  return attached_ == 0 && in_flight_ == 0;
}

Clock::time_point HttpSession::last_activity() {
  std::lock_guard lock(mutex_);
  return last_activity_;
}

void HttpSession::drop_standalone() {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(0);
  if (it != streams_.end() && it->second->sink) {
    it->second->sink->drop = true;
    it->second->sink->wake();
  }
}

std::shared_ptr<Stream> HttpSession::standalone_locked() {
  auto& slot = streams_[0];
  if (!slot) slot = std::make_shared<Stream>();
  return slot;
}

void HttpSession::trim_locked(Stream& stream) {
  while (stream.events.size() > limits_.replay_buffer_events &&
         (!stream.sink || stream.events.front().seq <= stream.sink->cursor)) {
    stream.events.pop_front();
  }
}

void HttpSession::start(Callbacks callbacks) {
  start(std::make_shared<const Callbacks>(std::move(callbacks)));
}

void HttpSession::start(std::shared_ptr<const Callbacks> callbacks) {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
    callbacks_ = std::move(callbacks);
    started_ = true;
    if (inbox_.empty()) return;
  }
  schedule_drain();
}

void HttpSession::schedule_drain() {
  if (auto server = server_.lock()) {
    if (server->post_drain(shared_from_this())) return;
  }
  drain();
}

void HttpSession::will_block() {
  if (auto server = server_.lock()) server->inline_watch().will_block();
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
    // A one-shot session's request runs right here, on the I/O thread: watched, so that a
    // slow one gets a relief thread. Its close notice only ends the MCP session (nothing in
    // it waits): two locks of the watch's a request less.
    std::shared_ptr<SessionHost> watcher = one_shot() && item.message ? server_.lock() : nullptr;
    std::uint64_t token = watcher ? watcher->inline_watch().begin() : 0;
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
    if (watcher) watcher->inline_watch().end(token);
    lock.lock();
  }
  draining_ = false;
}

namespace {
// The close notice delivered outside drain() (which delivers its own).
void run_on_close(const std::shared_ptr<const Callbacks>& callbacks) {
  try {
    if (callbacks && callbacks->on_close) callbacks->on_close();
  } catch (...) {
    // As in drain(): the MCP layer maps its own errors.
  }
}
}  // namespace

void HttpSession::finish_close() {
  std::shared_ptr<const Callbacks> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (!started_ || draining_) return;  // a drain under way delivers it itself
    const bool close_queued = std::any_of(inbox_.begin(), inbox_.end(),
                                          [](const Inbound& item) { return !item.message; });
    inbox_.clear();
    if (!close_queued) return;
    callbacks = callbacks_;
  }
  run_on_close(callbacks);
}

bool HttpSession::send(const jsonrpc::Message& message, const SendOptions& options) {
  // The message is serialized before the lock into a buffer each thread keeps, without a raw
  // member's text (a passback answer's spans, 2 kB and more); the event is made under the lock,
  // once the seq gives its id: one allocation of its size, the text copied once, where it goes.
  // An error answer keeps its text apart, as a sessionless one may go out as plain JSON.
  const auto* error = std::get_if<jsonrpc::ErrorResponse>(&message);
  std::string payload;
  thread_local std::string t_line;
  std::string& line = t_line;
  std::size_t raw_at = SIZE_MAX;
  if (error) {
    payload = jsonrpc::serialize(message);
  } else {
    line.clear();
    raw_at = jsonrpc::serialize_append_without_raw(line, message);
  }
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  std::optional<std::string> own = key_of(message);
  std::optional<std::string> key =
      options.related_request ? std::optional(jsonrpc::to_string(*options.related_request)) : own;
  std::shared_ptr<Stream> stream;
  if (key) stream = in_flight_locked(*key);
  if (!stream && stateless_) {
    // Stateless: the one request stream is the only way to reach the client.
    stream = any_in_flight_locked();
  }
  if (!stream) stream = standalone_locked();

  std::uint64_t seq = stream->next_seq++;
  std::string frame;
  if (error) {
    frame = sse::format_event(payload, event_id(stream->number, seq));
  } else if (raw_at == SIZE_MAX) {
    frame = sse::format_line_event(event_id(stream->number, seq), {line});
  } else {
    const std::string_view whole = line;
    frame = sse::format_line_event(
        event_id(stream->number, seq),
        {whole.substr(0, raw_at), std::get<jsonrpc::Response>(message).raw->json,
         whole.substr(raw_at)});
  }
  if (line.capacity() > kMaxKeptLine) std::string().swap(line);  // one large answer's room
  std::size_t size = frame.size();
  stream->events.push_back({seq, std::move(frame)});

  if (own && !stream->request_key.empty() && *own == stream->request_key) {
    stream->finished = true;
    if (error && seq == 1 && id_.empty() && limits_.sessionless_error_status) {
      stream->plain_status = limits_.sessionless_error_status(error->error);
      if (stream->plain_status != 0) stream->plain_body = payload;
    }
    if (stream != one_shot_stream_) {
      by_request_.erase(*own);
      finished_.push_back(stream->number);
    }
    while (finished_.size() > kFinishedStreamsKept) {
      auto it = streams_.find(finished_.front());
      if (it != streams_.end() && !it->second->sink) streams_.erase(it);
      finished_.pop_front();
    }
  }
  if (stream->sink) {
    stream->sink->queued_bytes += size;
    if (stream->sink->queued_bytes > limits_.max_stream_queue_bytes) stream->sink->drop = true;
    if (stream->sink->may_wait || stream->sink->drop) {
      stream->sink->may_wait = false;
      stream->sink->wake();
    }
  }
  trim_locked(*stream);
  return true;
}

void HttpSession::close(bool inline_drain) {
  std::shared_ptr<const Callbacks> close_now;
  // A one-shot session's streams can never be resumed: their events go now (released outside
  // the lock), not when the session goes, which a recycled MCP session may put off.
  std::shared_ptr<Stream> one_shot_stream;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    auto drop = [](Stream& stream) {
      if (stream.sink) {
        stream.sink->drop = true;
        stream.sink->wake();
      }
    };
    if (one_shot_stream_) drop(*one_shot_stream_);
    for (auto& [number, stream] : streams_) drop(*stream);
    if (one_shot()) {
      one_shot_stream = std::move(one_shot_stream_);
      streams.swap(streams_);
      by_request_.clear();
      finished_.clear();
    }
    // A one-shot session's request may be running in the drain (subscriptions/listen runs
    // until its client goes away): the close notice must reach it now, not after it returns.
    if (one_shot() && draining_) {
      close_now = callbacks_;
    } else {
      inbox_.push_back({std::nullopt, {}});
    }
  }
  // A one-shot session was never in the server's table.
  if (!one_shot()) {
    if (auto server = server_.lock()) server->forget_session(id_);
  }
  if (close_now) {
    run_on_close(close_now);
    return;
  }
  if (inline_drain) {
    drain();
  } else {
    schedule_drain();
  }
}

void HttpSession::renew() {
  std::lock_guard lock(mutex_);
  started_ = false;
  draining_ = false;
  closed_ = false;
  callbacks_.reset();
  inbox_.clear();
  one_shot_stream_.reset();
  streams_.clear();
  by_request_.clear();
  finished_.clear();
  next_stream_ = 1;
  attached_ = 0;
  in_flight_ = 0;
  last_activity_ = Clock::now();
  used_.store(false, std::memory_order_relaxed);
}

// ---- SessionTable ------------------------------------------------------------------------------

namespace {

std::string random_session_id() {
  unsigned char bytes[24];
  secure_random_bytes(bytes, sizeof bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(sizeof bytes * 2);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

}  // namespace

SessionTable::SessionTable(const HttpServerOptions& options)
    : limits_{options.replay_buffer_events, options.max_stream_queue_bytes,
              options.max_streams_per_session, options.sessionless_error_status},
      stateless_(options.stateless),
      max_sessions_(options.max_sessions),
      idle_timeout_(options.session_idle_timeout),
      unused_timeout_(options.unused_session_timeout) {}

std::shared_ptr<HttpSession> SessionTable::make(std::string id, std::weak_ptr<SessionHost> host,
                                                std::string owner) const {
  return std::make_shared<HttpSession>(std::move(id), stateless_, limits_, std::move(host),
                                       std::move(owner));
}

std::shared_ptr<HttpSession> SessionTable::make_one_shot(const std::shared_ptr<SessionHost>& host) {
  // The last one kept is still held by the MCP session that took its transport (recycled at
  // its next request): take() passes it for the one before.
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(spare_mutex_);
    session = spare_one_shots_.take();
  }
  if (!session) return make("", host, "");
  session->renew();
  return session;
}

void SessionTable::keep_one_shot(std::shared_ptr<HttpSession> session) {
  std::shared_ptr<HttpSession> gave_way;  // released outside the lock
  std::lock_guard lock(spare_mutex_);
  gave_way = spare_one_shots_.keep(std::move(session));
}

std::shared_ptr<HttpSession> SessionTable::create(std::string owner,
                                                  std::weak_ptr<SessionHost> host, bool stopping) {
  std::shared_ptr<HttpSession> session, evicted;
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= max_sessions_ && !stopping) evicted = evict_unused_locked();
    if (sessions_.size() < max_sessions_ && !stopping) {
      session = make(random_session_id(), std::move(host), std::move(owner));
      sessions_[session->id()] = session;
      unused_order_.push_back(session);
    }
  }
  if (evicted) evicted->close(true);  // outside the lock: closing forgets it under the lock
  return session;
}

// Under mutex_; the caller closes what it returns, outside the lock.
std::shared_ptr<HttpSession> SessionTable::evict_unused_locked() {
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

std::shared_ptr<HttpSession> SessionTable::find(const std::string& id, std::string_view owner) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->owner() != owner) return nullptr;
  return it->second;
}

void SessionTable::forget(const std::string& id) {
  if (id.empty()) return;
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

long SessionTable::retry_after_seconds() {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  auto soonest = idle_timeout_;
  for (auto& [id, session] : sessions_) {
    if (!session->quiet()) continue;
    auto left = session->last_activity() + idle_timeout_ - now;
    soonest = std::min(soonest, std::chrono::duration_cast<std::chrono::seconds>(left));
  }
  return std::max<long>(1, static_cast<long>(soonest.count()));
}

std::vector<std::shared_ptr<HttpSession>> SessionTable::expired(Clock::time_point now) {
  auto limit = now - idle_timeout_;
  auto unused_limit = now - unused_timeout_;
  std::vector<std::shared_ptr<HttpSession>> expired;
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
  return expired;
}

std::vector<std::shared_ptr<HttpSession>> SessionTable::all() {
  std::vector<std::shared_ptr<HttpSession>> all;
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) all.push_back(session);
  return all;
}

void SessionTable::clear() {
  std::lock_guard lock(mutex_);
  sessions_.clear();
}

std::size_t SessionTable::size() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

// ---- serve_sse (its body: http_sse_serve.hpp) --------------------------------------------------

template net::awaitable<bool> serve_sse(PlainStream&, const Request&,
                                        const std::shared_ptr<HttpSession>&,
                                        const std::shared_ptr<Stream>&,
                                        const std::shared_ptr<Sink>&, bool, SseTiming);
}  // namespace http_detail

bool close_sse_stream(Transport& transport, const jsonrpc::Id& request) {
  auto* session = dynamic_cast<http_detail::SessionTransport*>(&transport);
  return session && session->session().release_stream(jsonrpc::to_string(request));
}

}  // namespace glassbox::transport
