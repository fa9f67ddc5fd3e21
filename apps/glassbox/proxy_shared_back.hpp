// The back connection that the proxy's sessionless fronts share (MCP 2026-07-28 over HTTP: every
// POST is a front of its own). One back per proxy, opened when the first such front needs it and
// opened again after it closed (the child exited or crashed), so that every sessionless request
// reaches the same server process: a multi-round call (input_required) retries with a
// requestState only that process can open.
//
// Each front gets a Port, a Transport whose messages the SharedBack multiplexes onto the back:
// - a request gets a proxy-unique back id (and its _meta.progressToken a proxy-unique token); the
//   response (and progress) goes back to that port with the front's own id (and token);
// - notifications/cancelled is forwarded with the back id; a response to it is dropped;
// - closing a port cancels its requests still in flight on the back, and drops their responses;
// - a request from the back (a 2026-07-28 server asks through input_required instead) is refused
//   with -32601: no single client stands behind the shared back;
// - a notification without a progress token goes to the only port with a request in flight (a log
//   message: the only one whose request named a logLevel), or nowhere: stdio does not say which
//   request it belongs to.
// 2025-11-25 sessions do not use it: their back is their own (proxy.cpp).
//
// Threads: every member, and every Port member, may be called from any thread. A port's callbacks
// run on the back's reader thread (or, on_close, on the thread that closed it).
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/transport/transport.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace glassbox::cli {

class SharedBack : public std::enable_shared_from_this<SharedBack> {
 public:
  using Opener = std::function<std::shared_ptr<transport::Transport>()>;
  explicit SharedBack(Opener open) : open_(std::move(open)) {}
  ~SharedBack();
  SharedBack(const SharedBack&) = delete;
  SharedBack& operator=(const SharedBack&) = delete;

  // A transport for one front, on the current back (opened now if there is none). Throws what
  // the opener throws.
  std::shared_ptr<transport::Transport> port();
  // Closes the current back (shutdown); a later port() opens a new one.
  void close();
  // How many back connections were opened so far.
  std::uint64_t opened() const;

  class Port;

 private:
  struct Route {
    std::weak_ptr<Port> port;
    jsonrpc::Id front_id;
    json::value front_token;  // null: none asked for
    bool wants_log = false;   // _meta names a logLevel
  };
  struct Link {
    std::shared_ptr<transport::Transport> transport;
    std::map<std::int64_t, Route> routes;  // by back id (also the rewritten progressToken)
    std::map<const Port*, std::weak_ptr<Port>> ports;
    bool closed = false;
  };

  friend class Port;
  bool send(Port& port, const std::shared_ptr<Link>& link, const jsonrpc::Message& m);
  void release(Port& port, const std::shared_ptr<Link>& link);  // the port closed
  void from_back(const std::shared_ptr<Link>& link, jsonrpc::Message m);
  void back_closed(const std::shared_ptr<Link>& link);

  const Opener open_;
  mutable std::mutex mutex_;
  std::shared_ptr<Link> current_;
  std::int64_t next_id_ = 1;
  std::uint64_t opened_ = 0;
};

}  // namespace glassbox::cli
