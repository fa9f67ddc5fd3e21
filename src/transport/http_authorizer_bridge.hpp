// The bridge between a connection of the HTTP server and the hooks the layer above decides
// requests with, its authorizer and its request validator (private to src/transport).
// HttpServerOptions::authorizer answers on any thread, inside the call or later (after fetching a
// JWKS, say); the connection's coroutine waits for that answer without holding its I/O thread, up
// to a timeout.
#pragma once

#include "glassbox/transport/http_server.hpp"

#include "transport/asio_net.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace glassbox::transport::http_detail {

// Runs the server's I/O work `fn` on an I/O thread; false when the server has stopped.
using IoPost = std::function<bool(std::function<void()>)>;

// Calls `authorizer` with `info` and resumes with its decision; 500 when it throws, 503 with
// Retry-After: 1 when it has not answered within `timeout`. Run on the connection's strand;
// `info` must outlive the co_await. A late answer is dropped.
boost::asio::awaitable<AuthorizationDecision> await_authorization(const Authorizer& authorizer,
                                                                  const AuthorizationRequest& info,
                                                                  std::chrono::milliseconds timeout,
                                                                  IoPost post);

// Runs `validator` (HttpServerOptions::validate_request), when set, on a parsed POST with its
// headers; nullopt accepts.
std::optional<AuthorizationDecision> validate_post(const RequestValidator& validator,
                                                   const Request& request,
                                                   const jsonrpc::Message& message);

}  // namespace glassbox::transport::http_detail
