// subscriptions/listen (MCP 2026-07-28): the long-lived request that replaces the 2025-11-25
// GET stream and resources/subscribe. The client names the notifications it wants
// (toolsListChanged, promptsListChanged, resourcesListChanged, resourceSubscriptions); the server
// acknowledges first (notifications/subscriptions/acknowledged), then sends only those, each
// tagged with _meta io.modelcontextprotocol/subscriptionId (the listen request's id), on the
// listen request's own stream. It ends when the client cancels or goes away (no answer), or when
// the server shuts down (an empty result).
//
// Threads: listen() blocks the worker that runs it; notify() and shutdown() from any thread.
#pragma once

#include "glassbox/mcp/request_context.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace glassbox::mcp {

class Session;

class ListenRegistry {
 public:
  explicit ListenRegistry(std::size_t max_listeners) : max_listeners_(max_listeners) {}

  // Serves one subscriptions/listen request until it ends. `capabilities`: the server's, so
  // that only notifications it can send are acknowledged.
  Outcome listen(RequestContext& ctx, const json::object& capabilities);
  // A notification to every listener that asked for it (resources/updated: `uri` names it).
  void notify(std::string_view method, std::string_view uri = {});
  // Ends every listen request with its result; later listen requests are refused.
  void shutdown();

 private:
  struct Listener {
    std::weak_ptr<Session> session;
    jsonrpc::Id id;
    json::object filter;  // the acknowledged SubscriptionFilter
  };
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::size_t max_listeners_;
  bool stopping_ = false;
};

}  // namespace glassbox::mcp
