// Streamable HTTP client (MCP 2025-11-25) on Asio + Beast with C++20 coroutines.
//
// One I/O thread per transport. Every outgoing message is a coroutine that POSTs it on a pooled
// keep-alive connection and reads the answer; SSE answers are parsed incrementally and each
// message delivered as it arrives. All mutable state lives on the I/O thread, except `closed_`.
#include "glassbox/transport/http_client.hpp"

#include "glassbox/jsonrpc/envelope.hpp"

#include "transport/http_common.hpp"
#include "transport/http_url.hpp"
#include "transport/sse.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <variant>

namespace glassbox::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace http_detail;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kErrorBodyBytes = 64 * 1024;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

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

net::awaitable<boost::system::error_code> write_request(Connection& c,
                                                        http::request<http::string_body>& req) {
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [ec, n] = co_await http::async_write(*plain, req, kTuple);
    co_return ec;
  }
  auto [ec, n] = co_await http::async_write(std::get<TlsStream>(c.stream), req, kTuple);
  co_return ec;
}

net::awaitable<boost::system::error_code> read_header(Connection& c, Parser& parser) {
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [ec, n] = co_await http::async_read_header(*plain, c.buffer, parser, kTuple);
    co_return ec;
  }
  auto [ec, n] =
      co_await http::async_read_header(std::get<TlsStream>(c.stream), c.buffer, parser, kTuple);
  co_return ec;
}

// Reads some body bytes into `into`; returns the error and the count.
net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(Connection& c,
                                                                                 Parser& parser,
                                                                                 char* into,
                                                                                 std::size_t size) {
  parser.get().body().data = into;
  parser.get().body().size = size;
  boost::system::error_code ec;
  if (auto* plain = std::get_if<PlainStream>(&c.stream)) {
    auto [e, n] = co_await http::async_read_some(*plain, c.buffer, parser, kTuple);
    ec = e;
  } else {
    auto [e, n] =
        co_await http::async_read_some(std::get<TlsStream>(c.stream), c.buffer, parser, kTuple);
    ec = e;
  }
  if (ec == http::error::need_buffer) ec = {};
  co_return std::pair{ec, size - parser.get().body().size};
}

using Target = HttpUrl;

Target parse_target(const std::string& url) {
  std::string error;
  std::optional<HttpUrl> parsed = parse_http_url(url, error);
  if (!parsed) throw std::invalid_argument(error + " '" + url + "'");
  return std::move(*parsed);
}

jsonrpc::ErrorResponse transport_error(const std::string& key_json, int code, std::string message,
                                       json::value data = nullptr) {
  jsonrpc::ErrorResponse e;
  // Recover the id from its canonical text: a number or a JSON string.
  if (auto v = json::parse(key_json)) {
    if (v->is_int64()) {
      e.id = v->as_int64();
    } else if (v->is_string()) {
      e.id = std::string(v->as_string());
    }
  }
  e.error = jsonrpc::Error{code, std::move(message), std::move(data)};
  return e;
}

}  // namespace

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

  void start(Callbacks callbacks) {
    if (started_.exchange(true)) return;
    callbacks_ = std::move(callbacks);
    work_.emplace(io_.get_executor());
    // The thread keeps the impl alive: the transport may be destroyed on this very thread.
    thread_ = std::thread([self = shared_from_this()] {
      for (;;) {
        try {
          self->io_.run();
          break;
        } catch (const std::exception& e) {
          std::cerr << "glassbox http client: " << e.what() << "\n";
        }
      }
    });
    thread_id_ = thread_.get_id();
  }

  bool send(const jsonrpc::Message& message, HeaderList headers) {
    if (closed_.load() || !started_.load()) return false;
    net::post(io_, [self = shared_from_this(), message, headers = std::move(headers)] {
      if (self->closing_) return;
      net::co_spawn(self->io_, self->post_message(message, headers), net::detached);
    });
    return true;
  }

  // Any thread. Sends the DELETE (bounded), ends every stream, then on_close.
  void close() {
    if (closed_.exchange(true)) return;
    // A person may be in the middle of logging in for a refused request: nobody wants it now.
    if (options_.authorizer) options_.authorizer->cancel();
    if (!started_.load()) return;
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    net::post(io_, [self = shared_from_this(), done] {
      net::co_spawn(self->io_, self->shutdown(done), net::detached);
    });
    if (std::this_thread::get_id() != thread_id_) {
      finished.wait_for(options_.delete_timeout + options_.connect_timeout +
                        std::chrono::seconds(1));
    }
  }

  // The transport object is going away: stop the thread (it owns the last reference).
  void release() {
    close();
    join_auth_threads();
    if (!started_.load()) return;
    if (std::this_thread::get_id() == thread_id_) {
      io_.stop();
      thread_.detach();
    } else {
      // Bounded: whatever is still pending after close is abandoned.
      io_.stop();
      if (thread_.joinable()) thread_.join();
    }
  }

  ~HttpClientImpl() {
    // Only reached without release() when an auth helper thread held the last reference.
    std::lock_guard lock(auth_threads_mutex_);
    for (std::thread& t : auth_threads_)
      if (t.joinable()) t.detach();
  }

 private:
  // ---- delivery (I/O thread) ----

  void deliver(jsonrpc::Message message) {
    if (close_delivered_) return;
    if (auto* r = std::get_if<jsonrpc::Response>(&message)) {
      std::string key = jsonrpc::to_string(r->id);
      if (initialize_key_ && key == *initialize_key_) {
        // The negotiated version goes on every later request (MCP-Protocol-Version).
        if (const auto* v =
                json::find_string(json::as_object_or_empty(r->result), "protocolVersion")) {
          protocol_version_ = std::string(*v);
        }
        initialize_key_.reset();
      }
      pending_.erase(key);
    } else if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&message)) {
      if (e->id) pending_.erase(jsonrpc::to_string(*e->id));
    }
    MessageContext context;
    context.protocol_version = protocol_version_;
    context.session_id = session_id_;
    if (callbacks_.on_message) {
      try {
        callbacks_.on_message(std::move(message), std::move(context));
      } catch (...) {
      }
    }
  }

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

  void finish_close() {
    if (close_delivered_) return;
    close_delivered_ = true;
    if (callbacks_.on_close) {
      try {
        callbacks_.on_close();
      } catch (...) {
      }
    }
  }

  // The server forgot the session (404): nothing more can be said on it.
  void session_lost() {
    if (closing_) return;
    closed_ = true;
    closing_ = true;
    session_id_.reset();
    for (Connection* c : active_) c->close();
    wake_auth_waiters();
    idle_.clear();
    finish_close();
    work_.reset();
  }

  // ---- connections (I/O thread) ----

  net::awaitable<std::unique_ptr<Connection>> connect(boost::system::error_code& ec) {
    auto executor = co_await net::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(target_.host, target_.port, kTuple);
    if (rec) {
      ec = rec;
      co_return nullptr;
    }
    std::unique_ptr<Connection> c;
    if (ssl_) {
      c = std::make_unique<Connection>(std::in_place_type<TlsStream>, executor, *ssl_);
    } else {
      c = std::make_unique<Connection>(std::in_place_type<PlainStream>, executor);
    }
    c->lowest().expires_after(options_.connect_timeout);
    auto [cec, ep] = co_await c->lowest().async_connect(endpoints, kTuple);
    if (cec) {
      ec = cec;
      co_return nullptr;
    }
    boost::system::error_code ignored;
    c->lowest().socket().set_option(tcp::no_delay(true), ignored);
    if (auto* tls = std::get_if<TlsStream>(&c->stream)) {
      boost::system::error_code not_ip;
      net::ip::make_address(target_.host, not_ip);
      if (not_ip && !SSL_set_tlsext_host_name(tls->native_handle(), target_.host.c_str())) {
        ec = boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                       net::error::get_ssl_category());
        co_return nullptr;
      }
      if (options_.verify_peer)
        tls->set_verify_callback(net::ssl::host_name_verification(target_.host));
      auto [hec] = co_await tls->async_handshake(net::ssl::stream_base::client, kTuple);
      if (hec) {
        ec = hec;
        co_return nullptr;
      }
    }
    c->lowest().expires_never();
    co_return c;
  }

  std::unique_ptr<Connection> take_idle() {
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<Connection> c) {
    if (closing_ || idle_.size() >= 8) return;
    idle_.push_back(std::move(c));
  }

  // `sent_token` receives the access token the request carries, for a later challenge.
  http::request<http::string_body> make_request(http::verb verb,
                                                std::string* sent_token = nullptr) {
    http::request<http::string_body> req{verb, target_.target, 11};
    req.set(http::field::host, target_.host_header);
    req.set(http::field::user_agent, "glassbox");
    for (const auto& [name, value] : options_.headers) req.set(name, value);
    std::string token =
        options_.authorizer ? options_.authorizer->token().access_token : options_.bearer_token;
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (sent_token) *sent_token = std::move(token);
    if (session_id_) req.set(kSessionHeader, *session_id_);
    if (protocol_version_) req.set(kProtocolHeader, *protocol_version_);
    req.keep_alive(true);
    return req;
  }

  // Sends `req` and reads the response header, retrying once on a fresh connection when a
  // pooled one turns out to be dead (the server closed it while idle).
  net::awaitable<std::unique_ptr<Connection>> exchange(http::request<http::string_body>& req,
                                                       std::unique_ptr<Parser>& parser,
                                                       boost::system::error_code& ec) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      parser = std::make_unique<Parser>();
      parser->body_limit(boost::none);
      bool pooled = false;
      std::unique_ptr<Connection> c;
      if (attempt == 0) c = take_idle();
      if (c) {
        pooled = true;
      } else {
        c = co_await connect(ec);
        if (!c) co_return nullptr;
      }
      Track track(this, c.get());
      ec = co_await write_request(*c, req);
      if (!ec) ec = co_await read_header(*c, *parser);
      if (!ec) co_return c;
      if (!pooled || closing_) co_return nullptr;
    }
    co_return nullptr;
  }

  // Connections with an operation in flight, so that close() can end them.
  struct Track {
    HttpClientImpl* self;
    Connection* c;
    Track(HttpClientImpl* s, Connection* conn) : self(s), c(conn) { self->active_.insert(c); }
    ~Track() { self->active_.erase(c); }
  };

  net::awaitable<std::string> read_small_body(Connection& c, Parser& parser, std::size_t limit,
                                              bool& complete) {
    std::string body;
    char chunk[16 * 1024];
    complete = false;
    while (!parser.is_done()) {
      auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
      body.append(chunk, n);
      if (ec || body.size() > limit) co_return body;
    }
    complete = true;
    co_return body;
  }

  // Reads a JSON body into an EnvelopeReader as it arrives (memory bounded, whatever its size).
  net::awaitable<std::optional<jsonrpc::Received>> read_json_body(Connection& c, Parser& parser) {
    jsonrpc::EnvelopeReader reader(envelope_limits());
    char chunk[16 * 1024];
    while (!parser.is_done()) {
      auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
      reader.feed(std::string_view(chunk, n));
      if (ec) co_return std::nullopt;
    }
    co_return reader.finish();
  }

  // Reads an SSE body until it ends or `await_key` is answered. Updates last id and retry.
  // Returns true when the stream ended cleanly (the connection may be reused).
  net::awaitable<bool> read_sse(Connection& c, Parser& parser, sse::Parser& events,
                                const std::optional<std::string>& await_key) {
    char chunk[16 * 1024];
    while (!parser.is_done()) {
      auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
      if (n > 0) {
        bool ok = events.feed(std::string_view(chunk, n), [&](sse::Event&& e) {
          if (e.data.empty() || e.type != "message") return;
          deliver_text(e.data);
        });
        if (!ok) {
          // An event over the limit: the stream is unusable, and resuming would replay it.
          deliver_error(await_key, jsonrpc::error_code::kInvalidRequest,
                        "invalid response: an SSE event exceeds " +
                            std::to_string(options_.max_event_bytes) + " bytes");
          co_return false;
        }
      }
      if (await_key && !pending_.count(*await_key)) co_return parser.is_done();
      if (ec) co_return false;
      if (closing_) co_return false;
    }
    co_return true;
  }

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
                    std::function<transport::HttpChallengeAnswer()> work) {
    std::weak_ptr<HttpClientImpl> weak = weak_from_this();
    std::lock_guard lock(auth_threads_mutex_);
    auth_threads_.emplace_back([weak, wait = std::move(wait), work = std::move(work)] {
      transport::HttpChallengeAnswer answer;
      try {
        answer = work();
      } catch (const std::exception& e) {
        answer = {.retry = false, .reason = e.what()};
      } catch (...) {
        answer = {.retry = false, .reason = "the authorizer failed"};
      }
      if (auto self = weak.lock()) {
        net::post(self->io_, [wait, answer = std::move(answer)]() mutable {
          wait->answer = std::move(answer);
          wait->done = true;
          if (wait->timer) wait->timer->cancel();
        });
      }
    });
  }

  // Runs `work` on a helper thread and resumes when it is done, or when the transport closes
  // (then the answer is "do not retry"). Exceptions from `work` become the answer's reason.
  net::awaitable<transport::HttpChallengeAnswer> run_blocking(
      std::function<transport::HttpChallengeAnswer()> work) {
    auto wait = std::make_shared<AuthWait>();
    net::steady_timer timer(io_, net::steady_timer::time_point::max());
    wait->timer = &timer;
    auth_waits_.insert(wait);
    start_helper(wait, std::move(work));
    while (!wait->done && !closing_) co_await timer.async_wait(kTuple);
    wait->timer = nullptr;
    auth_waits_.erase(wait);
    if (!wait->done) co_return transport::HttpChallengeAnswer{.reason = "the transport closed"};
    co_return std::move(wait->answer);
  }

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

  static std::string www_authenticate(const http::response<http::buffer_body>& res) {
    std::string joined;
    for (auto [it, end] = res.equal_range(http::field::www_authenticate); it != end; ++it) {
      if (!joined.empty()) joined += ", ";
      joined += std::string(it->value());
    }
    return joined;
  }

  // Closing: requests waiting for the authorizer give up now (they see closing_).
  void wake_auth_waiters() {
    for (const auto& wait : auth_waits_)
      if (wait->timer) wait->timer->cancel();
  }

  void join_auth_threads() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(auth_threads_mutex_);
      threads.swap(auth_threads_);
    }
    for (std::thread& t : threads) {
      if (!t.joinable()) continue;
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();
      } else {
        t.join();
      }
    }
  }

  // ---- the work ----

  // Each message is its own POST, so two may overtake each other. Servers that refuse requests
  // until they have processed `notifications/initialized` (Arcade MCP does) must see the notice
  // first: what is sent after it waits until the notice's POST has been answered.
  net::awaitable<void> post_message(jsonrpc::Message message, HeaderList headers) {
    auto* n = std::get_if<jsonrpc::Notification>(&message);
    if (n == nullptr || n->method != "notifications/initialized") {
      while (initialized_in_flight_ && !closing_) co_await initialized_gate_.async_wait(kTuple);
      if (!closing_) co_await post_one(std::move(message), std::move(headers));
      co_return;
    }
    initialized_in_flight_ = true;
    try {
      co_await post_one(std::move(message), std::move(headers));
    } catch (...) {
      initialized_in_flight_ = false;
      initialized_gate_.cancel();
      throw;
    }
    initialized_in_flight_ = false;
    initialized_gate_.cancel();
  }

  net::awaitable<void> post_one(jsonrpc::Message message, HeaderList headers) {
    auto self = shared_from_this();
    std::optional<std::string> key;
    bool is_initialized_notice = false;
    if (auto* r = std::get_if<jsonrpc::Request>(&message)) {
      key = jsonrpc::to_string(r->id);
      pending_.insert(*key);
      if (r->method == "initialize") {
        initialize_key_ = key;
        session_id_.reset();
        protocol_version_.reset();
      }
    } else if (auto* n = std::get_if<jsonrpc::Notification>(&message)) {
      is_initialized_notice = n->method == "notifications/initialized";
    }
    bool is_initialize = key && initialize_key_ && *key == *initialize_key_;

    const std::string body_text = jsonrpc::serialize(message);
    std::unique_ptr<Parser> parser_owner;
    std::unique_ptr<Connection> c;
    boost::system::error_code ec;
    std::string auth_note;  // why a 401/403 is final, for the error message
    // A 401/403 goes to the authorizer; while it says retry, the same message goes again.
    for (std::size_t attempt = 0;; ++attempt) {
      co_await refresh_if_due();
      if (closing_) co_return;
      std::string sent_token;
      auto req = make_request(http::verb::post, &sent_token);
      for (const auto& [name, value] : headers) req.set(name, value);
      req.set(http::field::content_type, "application/json");
      req.set(http::field::accept, "application/json, text/event-stream");
      req.body() = body_text;
      req.prepare_payload();
      c = co_await exchange(req, parser_owner, ec);
      if (!c || !is_challenge(parser_owner->get().result_int())) break;
      if (attempt >= options_.max_auth_retries) {
        auth_note = " (still refused after " + std::to_string(attempt) + " authorizations)";
        break;
      }
      transport::HttpChallenge challenge{
          .status = static_cast<int>(parser_owner->get().result_int()),
          .www_authenticate = www_authenticate(parser_owner->get()),
          .sent_token = sent_token,
          .url = options_.url,
          .attempt = attempt};
      std::string refusal;
      {
        Track track(this, c.get());
        bool complete = false;
        refusal = co_await read_small_body(*c, *parser_owner, kErrorBodyBytes, complete);
        if (complete && parser_owner->get().keep_alive()) give_back(std::move(c));
      }
      c.reset();
      transport::HttpChallengeAnswer answer = co_await run_blocking(challenge_job(challenge));
      if (closing_) co_return;
      if (answer.retry) continue;
      json::object data;
      data["httpStatus"] = static_cast<std::int64_t>(challenge.status);
      if (!challenge.www_authenticate.empty())
        data["wwwAuthenticate"] = challenge.www_authenticate.substr(0, 4096);
      if (!refusal.empty()) data["body"] = refusal.substr(0, 4096);
      deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                    "HTTP " + std::to_string(challenge.status) + ": authorization failed" +
                        (answer.reason.empty() ? std::string() : ": " + answer.reason),
                    std::move(data));
      co_return;
    }
    if (!c) {
      if (!closing_) {
        deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                      "HTTP request to " + options_.url + " failed: " + ec.message());
      }
      co_return;
    }
    Track track(this, c.get());
    Parser& parser = *parser_owner;
    auto& res = parser.get();
    unsigned status = res.result_int();
    if (is_initialize && status / 100 == 2) {
      if (auto it = res.find(kSessionHeader); it != res.end())
        session_id_ = std::string(it->value());
    }
    if (status / 100 != 2) {
      bool complete = false;
      std::string body = co_await read_small_body(*c, parser, kErrorBodyBytes, complete);
      bool lost = status == 404 && session_id_ && !is_initialize;
      std::string reason;
      int code = jsonrpc::error_code::kConnectionClosed;
      if (auto parsed = jsonrpc::parse(body); parsed.message) {
        if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&*parsed.message)) {
          code = e->error.code;
          reason = e->error.message;
        }
      }
      if (reason.empty()) reason = std::string(res.reason());
      json::object data;
      data["httpStatus"] = static_cast<std::int64_t>(status);
      if (!body.empty()) data["body"] = body.substr(0, 4096);
      deliver_error(key, code, "HTTP " + std::to_string(status) + ": " + reason + auth_note,
                    std::move(data));
      if (complete && res.keep_alive()) give_back(std::move(c));
      if (lost) session_lost();
      co_return;
    }
    std::string type = media_type(res[http::field::content_type]);
    if (type == "text/event-stream") {
      sse::Parser events(options_.max_event_bytes);
      bool clean = co_await read_sse(*c, parser, events, key);
      if (clean && res.keep_alive()) give_back(std::move(c));
      if (key && pending_.count(*key) && !closing_) {
        // The stream ended before the response: resume it (SEP-1699) when it has an id.
        if (!events.last_event_id().empty()) {
          co_await resume_stream(events.last_event_id(), events.retry(), key);
        } else {
          deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                        "the SSE stream ended before the response");
        }
      }
    } else {
      std::optional<jsonrpc::Received> body = co_await read_json_body(*c, parser);
      if (body && res.keep_alive()) give_back(std::move(c));
      if (!body) {
        deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                      "the connection broke while reading the response");
      } else if (type == "application/json") {
        deliver_received(std::move(*body));
      }
      if (key && pending_.count(*key) && !closing_) {
        deliver_error(key, jsonrpc::error_code::kConnectionClosed,
                      "HTTP " + std::to_string(status) + " without a JSON-RPC response");
      }
    }
    if (is_initialized_notice && options_.open_get_stream && session_id_ && !get_started_ &&
        !closing_) {
      get_started_ = true;
      net::co_spawn(io_, resume_stream({}, std::nullopt, std::nullopt), net::detached);
    }
  }

  // GET streams: the standalone stream (no await_key) or the resumption of a request's stream.
  // Reconnects after `retry` (the server's, else the default) up to max_reconnects failures in a
  // row; a stream the server closes gracefully is polling (SEP-1699), not a failure.
  net::awaitable<void> resume_stream(std::string last_id,
                                     std::optional<std::chrono::milliseconds> retry,
                                     std::optional<std::string> await_key) {
    auto self = shared_from_this();
    std::size_t failures = 0;
    bool first = last_id.empty();
    net::steady_timer timer(io_);
    while (!closing_) {
      if (!first) {
        timer.expires_after(retry.value_or(options_.default_reconnect_delay));
        co_await timer.async_wait(kTuple);
        if (closing_) break;
      }
      first = false;
      co_await refresh_if_due();
      if (closing_) break;
      std::string sent_token;
      auto req = make_request(http::verb::get, &sent_token);
      req.set(http::field::accept, "text/event-stream");
      if (!last_id.empty()) req.set(kLastEventIdHeader, last_id);
      std::unique_ptr<Parser> parser_owner;
      boost::system::error_code ec;
      auto c = co_await exchange(req, parser_owner, ec);
      if (!c) {
        if (closing_ || ++failures > options_.max_reconnects) break;
        continue;
      }
      Track track(this, c.get());
      Parser& parser = *parser_owner;
      auto& res = parser.get();
      unsigned status = res.result_int();
      if (status == 405 || status == 409 || (status == 400 && !await_key)) break;
      if (is_challenge(status)) {
        transport::HttpChallenge challenge{.status = static_cast<int>(status),
                                           .www_authenticate = www_authenticate(res),
                                           .sent_token = sent_token,
                                           .url = options_.url,
                                           .attempt = failures};
        c->close();  // the refusal's body is not worth reading: this connection ends here
        transport::HttpChallengeAnswer answer = co_await run_blocking(challenge_job(challenge));
        if (closing_) break;
        if (!answer.retry || ++failures > options_.max_reconnects) break;
        first = true;  // retry at once with the new token
        continue;
      }
      if (status == 404 && session_id_) {
        deliver_error(await_key, jsonrpc::error_code::kConnectionClosed, "HTTP 404: session lost");
        session_lost();
        co_return;
      }
      if (status / 100 != 2 || media_type(res[http::field::content_type]) != "text/event-stream") {
        if (++failures > options_.max_reconnects) break;
        continue;
      }
      failures = 0;
      sse::Parser events(options_.max_event_bytes);
      bool clean = co_await read_sse(*c, parser, events, await_key);
      if (!events.last_event_id().empty()) last_id = events.last_event_id();
      if (events.retry()) retry = events.retry();
      if (clean && res.keep_alive()) give_back(std::move(c));
      if (await_key && !pending_.count(*await_key)) co_return;
      if (!clean) ++failures;
      if (failures > options_.max_reconnects) break;
    }
    if (!closing_) {
      deliver_error(await_key, jsonrpc::error_code::kConnectionClosed,
                    "the SSE stream could not be resumed");
    }
  }

  net::awaitable<void> shutdown(std::shared_ptr<std::promise<void>> done) {
    auto self = shared_from_this();
    closing_ = true;
    for (Connection* c : active_) c->close();
    wake_auth_waiters();
    initialized_gate_.cancel();
    if (session_id_) {
      // Best effort: tell the server the session is over.
      net::steady_timer deadline(io_);
      auto req = make_request(http::verb::delete_);
      req.keep_alive(false);
      req.prepare_payload();
      boost::system::error_code ec;
      std::unique_ptr<Connection> c = take_idle();
      idle_.clear();
      if (!c) c = co_await connect(ec);
      if (c) {
        c->lowest().expires_after(options_.delete_timeout);
        Parser parser;
        ec = co_await write_request(*c, req);
        if (!ec) ec = co_await read_header(*c, parser);
        c->close();
      }
    }
    idle_.clear();
    finish_close();
    work_.reset();
    done->set_value();
  }

  HttpClientOptions options_;
  Target target_;
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
  std::vector<std::unique_ptr<Connection>> idle_;
  std::set<Connection*> active_;
  std::set<std::shared_ptr<AuthWait>> auth_waits_;
  bool initialized_in_flight_ = false;  // a notifications/initialized POST is unanswered
  net::steady_timer initialized_gate_{io_, net::steady_timer::time_point::max()};

  // Helper threads that ran (or run) blocking authorizer calls; joined on release().
  std::mutex auth_threads_mutex_;
  std::vector<std::thread> auth_threads_;
};

namespace {

class HttpClientTransport : public Transport {
 public:
  explicit HttpClientTransport(HttpClientOptions options)
      : impl_(std::make_shared<HttpClientImpl>(std::move(options))) {}
  ~HttpClientTransport() override { impl_->release(); }

  void start(Callbacks callbacks) override { impl_->start(std::move(callbacks)); }
  bool send(const jsonrpc::Message& message, const SendOptions& options) override {
    return impl_->send(message, options.headers);
  }
  void close() override { impl_->close(); }

 private:
  std::shared_ptr<HttpClientImpl> impl_;
};

}  // namespace

std::shared_ptr<Transport> connect_http(HttpClientOptions options) {
  return std::make_shared<HttpClientTransport>(std::move(options));
}

}  // namespace glassbox::transport
