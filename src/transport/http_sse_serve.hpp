// The body of serve_sse (declared in http_session.hpp), templated on the stream: http_session.cpp
// instantiates it for a plain TCP stream, glassbox_tls (src/tls/https_server.cpp) for a TLS one.
#pragma once

#include "transport/http_common.hpp"
#include "transport/http_session.hpp"
#include "transport/sse.hpp"

#include <sys/ioctl.h>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace glassbox::transport::http_detail {

namespace sse_detail {

// A sessionless error answered before anything else: plain JSON with its own status.
template <class S>
net::awaitable<bool> reply_plain(S& stream, const Request& request, int status, std::string body) {
  http::response<http::string_body> res{static_cast<http::status>(status), request.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(request.keep_alive());
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec && res.keep_alive();
}

inline constexpr std::string_view kChunkEnd = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
inline constexpr std::string_view kChunkEndAndLast = "\r\n0\r\n\r\n";

// A chunk's size line (RFC 9112, 7.1): the size in hex, CRLF.
inline void append_chunk_size(std::string& out, std::size_t size) {
  char digits[2 * sizeof(std::size_t)];
  auto end = std::to_chars(digits, digits + sizeof digits, size, 16).ptr;
  out.append(digits, end);
  out += "\r\n";
}

// What a plain TCP socket takes of `buffers` right now, without waiting (a typical answer: all
// of it), so that only a rest goes through an asynchronous write, its timer and its strand
// hops. 0 for a TLS stream, which always writes asynchronously. `ec` is set only on failure.
template <class S, class Buffers>
std::size_t send_now(S& stream, const Buffers& buffers, boost::system::error_code& ec) {
  if constexpr (std::is_same_v<S, PlainStream>) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    // Asio's own operations make the descriptor non-blocking anyway; this lets write_some
    // report would_block instead of waiting.
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    std::size_t sent = ec ? 0 : socket.write_some(buffers, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
    return sent;
  } else {
    return 0;
  }
}

}  // namespace sse_detail

template <class S>
net::awaitable<bool> serve_sse(S& stream, const Request& request,
                               const std::shared_ptr<HttpSession>& session,
                               const std::shared_ptr<Stream>& sse,
                               const std::shared_ptr<Sink>& sink, bool resumed, SseTiming timing) {
  // Detach on every exit, including the frame's destruction when the server is torn down.
  struct Detach {
    std::shared_ptr<HttpSession> session;
    std::shared_ptr<Stream> sse;
    std::shared_ptr<Sink> sink;
    ~Detach() { session->detach(sse, sink); }
  } detach{session, sse, sink};

  auto& lowest = beast::get_lowest_layer(stream);
  // The head, the priming event and (for a quick handler) the whole answer and the last chunk
  // go out in one write: one TCP segment for a typical call. `out` holds the head (while it is
  // still to go) and, after it, what the next chunk starts with (the priming event, a
  // keep-alive comment): one allocation for both.
  std::string out;
  out.reserve(256 + session->id().size());
  out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!session->id().empty()) {
    out.append(kSessionHeader).append(": ").append(session->id()).append("\r\n");
  }
  const bool keep_alive = request.keep_alive();  // (a look-up of the Connection field)
  if (!keep_alive) out += "Connection: close\r\n";
  out += "Transfer-Encoding: chunked\r\n\r\n";
  std::size_t head_size = out.size();  // 0 once the head went out
  // SEP-1699: the priming event carries an id (so the client can resume even before the first
  // message) and the reconnection delay; a resumed stream just restates the delay.
  if (resumed) {
    out.append("retry: ").append(std::to_string(timing.retry.count())).append("\n\n");
  } else {
    sse::append_priming_event(out, event_id(sse->number, 0), timing.retry);
  }

  bool armed = false;
  struct CancelWait {
    tcp::socket& socket;
    bool& armed;
    ~CancelWait() {
      boost::system::error_code ignored;
      if (armed) socket.cancel(ignored);
    }
  } cancel_wait{lowest.socket(), armed};

  if (session->one_shot() && !resumed) {
    // Its request was posted to run on an I/O thread (deliver()): let it go first, so that a
    // quick answer leaves in the same write as the head instead of a write and a wake-up later.
    co_await net::post(co_await net::this_coro::executor, kTuple);
  }
  bool finished = false;
  bool may_hold = session->id().empty() && timing.hold_head_for_plain_errors;
  for (;;) {
    HttpSession::Pull pull = session->pull(*sse, *sink);
    if (pull.dropped) break;
    if (pull.plain_status != 0 && head_size > 0) {
      // Nothing went out yet: the error travels with its HTTP status (2026-07-28).
      co_return co_await sse_detail::reply_plain(stream, request, pull.plain_status,
                                                 std::move(pull.plain_body));
    }
    std::string released;
    if (pull.released) {
      // The retry field right before the end tells the client when to come back (SEP-1699).
      released = "retry: " + std::to_string(timing.retry.count()) + "\n\n";
      pull.done = true;
    }
    std::size_t pending = out.size() - head_size;
    std::size_t size = pending + pull.frames.size() + released.size();
    bool hold = may_hold && head_size > 0 && pull.frames.empty() && !pull.done;
    bool wrote = size > 0 && !hold;
    if (wrote || pull.done) {
      // One chunk (its size line after the head, if any), and the last chunk when done; the
      // frames go out from where pull() left them, not copied into one string.
      std::string size_line;  // within the small-string buffer: no allocation
      if (size > 0) sse_detail::append_chunk_size(size_line, size);
      std::string_view tail = size == 0   ? sse_detail::kLastChunk
                              : pull.done ? sse_detail::kChunkEndAndLast
                                          : sse_detail::kChunkEnd;
      std::array<net::const_buffer, 6> buffers{net::buffer(out.data(), head_size),
                                               net::buffer(size_line),
                                               net::buffer(out.data() + head_size, pending),
                                               net::buffer(pull.frames),
                                               net::buffer(released),
                                               net::buffer(tail.data(), tail.size())};
      boost::system::error_code ec;
      std::size_t sent = sse_detail::send_now(stream, buffers, ec);
      if (!ec && sent < net::buffer_size(buffers)) {
        beast::buffers_suffix<decltype(buffers)> rest(buffers);
        rest.consume(sent);
        lowest.expires_after(kWriteTimeout);
        std::tie(ec, std::ignore) = co_await net::async_write(stream, rest, kTuple);
      }
      out.clear();
      head_size = 0;
      if (ec) break;
    }
    if (pull.done) {
      finished = true;
      break;
    }
    if (!armed) {
      // A client that goes away while the stream is idle is noticed at once: the socket turns
      // readable with nothing to read (EOF) or fails. Bytes waiting to be read are the next
      // pipelined request (HTTP/1.1 allows it): left in the socket for the loop in serve(), and
      // the watch ends there (a closing peer is then seen at the next write or read).
      armed = true;
      // (The handler may run after this frame is gone: it holds the descriptor, not the socket.)
      lowest.socket().async_wait(
          tcp::socket::wait_read,
          [sink, fd = lowest.socket().native_handle()](boost::system::error_code ec) {
            if (ec == net::error::operation_aborted) return;
            int available = 0;
            if (!ec && ::ioctl(fd, FIONREAD, &available) == 0 && available > 0) return;
            sink->peer_gone = true;
            sink->timer.cancel();
          });
    }
    if (wrote) continue;  // more may have arrived while writing
    sink->timer.expires_after(timing.keepalive.count() > 0
                                  ? std::chrono::duration_cast<Clock::duration>(timing.keepalive)
                                  : Clock::duration(std::chrono::hours(24)));
    auto [ec] = co_await sink->timer.async_wait(kTuple);
    if (!ec && timing.keepalive.count() > 0) {
      out += sse::format_comment("keepalive");
      may_hold = false;
    }
  }
  co_return finished&& keep_alive && !sink->peer_gone;
}

}  // namespace glassbox::transport::http_detail
