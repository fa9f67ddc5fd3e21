// Multi round-trip requests of MCP 2026-07-28 (SEP-2322), server side: a handler's server-to-
// client request (elicitation, sampling, roots) cannot travel on a stateless request, so the
// request answers with an InputRequiredResult instead, and the client retries the same request
// with the answers (inputResponses) and the opaque requestState the server gave it.
//
// The handler is simply run again on the retry: each RequestContext::request() finds its answer
// by key among the verified earlier answers (carried in requestState) and this retry's
// inputResponses, or else records an input request and unwinds the handler (InputRequired).
// requestState is sealed with HMAC-SHA-256 under a per-server key, bound to the method and its
// target (tool/prompt name, resource uri), and expires: a client cannot forge earlier answers.
//
// Threads: an InputRound belongs to one request; RequestContext guards it with its own mutex.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/mcp/types.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace glassbox::mcp {

class RequestContext;

// Thrown by RequestContext::request() in a 2026-07-28 request whose answer is not known yet.
// Not a std::exception: tool code that catches std::exception must not swallow it.
struct InputRequired {};

struct InputRound {
  std::mutex mutex;
  std::string method;  // the request's method
  // What requestState is bound to (tool/prompt name, resource uri, arguments): worked out only
  // when a requestState is opened or sealed, not on every 2026-07-28 call.
  std::optional<std::string> binding;
  json::object answers;   // earlier answers (from requestState) plus this retry's inputResponses
  json::object used;      // the answers the handler consumed (what the next requestState keeps)
  json::object pending;   // input requests recorded by this run, by key
  std::size_t calls = 0;  // request() calls so far (default keys)
};

struct RequestStateOptions {
  std::string key;  // HMAC key; empty is not allowed (Server generates a random one)
  std::chrono::seconds ttl{600};
  std::size_t max_bytes = 256 * 1024;
};

// Binds a round to its request (declared a friend in RequestContext).
void attach_input_round(RequestContext& context, std::shared_ptr<InputRound> round);

// The methods that may answer with an InputRequiredResult.
bool allows_input_required(std::string_view method);

// The target a requestState is bound to, from the request's params.
std::string input_binding(std::string_view method, const json::object& params);

// Seals `answers` for (method, binding); opens a sealed state. open_request_state returns the
// answers, or an error message (tampered, expired, for another request, malformed).
std::string seal_request_state(const RequestStateOptions& options, std::string_view method,
                               std::string_view binding, const json::object& answers);
std::variant<json::object, std::string> open_request_state(const RequestStateOptions& options,
                                                           std::string_view method,
                                                           std::string_view binding,
                                                           std::string_view sealed);

// A fresh round for a 2026-07-28 request (requestState verified, inputResponses merged), or the
// -32602 error that refuses it.
std::variant<std::shared_ptr<InputRound>, jsonrpc::Error> begin_input_round(
    const RequestStateOptions& options, std::string_view method, const json::object& params);

// The InputRequiredResult for a round whose handler unwound with InputRequired; `params` are
// the request's (begin_input_round's).
Outcome input_required_result(const RequestStateOptions& options, InputRound& round,
                              const json::object& params);

}  // namespace glassbox::mcp
