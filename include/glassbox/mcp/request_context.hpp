// What a handler sees of the request it serves: arguments, _meta, progress, logging,
// cancellation, server-to-client requests, and child spans. It never touches JSON-RPC.
//
// Threads: a RequestContext is created by the session for one request and lives until the
// response is sent. Its handler may call it from the thread it runs on (a stdio reader or a
// pool worker), and from other
// threads it hands work to while the handler is still running (every method is thread-safe).
#pragma once

#include "glassbox/auth/token_verifier.hpp"
#include "glassbox/json/json.hpp"
#include "glassbox/jsonrpc/message.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/types.hpp"
#include "glassbox/trace/tracer.hpp"
#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::mcp {

class Session;
struct InputRound;

// One server-to-client request of RequestContext::request_all: `key` names it in a 2026-07-28
// InputRequiredResult (and the client's inputResponses).
struct InputRequest {
  std::string key;
  std::string method;
  json::object params;
};

class RequestContext {
 public:
  RequestContext(std::shared_ptr<Session> session, jsonrpc::Request request,
                 transport::MessageContext message_context, std::stop_token stop);

  const std::string& method() const { return request_.method; }
  const jsonrpc::Id& request_id() const { return request_.id; }
  const json::object& params() const;
  // params.arguments for tools/call and prompts/get; an empty object when absent.
  const json::object& arguments() const;
  // params._meta; an empty object when absent.
  const json::object& meta() const;
  const transport::MessageContext& message_context() const { return message_context_; }
  // The protocol version this request is served under (negotiated, or carried by the request:
  // _meta io.modelcontextprotocol/protocolVersion in 2026-07-28, the HTTP header). A view of
  // the request, its transport context or a constant: valid while this context lives (copy it
  // to keep it longer). Any thread, like the other members.
  std::string_view protocol_version() const;
  // 2026-07-28 when the request carries its version in _meta (stateless), else 2025-11-25.
  ProtocolRevision revision() const;
  // Who is calling, when the server requires OAuth tokens (mcp/auth.hpp): the verified token's
  // subject, client id, scopes and claims. Null when nothing authorized the request (no
  // authorization configured, or a transport without it, such as stdio). Lives as long as
  // this context.
  const auth::AuthInfo* auth() const;

  // Cancellation: true once the client sent notifications/cancelled for this request (or the
  // connection closed). Long handlers poll it or wait on stop_token().
  bool cancelled() const { return stop_.stop_requested(); }
  std::stop_token stop_token() const { return stop_; }

  // notifications/progress with the request's progressToken; a no-op when it has none.
  void progress(double progress, std::optional<double> total = std::nullopt,
                std::string_view message = {});
  // notifications/progress that carries news in params._meta only (streamed passback, S17):
  // its progress is the next double above the last one sent for this request, so that the
  // sequence the client sees still increases. A no-op without a progressToken.
  void progress_meta(json::object meta);
  // notifications/message, sent only at or above the level the client set (logging/setLevel;
  // in 2026-07-28 this request's _meta io.modelcontextprotocol/logLevel, none when absent).
  void log(LogLevel level, json::value data, std::string_view logger = {});

  // Server-to-client requests (elicitation, sampling, roots), the same calls in both revisions.
  // 2025-11-25: sent on behalf of this request (HTTP routes them to its stream); they block this
  // thread until the client answers. 2026-07-28 (stateless): the answer comes from the client's
  // retry of this request (InputRequiredResult, src/mcp/input_required.hpp): when it is not
  // there yet the handler unwinds (do not catch `...` around these calls) and runs again on the
  // retry, so a handler does its side effects after its questions. `key` names the question
  // on the wire (default: "<method>-<n>", n counting this handler's calls); keep keys stable
  // across runs. A JSON-RPC error, a timeout or a client without the capability (-32021 in
  // 2026-07-28) throws ProtocolError.
  json::value request(std::string_view method, json::object params,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60),
                      std::string_view key = {});
  json::value create_message(json::object params, std::string_view key = {}) {
    return request("sampling/createMessage", std::move(params), std::chrono::seconds(60), key);
  }
  json::value elicit(json::object params, std::string_view key = {}) {
    return request("elicitation/create", std::move(params), std::chrono::seconds(60), key);
  }
  json::value list_roots(std::string_view key = {}) {
    return request("roots/list", {}, std::chrono::seconds(60), key);
  }
  // Several questions at once: in 2026-07-28 they travel in one InputRequiredResult; in
  // 2025-11-25 they are asked one after another. The answers, by key.
  json::object request_all(std::vector<InputRequest> requests);
  // The capabilities the client declared: in initialize (2025-11-25), or in this request's
  // _meta io.modelcontextprotocol/clientCapabilities (2026-07-28).
  json::object client_capabilities() const;

  // A child span of the request's current span (passback middleware binds it); nest freely.
  // Outside a traced request it is a cheap no-op span.
  trace::Span span(std::string_view name) const { return trace::start_span(name); }

 private:
  // The connection this request arrived on, for glassbox's own server and client layers
  // (src/mcp/session.hpp); Session is not part of the public API.
  friend Session& session_of(const RequestContext& context);
  // The multi round-trip state of a 2026-07-28 request (src/mcp/input_required.hpp).
  friend void attach_input_round(RequestContext& context, std::shared_ptr<InputRound> round);
  friend InputRound* input_round_of(const RequestContext& context) {
    return context.input_round_.get();
  }

  // A member of the result the session splices in as JSON text when it answers
  // (jsonrpc::Response::raw): passback's payload (src/mcp/passback_wire.hpp).
  friend void set_raw_result_member(RequestContext& context, jsonrpc::RawMember member) {
    context.raw_result_ = std::move(member);
  }
  friend std::optional<jsonrpc::RawMember> take_raw_result_member(RequestContext& context) {
    return std::exchange(context.raw_result_, std::nullopt);
  }

  // 2026-07-28: the recorded question (unwinding with InputRequired) or the client's answer.
  json::value stateless_request(std::string_view method, json::object params, std::string_view key);

  std::shared_ptr<Session> session_;
  jsonrpc::Request request_;
  transport::MessageContext message_context_;
  std::stop_token stop_;
  std::shared_ptr<InputRound> input_round_;
  std::mutex progress_mutex_;
  double last_progress_ = 0;  // under progress_mutex_
  std::optional<jsonrpc::RawMember> raw_result_;
  // params._meta, looked up once: the request never changes, and passback, the stateless
  // dispatch and protocol_version() each read it.
  const json::object* meta_;
};

}  // namespace glassbox::mcp
