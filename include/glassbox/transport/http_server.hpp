// The Streamable HTTP transport of MCP, server side: 2025-11-25 sessions, sessionless 2026-07-28.
//
// One endpoint: POST carries one JSON-RPC message from the client; a POSTed request is answered
// on an SSE stream that carries the messages sent on its behalf (SendOptions::related_request)
// and then its response. GET opens the session's standalone SSE stream (messages sent with no
// related request). DELETE ends the session. Streams are resumable with Last-Event-ID.
//
// Each session (or, when stateless, each POST) gets its own Transport, handed to on_session on
// a server thread; the handler typically does `server.connect(transport)`. That Transport keeps
// the contract of transport.hpp: callbacks run on a server I/O thread, one at a time per
// session, and must not block; send() and close() may be called from any thread. A session's
// transport closes (on_close) when the client DELETEs it, it idles out, or the server stops.
//
// Threads: start() spawns `threads` I/O threads; every connection is a coroutine on them, so
// thousands of open SSE streams cost no thread each. start(), stop(), wait(), port() and url()
// may be called from any thread; stop() is idempotent and also runs from the destructor.
#pragma once

#include "glassbox/transport/transport.hpp"

#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glassbox::transport {

// What an authorizer sees of one HTTP request to the MCP endpoint. The views (and the message)
// are valid only during the authorizer call: an authorizer that answers later copies what it
// keeps.
struct AuthorizationRequest {
  std::string_view http_method;       // "POST", "GET", "DELETE"
  std::string_view target;            // the request target, path and query
  std::string_view authorization;     // the Authorization header; empty when absent
  std::string_view session_id;        // the Mcp-Session-Id header; empty when absent
  std::string_view protocol_version;  // the MCP-Protocol-Version header; empty when absent
  // POST: the parsed JSON-RPC message, so that a decision may depend on the method and its
  // params (the scopes one tool requires); null for GET and DELETE.
  const jsonrpc::Message* message = nullptr;
  std::string_view server_url;  // this server's endpoint URL, e.g. http://127.0.0.1:8080/mcp
};

// The authorizer's answer. status 0 accepts: the request goes on, carrying `principal` in its
// MessageContext. Any other status refuses: that status, `headers` (WWW-Authenticate, say) and
// `body` go back, and nothing reaches a session (no session is created for a refused initialize).
struct AuthorizationDecision {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  std::any principal;  // accepted: handed on in MessageContext::principal
  // Accepted: who owns a session this request creates; a later request on that session with
  // another owner gets 404, as for an unknown session (session ids are not credentials). Empty:
  // sessions are not bound.
  std::string session_owner;
};

// Called on an I/O thread with the request; must call `done` exactly once, on any thread, now
// or later (a verifier that needs the network hands the work to its own thread and answers
// from there). The connection waits without blocking its thread; see
// HttpServerOptions::authorizer_timeout. Must not throw.
using AuthorizationDone = std::function<void(AuthorizationDecision)>;
using Authorizer = std::function<void(const AuthorizationRequest&, AuthorizationDone)>;

// Every header of one POST (names as sent), for a RequestValidator.
using HeaderViews = std::vector<std::pair<std::string_view, std::string_view>>;
// Checks a parsed POST against its headers (the layer above brings the rules: MCP 2026-07-28's
// header/body agreement). nullopt accepts; a decision with a status refuses with it. Runs on an
// I/O thread after the authorizer, before any session is found or made; must not block or throw.
using RequestValidator = std::function<std::optional<AuthorizationDecision>(
    const HeaderViews&, const jsonrpc::Message&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port
  // false: no listening socket; the server serves only connections handed to it with adopt()
  // (the endpoint mounted in a server of your own; host and port then name that server, for
  // url()).
  bool listen = true;
  std::string endpoint = "/mcp";
  bool stateless = false;  // no sessions: every POST is served by a fresh session
  // Empty: only http(s)://localhost|127.0.0.1|[::1][:port] (DNS rebinding protection).
  std::vector<std::string> allowed_origins;
  // Empty: localhost/127.0.0.1/[::1] with any port, plus `host` itself.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> supported_protocol_versions = {"2025-11-25", "2025-06-18", "2025-03-26"};
  // A POST whose MCP-Protocol-Version is one of these is served without a session (as when
  // `stateless`): a fresh session for that POST alone, no Mcp-Session-Id (MCP 2026-07-28).
  std::vector<std::string> sessionless_protocol_versions = {"2026-07-28"};
  // Runs on every POST when set (see RequestValidator); it then also owns the version check of
  // sessionless requests (an unknown version gets its own error, not the transport's).
  RequestValidator validate_request;
  // Sessionless requests: the HTTP status of an error answer sent before anything else on its
  // stream (it then goes out as plain JSON, not SSE); 0 or unset keeps 200 and SSE.
  std::function<int(const jsonrpc::Error&)> sessionless_error_status;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // Past it, a new initialize evicts the oldest session never used (no request but initialize,
  // no GET stream, nothing in progress); when every session is used: 503 with Retry-After
  // (seconds until the least recently active idle session expires).
  std::size_t max_sessions = 10000;
  // Streams open at once: one per request in flight (each answered on its own SSE stream) plus
  // the standalone GET stream. Agents run calls in parallel; the server allows as many.
  std::size_t max_streams_per_session = 256;
  std::chrono::seconds session_idle_timeout{30 * 60};
  // A session never used past initialize expires after this (unauthenticated initialize
  // requests cost the caller nothing and must not hold the table for half an hour).
  std::chrono::seconds unused_session_timeout{60};
  std::size_t replay_buffer_events = 256;  // per stream, for Last-Event-ID
  std::chrono::milliseconds sse_retry{1000};
  std::size_t threads = 1;
  std::string tls_certificate_file, tls_private_key_file;  // both set: HTTPS
  // Decides on every request to the endpoint: GET and DELETE before anything else, POST once
  // its body parsed as a JSON-RPC message (before its session is looked up or created). The
  // transport knows nothing of tokens: the layer above (mcp::enable_auth) brings the policy.
  Authorizer authorizer;
  // How long a request waits for the authorizer's answer; past it, 503.
  std::chrono::milliseconds authorizer_timeout{30000};
  // Public documents beside the endpoint (RFC 9728 protected resource metadata): called with
  // the path of a request that is not the endpoint and this server's endpoint URL; a JSON text
  // is served at that path without authorization and without the Host/Origin checks (it is
  // public, and browsers fetch it cross-origin): GET and HEAD 200, OPTIONS 204 (a CORS
  // preflight), other methods 405; every answer has Access-Control-Allow-Origin: *. nullopt:
  // 404 as before. Runs on an I/O thread.
  std::function<std::optional<std::string>(std::string_view path, std::string_view server_url)>
      public_document;

  // Additions beyond the base contract.
  // Bytes queued on one SSE stream that the client does not read; past it the stream is dropped
  // (a slow client never holds memory or blocks other sessions).
  std::size_t max_stream_queue_bytes = 8 * 1024 * 1024;
  // How long stop() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds shutdown_grace{2000};
  // Idle keep-alive connections (no request in progress) are closed after this long.
  std::chrono::seconds keep_alive_timeout{60};
  // Comment line sent on idle SSE streams so proxies keep them open; zero disables it.
  std::chrono::seconds sse_keepalive{15};
};

class HttpServer {
 public:
  using SessionHandler = std::function<void(std::shared_ptr<Transport>)>;

  HttpServer(HttpServerOptions options, SessionHandler on_session);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, then serves on background threads; throws std::system_error on bind failure
  // (and std::runtime_error when the TLS files cannot be loaded).
  void start();
  std::uint16_t port() const;
  std::string url() const;  // e.g. "http://127.0.0.1:PORT/mcp"
  // Serves one plain-TCP connection accepted elsewhere, from now on (see beast_mount.hpp):
  // takes ownership of the connected socket `native_socket` (closed on failure too); `received`
  // holds the bytes already read from it, a whole request or more, parsed as if just arrived.
  // After start(); false when the server is stopped or the socket is unusable. Any thread.
  bool adopt(int native_socket, std::string received);
  // Graceful: no new connections, streams closed, in-flight requests finished (bounded wait).
  void stop();
  // Blocks until stop() has completed (called from a signal handler thread or another thread).
  void wait();

  // Live counts, for tests and benchmarks.
  std::size_t session_count() const;
  std::size_t connection_count() const;

  // Defined only inside the library; named here so that the HTTPS half (glassbox::tls) can
  // serve its connections.
  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// SEP-1699 polling: ends the HTTP response that carries `request`'s SSE stream, gracefully and
// after a `retry:` field, while the request goes on; the client reconnects with GET +
// Last-Event-ID after the retry delay and receives the rest (the response included). Returns
// false when `transport` is not a session of an HttpServer or no connection carries that
// stream. Any thread.
bool close_sse_stream(Transport& transport, const jsonrpc::Id& request);

}  // namespace glassbox::transport
