// The loopback redirect receiver of a native OAuth client (RFC 8252 section 7.3): a tiny HTTP
// listener on 127.0.0.1 (port 0: any free one) that waits for the browser to come back to
// http://127.0.0.1:PORT/callback?code=...&state=... and answers it with a short page.
//
// Only a GET of the callback path carrying the expected `state` ends the wait: a request with
// another state (a forged redirect, RFC 6749 section 10.12) gets a 400 and is otherwise ignored,
// and any other path a 404 (browsers ask for /favicon.ico). Each connection is bounded (8 KiB of
// request head, 5 s to send it) and served one at a time.
//
// Threads: the constructor binds and starts the listener's own thread; wait() blocks the caller;
// cancel() may be called from any thread and makes wait() return nullopt at once. The
// destructor stops and joins the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace glassbox::auth {

// What came back in the redirect's query (RFC 6749 section 4.1.2, RFC 9207 `iss`).
struct AuthorizationResponse {
  std::string code;
  std::string state;
  std::string iss;
  std::string error;  // set when the authorization server refused
  std::string error_description;
};

struct RedirectListenerOptions {
  std::string host = "127.0.0.1";  // a numeric loopback address
  std::uint16_t port = 0;          // 0: the system picks a free port
  std::string path = "/callback";
};

class RedirectListener {
 public:
  // Throws std::runtime_error when the address cannot be bound.
  explicit RedirectListener(RedirectListenerOptions options = {});
  ~RedirectListener();
  RedirectListener(const RedirectListener&) = delete;
  RedirectListener& operator=(const RedirectListener&) = delete;

  std::string redirect_uri() const;
  std::uint16_t port() const { return port_; }

  // The state of the authorization request in flight; set before sending the user there.
  void expect_state(std::string state);

  // The response, or nullopt on timeout or cancel().
  std::optional<AuthorizationResponse> wait(std::chrono::milliseconds timeout);
  void cancel();

 private:
  void run();
  bool serve(int client);  // true when the awaited redirect arrived

  RedirectListenerOptions options_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string expected_state_;
  std::optional<AuthorizationResponse> response_;
  bool cancelled_ = false;
  std::thread thread_;
};

}  // namespace glassbox::auth
