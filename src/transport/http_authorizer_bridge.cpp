// A connection waiting for its authorizer (http_authorizer_bridge.hpp).
#include "transport/http_authorizer_bridge.hpp"

#include "transport/asio_net.hpp"
#include "transport/http_admission.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>
#include <mutex>
#include <optional>

namespace glassbox::transport::http_detail {

namespace {

// A connection waiting for its authorizer: the answer, and the timer that wakes the waiting
// coroutine. The timer lives in the coroutine frame; `timer` is cleared when the frame stops
// waiting, so a late answer never touches it.
struct AuthWait {
  std::mutex mutex;
  std::optional<AuthorizationDecision> decision;
  bool waiting = false;
  net::steady_timer* timer = nullptr;
};

// The authorizer's callback. A plain function, not inside the coroutine: GCC 12 miscompiles
// lambdas in a coroutine body that capture the coroutine's parameters (double destruction).
AuthorizationDone answer_to(std::shared_ptr<AuthWait> wait, IoPost post) {
  return [wait = std::move(wait), post = std::move(post)](AuthorizationDecision decision) {
    {
      std::lock_guard lock(wait->mutex);
      if (wait->decision || !wait->timer) return;
      wait->decision = std::move(decision);
      if (!wait->waiting) return;  // answered inside the call: nobody to wake
    }
    // From any thread: hop onto an I/O thread (unless the server stopped), then onto the
    // connection's strand, where the timer may be touched.
    post([wait] {
      std::lock_guard lock(wait->mutex);
      if (!wait->timer) return;
      net::post(wait->timer->get_executor(), [wait] {
        std::lock_guard inner(wait->mutex);
        if (wait->timer) wait->timer->cancel();
      });
    });
  };
}

}  // namespace

net::awaitable<AuthorizationDecision> await_authorization(const Authorizer& authorizer,
                                                          const AuthorizationRequest& info,
                                                          std::chrono::milliseconds timeout,
                                                          IoPost post) {
  auto wait = std::make_shared<AuthWait>();
  net::steady_timer timer(co_await net::this_coro::executor);
  {
    std::lock_guard lock(wait->mutex);
    wait->timer = &timer;
  }
  struct Release {
    std::shared_ptr<AuthWait> wait;
    ~Release() {
      std::lock_guard lock(wait->mutex);
      wait->timer = nullptr;
    }
  } release{wait};

  AuthorizationDone done = answer_to(wait, std::move(post));
  try {
    authorizer(info, done);
  } catch (...) {
    done(AuthorizationDecision{
        .status = 500,
        .body = error_body(jsonrpc::error_code::kInternalError, "authorization failed")});
  }
  bool must_wait = false;
  {
    std::lock_guard lock(wait->mutex);
    must_wait = !wait->decision;
    wait->waiting = must_wait;
  }
  if (must_wait) {
    timer.expires_after(timeout);
    co_await timer.async_wait(kTuple);
  }
  std::lock_guard lock(wait->mutex);
  if (wait->decision) co_return std::move(*wait->decision);
  AuthorizationDecision timed_out{
      .status = 503,
      .body = error_body(jsonrpc::error_code::kConnectionClosed, "authorization timed out")};
  timed_out.headers.emplace_back("Retry-After", "1");
  co_return timed_out;
}

std::optional<AuthorizationDecision> validate_post(const RequestValidator& validator,
                                                   const Request& request,
                                                   const jsonrpc::Message& message) {
  if (!validator) return std::nullopt;
  HeaderViews headers;
  for (const auto& field : request) headers.emplace_back(field.name_string(), field.value());
  return validator(headers, message);
}

}  // namespace glassbox::transport::http_detail
