// The Streamable HTTP client's state and its parts (private to src/transport): one I/O thread
// per transport; every outgoing message is a coroutine that POSTs it on a pooled keep-alive
// connection and reads the answer. All mutable state lives on the I/O thread, except `closed_`.
//
//   http_client.cpp             lifecycle, delivery, the POST side (post_one), authorization
//   http_client_connection.cpp  connections: connect (TLS, SNI), the pool, one exchange, bodies
//   http_client_stream.cpp      SSE bodies, the GET stream and resumption (SEP-1699)
#pragma once

#include "glassbox/jsonrpc/envelope.hpp"
#include "glassbox/transport/http_client.hpp"

#include "transport/asio_net.hpp"
#include "transport/http_url.hpp"
#include "transport/sse.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>  // TlsStream (asio_net.hpp only declares it)

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace glassbox::transport::http_detail {

// One HTTP/1.1 connection, plain or TLS.
struct Connection {
  std::variant<PlainStream, TlsStream> stream;
  beast::flat_buffer buffer;

  template <class... Args>
  explicit Connection(Args&&... args) : stream(std::forward<Args>(args)...) {}

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream);
  }
  void close() {
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }
};

using Parser = http::response_parser<http::buffer_body>;

// How long the end of a POST's SSE stream may take once its answer is in (then the connection
// is dropped instead of reused).
inline constexpr std::chrono::seconds kSseTailWait{5};
// How long a request waits for such a connection before it opens one of its own: the end of a
// stream normally follows its answer at once (in the same packet, or the next).
inline constexpr std::chrono::milliseconds kPoolWait{20};
// How long releasing the client lets the I/O thread finish what closing cut short.
inline constexpr std::chrono::seconds kReleaseDrain{1};

// One operation on a connection, plain or TLS; the error, and for a body read the byte count.
net::awaitable<boost::system::error_code> write_request(Connection& c,
                                                        http::request<http::string_body>& req);
net::awaitable<boost::system::error_code> read_header(Connection& c, Parser& parser);
// Reads some body bytes into `into`.
net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(Connection& c,
                                                                                 Parser& parser,
                                                                                 char* into,
                                                                                 std::size_t size);

using Target = HttpUrl;

// The endpoint URL, parsed; std::invalid_argument when it is no http(s) URL.
Target parse_target(const std::string& url);

// An error response for the request whose id has the canonical text `key_json`.
jsonrpc::ErrorResponse transport_error(const std::string& key_json, int code, std::string message,
                                       json::value data = nullptr);

// A message to POST, as the caller's send() prepared it: serialized on the caller's thread, so
// the I/O side copies no JSON tree; with what the I/O side needs to know about it.
struct Outgoing {
  std::string body;
  std::optional<std::string> key;         // a request's id, canonical text
  bool initialize = false;                // an initialize request
  bool initialized = false;               // notifications/initialized
  bool cancel = false;                    // notifications/cancelled
  std::optional<std::string> cancel_key;  // its requestId, when it names one
  HeaderList headers;                     // SendOptions::headers
};

class HttpClientImpl : public std::enable_shared_from_this<HttpClientImpl> {
 public:
  explicit HttpClientImpl(HttpClientOptions options)
      : options_(std::move(options)), target_(parse_target(options_.url)) {
    if (target_.tls) {
      ssl_.emplace(net::ssl::context::tls_client);
      ssl_->set_default_verify_paths();
      if (!options_.ca_file.empty()) ssl_->load_verify_file(options_.ca_file);
      ssl_->set_verify_mode(options_.verify_peer ? net::ssl::verify_peer : net::ssl::verify_none);
    }
  }

  void start(Callbacks callbacks);

  // Transport::read_on_caller (http_client_lead.cpp): a lone caller runs the I/O itself while
  // the I/O thread stands by.
  bool read_on_caller(const Transport::CallerRead& read);

  bool send(const jsonrpc::Message& message, HeaderList headers);

  // Any thread. Sends the DELETE (bounded), ends every stream, then on_close.
  void close();

  // The transport object is going away: stop the thread (it owns the last reference).
  void release();

  ~HttpClientImpl() {
    // Only reached without release() when an auth helper thread held the last reference.
    std::lock_guard lock(auth_threads_mutex_);
    for (std::thread& t : auth_threads_)
      if (t.joinable()) t.detach();
  }

 private:
  // ---- who runs the I/O (http_client_lead.cpp) ----
  //
  // One thread at a time runs io_, so all the state below marked "I/O thread" needs no lock:
  // the I/O thread, or a caller waiting alone for its answer (read_on_caller) while the I/O
  // thread stands by. After it delivers the answer a lone caller waits for, the I/O thread
  // stands by for a tick: the caller's next call then does its own I/O, and a sequential call
  // wakes no other thread. The I/O thread runs again when asked or after a tick nobody led.

  enum class Runner { kIoThread, kStandby, kCaller };

  // The I/O thread's body: runs io_ one handler at a time, standing by when a lone caller's
  // answer has come.
  void run_io_thread();
  // I/O thread, after a handler: stands by when the lone caller's answer is in.
  void stand_by_if_answered();
  void stand_by(std::unique_lock<std::mutex>& lock);
  // Any thread: the I/O thread, if it stands by, runs io_ again now.
  void resume_io_thread();
  // Runs io_ on the calling caller's thread until its answer, its deadline or the end.
  void lead(const Transport::CallerRead& read);
  // True on the thread that runs io_ at the moment (the I/O thread or a leading caller).
  bool runs_io_here() const;

  std::mutex lead_mutex_;  // guards the members below, up to caller_wait_
  std::condition_variable standby_cv_;
  Runner runner_ = Runner::kIoThread;
  bool resume_now_ = false;
  bool caller_led_ = false;                           // a caller led during this standby tick
  bool ended_ = false;                                // the I/O thread is gone or going
  bool io_ran_out_ = false;                           // io_ ran out of work on the I/O thread
  std::optional<Transport::CallerRead> caller_wait_;  // a lone caller waits while the thread runs
  std::atomic<bool> caller_waiting_{false};           // caller_wait_ is set

  // ---- delivery (I/O thread) ----

  void deliver(jsonrpc::Message message);

  void deliver_error(const std::optional<std::string>& key, int code, std::string message,
                     json::value data = nullptr) {
    if (!key || !pending_.count(*key)) return;
    deliver(transport_error(*key, code, std::move(message), std::move(data)));
  }

  jsonrpc::EnvelopeLimits envelope_limits() const {
    return {.max_message_bytes = options_.max_message_bytes,
            .max_telemetry_bytes = options_.max_message_bytes};
  }

  // A refusal has no way back to the server over HTTP: only what is delivered matters (a broken
  // answer becomes an error for its call).
  void deliver_received(jsonrpc::Received received) {
    if (received.message) deliver(std::move(*received.message));
  }

  void deliver_text(std::string_view text) {
    deliver_received(jsonrpc::EnvelopeReader::read(text, envelope_limits()));
  }

  void finish_close();

  // The server forgot the session (404): nothing more can be said on it.
  void session_lost();

  // ---- connections (I/O thread) ----

  net::awaitable<std::unique_ptr<Connection>> connect(boost::system::error_code& ec);

  std::unique_ptr<Connection> take_idle() {
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<Connection> c) {
    if (closing_ || idle_.size() >= 8) return;
    idle_.push_back(std::move(c));
    wake_pool_waiters();
  }

  // A connection whose answer is in while the end of its SSE stream is still being read (as
  // long as one lives): a request sent meanwhile waits a moment for it rather than connecting.
  struct Drain {
    HttpClientImpl* self;
    explicit Drain(HttpClientImpl* s) : self(s) {
      ++self->draining_;
      self->drain_started_ = std::chrono::steady_clock::now();
    }
    ~Drain() {
      --self->draining_;
      self->wake_pool_waiters();
    }
  };

  void wake_pool_waiters() {
    for (net::steady_timer* t : pool_waiters_) t->cancel();
  }

  // An idle connection, else one that is finishing its stream, waited for at most kPoolWait
  // after its answer; null when neither (the caller connects).
  net::awaitable<std::unique_ptr<Connection>> take_pooled();

  // `sent_token` receives the access token the request carries, for a later challenge.
  http::request<http::string_body> make_request(http::verb verb, std::string* sent_token = nullptr);

  // Sends `req` and reads the response header, retrying once on a fresh connection when a
  // pooled one turns out to be dead (the server closed it while idle).
  net::awaitable<std::unique_ptr<Connection>> exchange(http::request<http::string_body>& req,
                                                       std::unique_ptr<Parser>& parser,
                                                       boost::system::error_code& ec);

  // Connections with an operation in flight, so that close() can end them.
  struct Track {
    HttpClientImpl* self;
    Connection* c;
    Track(HttpClientImpl* s, Connection* conn) : self(s), c(conn) { self->active_.insert(c); }
    ~Track() { self->active_.erase(c); }
  };

  net::awaitable<std::string> read_small_body(Connection& c, Parser& parser, std::size_t limit,
                                              bool& complete);

  // Reads a JSON body into an EnvelopeReader as it arrives (memory bounded, whatever its size).
  net::awaitable<std::optional<jsonrpc::Received>> read_json_body(Connection& c, Parser& parser);

  // Reads an SSE body until it ends or `await_key` is answered. Updates last id and retry.
  // Returns true when the stream ended cleanly (the connection may be reused).
  net::awaitable<bool> read_sse(Connection& c, Parser& parser, sse::Parser& events,
                                const std::optional<std::string>& await_key);

  // ---- authorization (I/O thread, except the work handed to helper threads) ----

  // A blocking authorizer call in progress on a helper thread; the coroutine that waits for it
  // sleeps on `timer`, which the completion cancels.
  struct AuthWait {
    net::steady_timer* timer = nullptr;  // I/O thread only; null once the waiter is gone
    bool done = false;
    transport::HttpChallengeAnswer answer;
  };

  // Not a coroutine, for the reason given at refresh_job().
  void start_helper(std::shared_ptr<AuthWait> wait,
                    std::function<transport::HttpChallengeAnswer()> work);

  // Runs `work` on a helper thread and resumes when it is done, or when the transport closes
  // (then the answer is "do not retry"). Exceptions from `work` become the answer's reason.
  net::awaitable<transport::HttpChallengeAnswer> run_blocking(
      std::function<transport::HttpChallengeAnswer()> work);

  // The jobs are built by plain functions, not inside coroutines: GCC 12 miscompiles lambdas
  // in a coroutine body that capture the coroutine's parameters (double destruction).
  std::function<transport::HttpChallengeAnswer()> refresh_job() const {
    return [authorizer = options_.authorizer] {
      authorizer->refresh();
      return transport::HttpChallengeAnswer{};
    };
  }
  std::function<transport::HttpChallengeAnswer()> challenge_job(
      const transport::HttpChallenge& challenge) const {
    return [authorizer = options_.authorizer, challenge] {
      return authorizer->on_challenge(challenge);
    };
  }

  // Before a request: a token about to expire is refreshed first (on a helper thread).
  net::awaitable<void> refresh_if_due() {
    if (!options_.authorizer || !options_.authorizer->token().refresh_first) co_return;
    co_await run_blocking(refresh_job());
  }

  bool is_challenge(unsigned status) const {
    return options_.authorizer && (status == 401 || status == 403);
  }

  static std::string www_authenticate(const http::response<http::buffer_body>& res);

  // Closing: requests waiting for the authorizer give up now (they see closing_).
  void wake_auth_waiters() {
    for (const auto& wait : auth_waits_)
      if (wait->timer) wait->timer->cancel();
  }

  void join_auth_threads();

  // ---- the work ----

  // Each message is its own POST, so two may overtake each other. Servers that refuse requests
  // until they have processed `notifications/initialized` (Arcade MCP does) must see the notice
  // first: what is sent after it waits until the notice's POST has been answered.
  // A 2026-07-28 notifications/cancelled (its message carries MCP-Protocol-Version): closes the
  // request's stream instead of being sent. False when the message is anything else.
  bool cancel_by_closing(const Outgoing& out);
  net::awaitable<void> post_message(Outgoing out);

  net::awaitable<void> post_one(Outgoing out);

  // GET streams: the standalone stream (no await_key) or the resumption of a request's stream.
  // Reconnects after `retry` (the server's, else the default) up to max_reconnects failures in a
  // row; a stream the server closes gracefully is polling (SEP-1699), not a failure.
  net::awaitable<void> resume_stream(std::string last_id,
                                     std::optional<std::chrono::milliseconds> retry,
                                     std::optional<std::string> await_key);

  net::awaitable<void> shutdown(std::shared_ptr<std::promise<void>> done);

  HttpClientOptions options_;
  Target target_;
  // I/O thread; before io_, whose destruction ends the coroutines that use them.
  std::size_t draining_ = 0;  // connections reading the end of an answered SSE stream
  std::chrono::steady_clock::time_point drain_started_;  // when the latest of them began
  std::vector<net::steady_timer*> pool_waiters_;         // requests waiting in take_pooled()
  std::set<Connection*> active_;                         // see Track
  net::io_context io_;
  std::optional<net::ssl::context> ssl_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
  std::thread::id thread_id_;
  Callbacks callbacks_;
  std::atomic<bool> started_{false};
  std::atomic<bool> closed_{false};

  // I/O thread only.
  bool closing_ = false;
  bool close_delivered_ = false;
  bool get_started_ = false;
  std::optional<std::string> session_id_;
  std::optional<std::string> protocol_version_;
  std::optional<std::string> initialize_key_;
  std::set<std::string> pending_;  // requests sent and not answered yet
  // MCP 2026-07-28 cancels a request by closing its response stream (no notifications/cancelled
  // POST): the connection each request's SSE answer is read from, and the requests cancelled
  // before their stream began.
  std::map<std::string, Connection*> streaming_;
  std::set<std::string> cancelled_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::set<std::shared_ptr<AuthWait>> auth_waits_;
  bool initialized_in_flight_ = false;  // a notifications/initialized POST is unanswered
  net::steady_timer initialized_gate_{io_, net::steady_timer::time_point::max()};

  // Helper threads that ran (or run) blocking authorizer calls; joined on release().
  std::mutex auth_threads_mutex_;
  std::vector<std::thread> auth_threads_;
};

}  // namespace glassbox::transport::http_detail
