// One MCP connection, either side: correlates outgoing requests with their answers, runs
// incoming requests through the dispatch function, routes progress and cancellation. Server and
// Client are thin layers over it.
//
// Threads: the transport's reader thread calls on_message. A request runs right there when the
// transport's callbacks may block (stdio: another reader takes over while it runs), else on a
// pool worker (HTTP, in-memory). request()/notify()/close() may be called from any thread.
#pragma once

#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/mcp/types.hpp"
#include "glassbox/transport/transport.hpp"
#include "mcp/worker_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>

namespace glassbox::mcp {

struct RequestOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  std::function<void(const ProgressUpdate&)> on_progress;
  std::optional<jsonrpc::Id> related_request;
  std::function<void(const jsonrpc::Id&)> on_request_id;  // before sending, on the caller's thread
  // A stop abandons the request: it answers kRequestCancelled at once and the peer gets
  // notifications/cancelled (over HTTP in 2026-07-28, the transport closes the request's stream).
  std::stop_token cancel;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Dispatch = std::function<Outcome(RequestContext&)>;
  using NotificationHandler = std::function<void(Session&, const jsonrpc::Notification&)>;

  // The pool is borrowed: its owner (Server or Client) outlives the work it runs, and a
  // session that outlives the pool answers new requests with an error.
  Session(std::shared_ptr<transport::Transport> transport, std::weak_ptr<WorkerPool> pool,
          Dispatch dispatch, NotificationHandler on_notification);
  ~Session();

  // Per-message transport headers for what this side sends (the client's 2026-07-28 headers).
  // Set before start(); called on the sending thread.
  using HeaderHook =
      std::function<transport::HeaderList(std::string_view method, const json::object& params)>;
  void set_header_hook(HeaderHook hook) { header_hook_ = std::move(hook); }

  // on_finished runs once, when input has ended and every in-flight request has been answered.
  void start(std::function<void()> on_finished = {});
  // Recycling a finished session for a new transport (a sessionless HTTP POST's: Server keeps
  // finished one-shot sessions for the next). Only once on_finished has run and nothing else
  // holds the session: no thread may use it meanwhile. reset() forgets everything the last
  // transport's requests left (the peer, its protocol version, log level, subscriptions, ids,
  // asynchronous requests) and closes that transport; restart() then starts the new one with
  // the same on_finished, which runs once again.
  void reset(std::shared_ptr<transport::Transport> transport);
  void restart();

  // Sends a request and blocks until its answer, the timeout or options.cancel (which also send
  // notifications/cancelled) or the end of the connection.
  Outcome request(std::string_view method, json::object params, const RequestOptions& options);
  // The same, with `params` lent rather than given: they are moved into the message and handed
  // back once it is written (with the progressToken it carried), so a caller that may send
  // them again (2026-07-28's input_required rounds) needs no copy.
  Outcome request_lending(std::string_view method, json::object& params,
                          const RequestOptions& options);
  bool notify(std::string_view method, json::object params,
              const std::optional<jsonrpc::Id>& related_request = std::nullopt);
  // Sends a request and returns at once (session_async.cpp); `done` receives its outcome
  // exactly once: on the thread that read the answer (the transport's reader, or a caller of
  // request() reading for itself), on the session's timer thread (options.timeout), on the
  // thread that stops options.cancel, on the thread that ends the connection, or on the
  // calling thread before this returns when nothing could be sent. `params` are lent as with
  // request_lending. `done` may send more requests; it must not block for long on stdio's
  // reader (another reader takes over after a while, but answers wait meanwhile).
  void request_async(std::string_view method, json::object& params, const RequestOptions& options,
                     std::function<void(Outcome)> done);

  // Closes the transport; in-flight handlers see cancellation, and asynchronous requests still
  // waiting complete with kConnectionClosed (on this thread).
  void close();
  // Blocks until input has ended and every in-flight incoming request has been answered.
  void wait_until_drained();
  bool input_closed() const { return input_closed_.load(); }
  // Stopped once input has ended, after input_closed() turns true: a handler that outlives its
  // caller's stream (subscriptions/listen) waits on it instead of polling.
  std::stop_token input_closed_token() const;

  // State negotiated in initialize (set by the server or client layer).
  void set_peer(json::object capabilities, Implementation info, std::string protocol_version);
  json::object peer_capabilities() const;
  bool initialized() const;  // initialize has been answered
  std::string protocol_version() const;
  std::optional<LogLevel> log_level() const;
  void set_log_level(LogLevel level);
  void subscribe(const std::string& uri);
  void unsubscribe(const std::string& uri);
  bool subscribed(const std::string& uri) const;

 private:
  struct Timer;  // session_async.cpp: the deadlines of asynchronous requests
  struct Pending {
    // A blocking request's answer, for its caller (request_lending). No std::promise: its
    // set_value ends in a futex wake-up whether or not anyone waits (pthread_once), a system
    // call per call; a condition variable wakes only a caller that waits.
    std::mutex answer_mutex;
    std::condition_variable answer_cv;
    std::optional<Outcome> answer;      // answer_mutex
    std::atomic<bool> answered{false};  // set with the answer: the caller may read it alone
    // What a blocking caller that reads for itself waits for (Transport::read_on_caller), kept
    // here so that the transport shares this request's state instead of an allocation of its
    // own: the answer, and the session's count of waiting callers.
    struct ReadWait final : transport::Transport::CallerWait {
      explicit ReadWait(const std::atomic<bool>* a) : answered(a) {}
      bool done() const noexcept override { return answered->load(); }
      bool alone() const noexcept override { return waiting->load() <= 1; }
      const std::atomic<bool>* answered;
      std::shared_ptr<const std::atomic<int>> waiting;  // the session's waiting_
    };
    ReadWait read_wait{&answered};
    std::function<void(const ProgressUpdate&)> on_progress;
    // An asynchronous request (request_async): its completion instead of the promise, its
    // deadline's key in the timer, its cancellation.
    std::function<void(Outcome)> done;
    std::chrono::milliseconds timeout{0};
    std::chrono::steady_clock::time_point deadline;
    Timer* timer = nullptr;        // the session's, which outlives every request in pending_
    bool sending = false;          // mutex_: request_async has not yet had its params back
    std::optional<Outcome> early;  // mutex_: an outcome that came while sending
    std::optional<std::stop_callback<std::function<void()>>> on_cancel;
    // Whoever took it out of pending_ (under mutex_) completes it, once.
    void complete(Outcome outcome);
  };
  using PendingMap = std::map<jsonrpc::Id, std::shared_ptr<Pending>>;

  // Both kinds of request: now + timeout (bounded to a year, which steady_clock can add);
  // telling the caller its id, the progress token, the headers and the write, with the params
  // handed back to the caller. False when the transport could not take the message.
  static std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout);
  bool write_request(const jsonrpc::Id& id, std::string_view method, json::object& params,
                     const RequestOptions& options);
  // An asynchronous request taken out of pending_ by its timeout or its cancellation.
  void abandon_async(std::int64_t id, bool timed_out);
  // Completes a request taken out of pending_. An asynchronous one whose sender has not yet
  // had its params back keeps the outcome for the sender to complete with.
  void complete_taken(const std::shared_ptr<Pending>& pending, const jsonrpc::Id& id,
                      Outcome outcome);
  static void finish_pending(Pending& pending, const jsonrpc::Id& id, Outcome outcome);
  // At destruction: completes the asynchronous requests still pending, stops the timer.
  void end_async();
  void fail_async_pending();

  // pending_ with its spare node (caller holds mutex_).
  void add_pending_locked(jsonrpc::Id id, std::shared_ptr<Pending> pending);
  std::shared_ptr<Pending> take_pending_locked(PendingMap::iterator it);

  void on_message(jsonrpc::Message message, transport::MessageContext context);
  void on_request(jsonrpc::Request request, transport::MessageContext context);
  void run_request(jsonrpc::Request request, transport::MessageContext context,
                   std::stop_token token);
  void on_notification(const jsonrpc::Notification& notification);
  void on_answer(const jsonrpc::Id& id, Outcome outcome);
  void on_input_closed();
  void finish_request();
  // Takes the on_finished callback when it is due (caller holds mutex_), to run after unlocking.
  std::shared_ptr<const std::function<void()>> take_finished_locked();

  std::shared_ptr<transport::Transport> transport_;
  std::weak_ptr<WorkerPool> pool_;
  Dispatch dispatch_;
  NotificationHandler notification_handler_;
  HeaderHook header_hook_;
  // Shared, so that the callback runs outside the lock and a recycled session keeps it.
  std::shared_ptr<const std::function<void()>> on_finished_;
  bool finished_taken_ = false;  // mutex_: on_finished_ has run since the last start
  // Made once: a recycled session hands the same ones to its next transport.
  std::shared_ptr<const transport::Callbacks> transport_callbacks_;

  mutable std::mutex mutex_;
  std::condition_variable drained_;
  PendingMap pending_;  // outgoing, by id
  // The node of the last answered request, kept for the next one: a call in flight costs no
  // map node of its own (mutex_).
  PendingMap::node_type spare_node_;
  std::map<jsonrpc::Id, std::stop_source> in_flight_;  // incoming, by id
  // The node of the last answered incoming request, for the next one (mutex_).
  std::map<jsonrpc::Id, std::stop_source>::node_type spare_in_flight_;
  std::size_t answering_ = 0;  // incoming requests whose answer is being written
  std::int64_t next_id_ = 0;
  // Callers inside request(): a lone caller reads its own answer (Transport::read_on_caller).
  std::shared_ptr<std::atomic<int>> waiting_ = std::make_shared<std::atomic<int>>(0);
  std::atomic<bool> input_closed_{false};
  // close() was called: a request made after it fails at once on its caller's thread, even
  // before the transport's thread has seen the connection end (mutex_).
  bool closed_ = false;
  // Made by the first input_closed_token() of each input (mutex_): few handlers ask for it, and
  // a recycled one-shot session would otherwise allocate one per request.
  mutable std::stop_source input_closed_source_{std::nostopstate};
  std::shared_ptr<Timer> timer_;  // mutex_: started by the first asynchronous request

  json::object peer_capabilities_;
  Implementation peer_info_;
  std::string protocol_version_;
  std::optional<LogLevel> log_level_;
  std::set<std::string> subscriptions_;
};

// The session a request arrived on (RequestContext keeps it private to the library).
inline Session& session_of(const RequestContext& context) {
  return *context.session_;
}

}  // namespace glassbox::mcp
