// Client's state, shared by client.cpp (the calls, the 2025 handshake) and client_stateless.cpp
// (2026-07-28: discovery, per-request _meta, headers, input_required rounds, caching).
#pragma once

#include "glassbox/mcp/client.hpp"
#include "mcp/param_headers.hpp"
#include "mcp/result_cache.hpp"
#include "mcp/session.hpp"
#include "mcp/worker_pool.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace glassbox::mcp {

// A result whose shape MCP fixes (tools/call, resources/read) but the server got wrong becomes
// an error naming the problem, instead of reaching the caller as an empty answer.
Outcome checked(std::string_view method, Outcome outcome);

// tools/call's params, with room for the `_meta` added on the way (2026-07-28's, a traceparent):
// adding it then moves no member.
json::object tool_call_params(std::string_view name, json::object arguments);

struct Client::Impl {
  explicit Impl(ClientOptions o)
      : options(std::move(o)),
        pool(std::make_shared<WorkerPool>(64)),
        cache(options.max_cached_results),
        request_meta(constant_request_meta()) {}

  ClientOptions options;
  std::shared_ptr<WorkerPool> pool;
  std::shared_ptr<Session> session;
  InitializeResult init;
  std::vector<OutgoingMiddleware> middleware;
  bool propagation_last = false;  // middleware.back() is the default trace propagation
  OutgoingHandler chain;          // the middleware composed around send()

  // 2026-07-28 state. `stateless` is set while server/discover is tried and stays set when it
  // wins; read on any thread that sends.
  std::atomic<bool> stateless{false};
  ResultCache cache;
  mutable std::mutex state_mutex;
  std::optional<LogLevel> log_level;                                   // sent in _meta
  std::map<std::string, std::vector<ParamHeader>> tool_param_headers;  // from tools/list
  // The members of 2026-07-28's per-request _meta that never change (version, capabilities,
  // clientInfo): built once, not for every request.
  json::object request_meta;
  json::object constant_request_meta() const;
  // Copies of request_meta given back by finished calls, for the next calls: building one costs
  // a dozen allocations, and a call that left its copy as it was hands it back instead of
  // freeing it. At most kMaxSpareMeta (one per call in flight, as many as is usual).
  static constexpr std::size_t kMaxSpareMeta = 64;
  mutable std::mutex spare_mutex;
  mutable std::vector<json::object> spare_meta;  // spare_mutex
  json::object copy_of_request_meta() const;
  // At the end of a call (after every middleware): keeps params._meta for the next call when it
  // is still exactly request_meta, members in the same order.
  void recycle_request_meta(json::object& params) const;

  // A session over `transport`, started, with this client's handlers and headers.
  void open_session(std::shared_ptr<transport::Transport> transport);
  Session& live_session() const;
  Outcome send(OutgoingRequest& request);
  Outcome run(OutgoingRequest& request);
  // Shared by the blocking and asynchronous paths: CallOptions::meta merged into params._meta;
  // the refusal of what JSON cannot carry; the session's options for one request.
  static void merge_call_meta(OutgoingRequest& request);
  static std::optional<jsonrpc::Error> unsendable(const OutgoingRequest& request);
  RequestOptions request_options(const OutgoingRequest& request) const;
  void compose();
  json::object capabilities() const;
  // A request of the server (2025: over the connection; 2026: an entry of inputRequests),
  // answered by the handlers of ClientOptions.
  Outcome answer(const std::string& method, const json::object& params) const;
  Outcome dispatch(RequestContext& ctx) const;
  void on_notification(const jsonrpc::Notification& n);

  // ---- client_listen.cpp: subscribe/unsubscribe in 2026-07-28 ----
  struct ListenStream;
  std::mutex listen_mutex;                      // serialises subscribe and unsubscribe
  std::set<std::string> subscribed_uris;        // listen_mutex
  std::shared_ptr<ListenStream> listen_stream;  // listen_mutex: the current stream
  std::weak_ptr<ListenStream> pending_listen;   // state_mutex: the stream being opened
  std::optional<jsonrpc::Id> listen_id;         // state_mutex: the current stream's id
  json::object listen_filter() const;
  // Opens a stream for subscribed_uris (none: closes the current one); throws ProtocolError
  // when the server refuses or does not acknowledge. Caller holds listen_mutex.
  void relisten();
  void subscribe_2026(std::string_view uri, bool add);
  // True when the notification is the listen machinery's own (an acknowledgement) or comes
  // from a stream that is no longer current: not for the user's callbacks.
  bool take_listen_notification(const std::string& method, const json::object& params);
  void stop_listening();

  // ---- client_stateless.cpp ----
  // server/discover; true when the server speaks 2026-07-28 (init filled), false when it is of
  // the 2025 era (auto mode only; a pinned 2026-07-28 throws instead).
  bool discover();
  // The per-request _meta of 2026-07-28, added to `params`.
  void add_request_meta(json::object& params) const;
  // The headers of one message in 2026-07-28 (none in 2025-11-25).
  transport::HeaderList headers_for(std::string_view method, const json::object& params) const;
  // One request in 2026-07-28: the cache, then the exchange with its input_required rounds.
  Outcome send_stateless(OutgoingRequest& request, const RequestOptions& options);
  // One round's outcome: the call's last (returned), or the next round's params (filled in
  // `params`, nullopt returned). Runs the handlers of the round's inputRequests.
  std::optional<Outcome> after_round(const std::string& method, const json::object& original,
                                     Outcome& out, int round, json::object& params);

  // ---- client_async.cpp: calls that return at once ----
  std::vector<AsyncOutgoingMiddleware> async_middleware;  // parallel to `middleware`; may hold
                                                          // empty ones (blocking only)
  AsyncOutgoingHandler async_chain;  // empty when some middleware has no asynchronous form
  struct AsyncRounds;  // one asynchronous 2026-07-28 call across its input_required rounds
  void compose_async();
  void run_async(std::shared_ptr<OutgoingRequest> request, OutcomeCallback done);
  void send_async(OutgoingRequest& request, OutcomeCallback done);
  void send_stateless_async(OutgoingRequest& request, RequestOptions sending, OutcomeCallback done);
  // tools/list: keeps each tool's x-mcp-header annotations and drops the tools whose
  // annotations break the rules (reported on stderr once per tool name).
  void take_tool_annotations(json::value& result);
};

}  // namespace glassbox::mcp
