// An MCP client: connects over any transport, negotiates the protocol revision, and calls the
// server. Two revisions (protocol_revision.hpp): 2026-07-28 is asked for first with
// server/discover, and every request then carries the client's version, capabilities and
// identity in params._meta (no session; over HTTP also the Mcp-Method, Mcp-Name and Mcp-Param-*
// headers); a server of the 2025 era is spoken to with the initialize handshake instead. Calls
// block the calling thread until the answer (or the timeout) and may be made from many threads at
// once; they are correlated by request id, so answers may arrive in any order. A JSON-RPC error, a
// timeout or a closed connection throws ProtocolError. request_async() and call_tool_async() return
// at once and deliver the outcome to a callback: one thread can keep many calls in flight.
//
//   #include <glassbox/transport/stdio.hpp>  // spawn_process
//
//   glassbox::mcp::Client client({.name = "my-agent", .version = "1.0"});
//   client.connect(glassbox::transport::spawn_process({.argv = {"node", "server.js"}}));
//   auto result = client.call_tool("echo", {{"message", "hi"}});
//
// (tests/mcp/header_examples_test.cpp compiles this example.) Server-to-client requests
// (sampling, elicitation, roots) and notifications are handled by the handlers given in
// ClientOptions, on the thread that read them (stdio) or a worker (HTTP, in-memory).
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/dispatch.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/types.hpp"
#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <variant>
#include <vector>

namespace glassbox::mcp {

struct ProgressUpdate {
  double progress = 0;
  std::optional<double> total;
  std::string message;
  json::object meta;  // params._meta (streamed passback puts partial spans there, S17)
};

struct LogMessage {
  LogLevel level = LogLevel::info;
  std::string logger;
  json::value data;
};

// Per-call options.
struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout;  // default: ClientOptions::request_timeout
  // Called on the thread reading the client's input (over stdio the calling thread itself while
  // it reads its own answer) for each notifications/progress of this call; setting it sends a
  // progressToken with the request.
  std::function<void(const ProgressUpdate&)> on_progress;
  json::object meta;  // merged into params._meta (traceparent, otel, ...)
  // Called on the calling thread with the JSON-RPC id of the request, just before it is sent
  // (client telemetry records it on the CLIENT span, passback rule C6).
  std::function<void(const jsonrpc::Id&)> on_request_id;
  // A stop abandons the call: it fails at once with kRequestCancelled (a blocking call throws,
  // an asynchronous one completes) and the server gets notifications/cancelled.
  std::stop_token cancel;
};

// Wraps every outgoing request of the client (tracing, passback ingest, auth headers...).
// `send` performs the request; middleware may change params before and the outcome after.
struct OutgoingRequest {
  std::string method;
  json::object params;
  CallOptions options;
};
using OutgoingHandler = std::function<Outcome(OutgoingRequest&)>;
using OutgoingMiddleware = std::function<Outcome(OutgoingRequest&, const OutgoingHandler& send)>;

// The outcome of an asynchronous call (a result or a JSON-RPC error), delivered exactly once.
using OutcomeCallback = std::function<void(Outcome)>;
// The asynchronous form of a middleware, for request_async() and call_tool_async(): it may
// change the request, then calls `send` at most once (or answers by itself) and its own `done`
// exactly once, possibly from another thread (the one `send`'s callback runs on). `request`
// stays valid until `done` has been called. `send` may run its callback before it returns (an
// error before sending, a cached result).
using AsyncOutgoingHandler = std::function<void(OutgoingRequest&, OutcomeCallback done)>;
using AsyncOutgoingMiddleware =
    std::function<void(OutgoingRequest&, const AsyncOutgoingHandler& send, OutcomeCallback done)>;

struct ClientOptions {
  std::string name = "glassbox-client";
  std::string version = "0.1.0";
  std::string title;
  // The revision to speak; unset: auto (server/discover first, and initialize when the server
  // does not speak 2026-07-28).
  std::optional<ProtocolRevision> revision;
  // The version initialize asks for (the 2025 family).
  std::string protocol_version = std::string(kLatestProtocolVersion);
  // How long server/discover may go unanswered in auto mode before the server is taken for one
  // of the 2025 era (a stdio server of that era may ignore a request it does not know).
  std::chrono::milliseconds discover_timeout = std::chrono::seconds(10);
  // 2026-07-28: how many input_required rounds one call may take before it fails.
  int max_input_rounds = 10;
  // 2026-07-28: results the server marks cacheable (ttlMs) are kept and reused, up to this many
  // (0: none kept).
  std::size_t max_cached_results = 256;
  std::chrono::milliseconds request_timeout = std::chrono::seconds(60);
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  // Each handler, when set, also declares its capability (in initialize, or in each request's
  // _meta). They answer the server's requests (2025-11-25) and the inputRequests of an
  // input_required result (2026-07-28) alike. They may block (on stdio another reader takes
  // over meanwhile); a thrown ProtocolError answers with that error.
  std::function<json::value(const json::object& params)>
      sampling_handler;  // sampling/createMessage
  std::function<json::value(const json::object& params)> elicitation_handler;  // elicitation/create
  std::function<std::vector<json::object>()> roots_handler;                    // roots/list
  bool roots_list_changed = false;
  std::function<void(const LogMessage&)> on_log;  // notifications/message
  // Any other server notification (list_changed, resources/updated, ...).
  std::function<void(const std::string& method, const json::object& params)> on_notification;
  json::object extra_capabilities;
  // Give each call made under a bound trace context a CLIENT span and send its traceparent
  // (SEP-414, passback rule S14). See trace_propagation.hpp.
  bool propagate_trace_context = true;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();  // closes the connection
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Must be called before connect(). Middleware runs in the order added, outside the default
  // trace propagation middleware (which leaves alone a request that already has a traceparent).
  // With only a blocking form, an asynchronous call made while it is installed runs as a
  // blocking call on one of the client's worker threads (correct, but a thread per call again);
  // give `async` too (client telemetry and the trace propagation have both).
  void use(OutgoingMiddleware middleware);
  void use(OutgoingMiddleware middleware, AsyncOutgoingMiddleware async);

  // Starts the transport and negotiates: server/discover (2026-07-28), else initialize +
  // notifications/initialized. The result holds the server's capabilities, identity and
  // instructions either way (protocol_version says which revision won).
  const InitializeResult& connect(std::shared_ptr<transport::Transport> transport);
  // The same, with a way to open the transport again (spawning a stdio server anew): in auto
  // mode, when the connection closes during the server/discover probe (a 2025-era stdio server
  // that exits on a method it does not know), a second transport is opened and spoken to with
  // initialize. A server that answers the probe, or refuses it, costs one transport only.
  using TransportFactory = std::function<std::shared_ptr<transport::Transport>()>;
  const InitializeResult& connect(const TransportFactory& open);
  const InitializeResult& initialize_result() const;
  const json::object& server_capabilities() const;
  ProtocolRevision revision() const;  // valid after connect()

  void ping();
  ListToolsResult list_tools(std::optional<std::string> cursor = std::nullopt);
  std::vector<Tool> list_all_tools();  // follows nextCursor
  CallToolResult call_tool(std::string_view name, json::object arguments = {},
                           const CallOptions& options = {});

  std::vector<Resource> list_all_resources();
  std::vector<ResourceTemplate> list_all_resource_templates();
  ReadResourceResult read_resource(std::string_view uri, const CallOptions& options = {});
  void subscribe(std::string_view uri);
  void unsubscribe(std::string_view uri);

  std::vector<Prompt> list_all_prompts();
  GetPromptResult get_prompt(std::string_view name,
                             std::map<std::string, std::string> arguments = {});
  CompletionResult complete(const CompletionRequest& request);
  // 2025-11-25: logging/setLevel. 2026-07-28: the level goes in every later request's _meta.
  void set_logging_level(LogLevel level);
  void notify_roots_changed();

  // Any request, raw: the result, or ProtocolError. Goes through the middleware.
  json::value request(std::string_view method, json::object params,
                      const CallOptions& options = {});
  void notify(std::string_view method, json::object params = {});

  // Asynchronous calls: they return at once, and `done` runs exactly once with the result or the
  // error, as the blocking call would return or throw it: a JSON-RPC error from the server,
  // kRequestTimeout after options.timeout (default request_timeout), kRequestCancelled when
  // options.cancel is stopped, kConnectionClosed when the connection ends or close() is called.
  // They go through the same middleware (client telemetry stitches their spans, C1..C8), send
  // the same progress token, and in 2026-07-28 run the same input_required rounds (the
  // handlers of ClientOptions then run on the thread of `done`) and use the same result cache.
  //
  // Threads: call from any thread, any number at once. `done` runs on the thread that read the
  // answer: the transport's reader (stdio; HTTP's I/O side), or a thread blocked in a call of
  // this client that reads for itself; a timeout completes on the client's timer thread, a
  // cancellation on the thread that stops the token, close() on the closing thread; a call that
  // fails before anything is sent (not connected, a non-finite number in params), a cached
  // result, or an answer that came while the call was still being sent, completes on the
  // calling thread before request_async returns. `done` may start
  // other calls (asynchronous ones: a blocking call there would wait on the thread that reads
  // its answer, which stdio survives by moving reading elsewhere, at a thread switch's cost);
  // it should return quickly, since later answers wait for it on stdio. Exceptions from `done`
  // are not caught: they end the program. A completion already running on another thread may
  // still be running when close() returns.
  void request_async(std::string_view method, json::object params, const CallOptions& options,
                     OutcomeCallback done);
  using CallToolOutcome = std::variant<CallToolResult, jsonrpc::Error>;
  void call_tool_async(std::string_view name, json::object arguments, const CallOptions& options,
                       std::function<void(CallToolOutcome)> done);

  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace glassbox::mcp
