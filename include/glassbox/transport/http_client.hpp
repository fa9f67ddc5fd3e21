// The Streamable HTTP transport of MCP (protocol 2025-11-25 and 2026-07-28), client side.
//
// Each outgoing message is one POST; its answer (application/json or an SSE stream) is read and
// every message in it delivered to on_message. The Mcp-Session-Id of the initialize response and
// the protocol version negotiated in the initialize result are sent on every later request.
// A message's own SendOptions::headers go on its POST (2026-07-28: MCP-Protocol-Version,
// Mcp-Method, Mcp-Name, Mcp-Param-*; there is no initialize, hence no session and no GET stream).
// After initialize a GET opens the standalone SSE stream (a 405 means the server has none).
// Broken SSE streams are resumed with GET + Last-Event-ID, honouring the server's `retry`.
// A non-2xx answer to a POSTed request is delivered as a JSON-RPC ErrorResponse for that request
// id, so the caller never hangs; a 404 on an established session closes the transport.
//
// Threads: the transport owns one I/O thread, on which callbacks run, one at a time. send() and
// close() may be called from any thread; send() serializes the message, queues the POST and
// returns at once (false once closed). close() DELETEs the session (bounded wait), then on_close
// runs once. A caller waiting alone for its answer (read_on_caller) runs the I/O itself while
// the I/O thread stands by (it does after answering a lone caller, for about a millisecond):
// callbacks then run on that caller's thread, still one at a time.
//
// Connections: keep-alive, pooled (up to 8 idle); an SSE answer's stream is read to its end so
// that its connection serves the next request; a pooled connection the server closed is
// replaced by a new one and the request sent again.
//
// Authorization: with an `authorizer` (http_authorizer.hpp, e.g. auth::OAuthClient) every
// request carries its token, and a 401 or 403 is handed to it on a helper thread (never the I/O
// thread: it may block while a person logs in); when it says so the same message is sent again,
// at most max_auth_retries times. Only the refused request waits meanwhile. close() cancels the
// authorizer's flow in progress; releasing the transport joins those helper threads.
#pragma once

#include "glassbox/transport/http_authorizer.hpp"
#include "glassbox/transport/transport.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace glassbox::transport {

struct HttpClientOptions {
  std::string url;                             // http(s)://host:port/mcp
  std::map<std::string, std::string> headers;  // custom headers on every request
  std::string bearer_token;                    // Authorization: Bearer ... (no authorizer)
  std::chrono::milliseconds connect_timeout{5000};
  bool open_get_stream = true;  // the standalone GET SSE stream after initialize
  // What is kept of one message; its telemetry (`_meta.otel`) over it, or nested too deep, is
  // dropped while read and the rest delivered (jsonrpc/envelope.hpp). A JSON body is read as it
  // arrives; an SSE event's text is held whole, up to max_event_bytes (over it the stream is
  // dropped and the call waiting on it fails at once).
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  std::size_t max_event_bytes = 64 * 1024 * 1024;
  std::size_t max_reconnects = 5;

  // Additions beyond the base contract.
  bool verify_peer = true;  // https: verify the server certificate against the system CAs
  std::string ca_file;      // https: an extra CA bundle (PEM) to trust
  std::chrono::milliseconds delete_timeout{2000};  // how long close() waits for the DELETE
  // Used until the server sends `retry:` on a stream.
  std::chrono::milliseconds default_reconnect_delay{1000};
  // Supplies the bearer token and answers 401/403 (see above); overrides bearer_token.
  std::shared_ptr<HttpAuthorizer> authorizer;
  std::size_t max_auth_retries = 4;  // per message, whatever the authorizer says
};

// Parses the URL and returns the transport; nothing is sent until start() and the first send().
// Throws std::invalid_argument for a URL that is not http(s).
std::shared_ptr<Transport> connect_http(HttpClientOptions options);

}  // namespace glassbox::transport
