// The Streamable HTTP client's SSE side (http_client_impl.hpp): reading an SSE body as it
// arrives, the standalone GET stream, and resuming a request's stream after a break (SEP-1699).
#include "transport/http_client_impl.hpp"

#include "transport/http_common.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace glassbox::transport::http_detail {

net::awaitable<bool> HttpClientImpl::read_sse(Connection& c, Parser& parser, sse::Parser& events,
                                              const std::optional<std::string>& await_key) {
  char chunk[16 * 1024];
  std::optional<Drain> draining;
  while (!parser.is_done()) {
    auto [ec, n] = co_await read_body_some(c, parser, chunk, sizeof chunk);
    if (n > 0) {
      bool ok = events.feed(std::string_view(chunk, n), [&](sse::Event&& e) {
        if (e.data.empty() || e.type != "message") return;
        deliver_text(e.data);
      });
      if (!ok) {
        // An event over the limit: the stream is unusable, and resuming would replay it.
        deliver_error(await_key, jsonrpc::error_code::kInvalidRequest,
                      "invalid response: an SSE event exceeds " +
                          std::to_string(options_.max_event_bytes) + " bytes");
        co_return false;
      }
    }
    if (ec || closing_) co_return false;
    if (await_key && !pending_.count(*await_key) && !draining && !parser.is_done()) {
      // The answer is in, and a server ends the stream after it: read that end (usually in the
      // same packet) so that the connection serves the next request instead of a new one. A
      // stream kept open after its answer is dropped after kSseTailWait.
      draining.emplace(this);
      c.lowest().expires_after(kSseTailWait);
    }
  }
  if (draining) c.lowest().expires_never();
  co_return true;
}

net::awaitable<void> HttpClientImpl::resume_stream(std::string last_id,
                                                   std::optional<std::chrono::milliseconds> retry,
                                                   std::optional<std::string> await_key) {
  auto self = shared_from_this();
  std::size_t failures = 0;
  bool first = last_id.empty();
  net::steady_timer timer(io_);
  while (!closing_) {
    if (!first) {
      timer.expires_after(retry.value_or(options_.default_reconnect_delay));
      co_await timer.async_wait(kTuple);
      if (closing_) break;
    }
    first = false;
    co_await refresh_if_due();
    if (closing_) break;
    std::string sent_token;
    auto req = make_request(http::verb::get, &sent_token);
    req.set(http::field::accept, "text/event-stream");
    if (!last_id.empty()) req.set(kLastEventIdHeader, last_id);
    std::unique_ptr<Parser> parser_owner;
    boost::system::error_code ec;
    auto c = co_await exchange(req, parser_owner, ec);
    if (!c) {
      if (closing_ || ++failures > options_.max_reconnects) break;
      continue;
    }
    Track track(this, c.get());
    Parser& parser = *parser_owner;
    auto& res = parser.get();
    unsigned status = res.result_int();
    if (status == 405 || status == 409 || (status == 400 && !await_key)) break;
    if (is_challenge(status)) {
      transport::HttpChallenge challenge{.status = static_cast<int>(status),
                                         .www_authenticate = www_authenticate(res),
                                         .sent_token = sent_token,
                                         .url = options_.url,
                                         .attempt = failures};
      c->close();  // the refusal's body is not worth reading: this connection ends here
      transport::HttpChallengeAnswer answer = co_await run_blocking(challenge_job(challenge));
      if (closing_) break;
      if (!answer.retry || ++failures > options_.max_reconnects) break;
      first = true;  // retry at once with the new token
      continue;
    }
    if (status == 404 && session_id_) {
      deliver_error(await_key, jsonrpc::error_code::kConnectionClosed, "HTTP 404: session lost");
      session_lost();
      co_return;
    }
    if (status / 100 != 2 || media_type(res[http::field::content_type]) != "text/event-stream") {
      if (++failures > options_.max_reconnects) break;
      continue;
    }
    failures = 0;
    sse::Parser events(options_.max_event_bytes);
    bool clean = co_await read_sse(*c, parser, events, await_key);
    if (!events.last_event_id().empty()) last_id = events.last_event_id();
    if (events.retry()) retry = events.retry();
    if (clean && res.keep_alive()) give_back(std::move(c));
    if (await_key && !pending_.count(*await_key)) co_return;
    if (!clean) ++failures;
    if (failures > options_.max_reconnects) break;
  }
  if (!closing_) {
    deliver_error(await_key, jsonrpc::error_code::kConnectionClosed,
                  "the SSE stream could not be resumed");
  }
}

}  // namespace glassbox::transport::http_detail
