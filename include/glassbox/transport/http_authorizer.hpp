// The seam through which the Streamable HTTP client gets its Authorization header and reacts to
// 401/403 answers, without knowing anything of OAuth (the transport layer cannot include the
// auth layer above it; auth::OAuthClient implements this interface).
//
// Threads, and why:
// - token() runs on the transport's I/O thread before every request. It must return at once
//   (a cached value under a short lock): the I/O thread carries every stream of the transport,
//   and a blocking call there would stall them all, and deadlock outright if the call needed an
//   answer that only that thread can read.
// - refresh() and on_challenge() may block for a long time (network round trips, a person
//   logging in through a browser). The transport never calls them on its I/O thread: it runs
//   them on a helper thread of its own and suspends only the request concerned; other requests
//   and streams keep going. Several may run at once (one per refused request), so an
//   implementation serializes its own flows.
// - cancel() may be called from any thread, when a transport using the authorizer is released:
//   a blocking call in progress should return soon (no retry).
// Exceptions: refresh() and on_challenge() may throw; the transport catches everything (a throw
// counts as "do not retry", its message becomes the request's error). token() is noexcept.
#pragma once

#include <cstddef>
#include <string>

namespace glassbox::transport {

struct HttpToken {
  std::string access_token;    // sent as `Authorization: Bearer ...`; empty: no header
  bool refresh_first = false;  // expiring soon and refreshable: call refresh() before using it
};

// A 401 or 403 answer to a request that the authorizer may be able to fix.
struct HttpChallenge {
  int status = 0;                // 401 or 403
  std::string www_authenticate;  // every WWW-Authenticate field of the answer, joined by ", "
  std::string sent_token;        // the access token the refused request carried ("" if none)
  std::string url;               // the MCP endpoint
  std::size_t attempt = 0;       // how many challenges this same message met before this one
};

struct HttpChallengeAnswer {
  bool retry = false;  // send the message again, with the token() of then
  std::string reason;  // when not retrying: why, for the request's error message
};

class HttpAuthorizer {
 public:
  virtual ~HttpAuthorizer() = default;

  virtual HttpToken token() noexcept = 0;
  virtual void refresh() = 0;
  virtual HttpChallengeAnswer on_challenge(const HttpChallenge& challenge) = 0;
  virtual void cancel() noexcept {}
};

}  // namespace glassbox::transport
