#include "mcp/subscriptions.hpp"

#include "glassbox/mcp/protocol_revision.hpp"
#include "mcp/session.hpp"

#include <algorithm>

namespace glassbox::mcp {
namespace {

// The kinds whose list_changed a listener can ask for: the notification, the server capability
// that announces it, and the filter key that opts in to it.
struct ListChangedKind {
  std::string_view notification;
  std::string_view capability;
  std::string_view filter_key;
};
constexpr ListChangedKind kListChangedKinds[] = {
    {"notifications/tools/list_changed", "tools", "toolsListChanged"},
    {"notifications/prompts/list_changed", "prompts", "promptsListChanged"},
    {"notifications/resources/list_changed", "resources", "resourcesListChanged"},
};

bool wants(const json::object& filter, std::string_view method, std::string_view uri) {
  if (method == "notifications/resources/updated") {
    const json::array* uris = json::find_array(filter, "resourceSubscriptions");
    return uris && std::any_of(uris->begin(), uris->end(), [&](const json::value& u) {
             return u.is_string() && u.get_string() == uri;
           });
  }
  for (const ListChangedKind& kind : kListChangedKinds) {
    if (kind.notification == method)
      return json::find_bool(filter, kind.filter_key).value_or(false);
  }
  return false;
}

// What of the requested filter this server can honour (listChanged of each kind it has).
json::object acknowledged(const json::object& requested, const json::object& capabilities) {
  json::object out;
  for (const ListChangedKind& kind : kListChangedKinds) {
    const json::object* cap = json::find_object(capabilities, kind.capability);
    if (cap && json::find_bool(*cap, "listChanged").value_or(false) &&
        json::find_bool(requested, kind.filter_key).value_or(false)) {
      out[kind.filter_key] = true;
    }
  }
  const json::object* resources = json::find_object(capabilities, "resources");
  const json::array* uris = json::find_array(requested, "resourceSubscriptions");
  if (uris && resources && json::find_bool(*resources, "subscribe").value_or(false)) {
    json::array kept;
    for (const json::value& u : *uris) {
      if (u.is_string()) kept.push_back(u);
    }
    out["resourceSubscriptions"] = std::move(kept);
  }
  return out;
}

}  // namespace

Outcome ListenRegistry::listen(RequestContext& ctx, const json::object& capabilities) {
  const json::object* requested = json::find_object(ctx.params(), "notifications");
  if (requested == nullptr) {
    return jsonrpc::Error{jsonrpc::error_code::kInvalidParams,
                          "params.notifications must be an object", nullptr};
  }
  Session& session = session_of(ctx);
  auto listener = std::make_shared<Listener>(
      Listener{session.weak_from_this(), ctx.request_id(), acknowledged(*requested, capabilities)});
  json::object tag{{kMetaSubscriptionId, jsonrpc::to_json(ctx.request_id())}};
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return jsonrpc::Error{jsonrpc::error_code::kInternalError, "server is shutting down",
                            nullptr};
    }
    if (listeners_.size() >= max_listeners_) {
      return jsonrpc::Error{
          jsonrpc::error_code::kInternalError,
          "too many subscriptions/listen streams (" + std::to_string(max_listeners_) + ")",
          nullptr};
    }
    // The acknowledgement goes first: under the lock, no notification can overtake it.
    session.notify(kNotificationSubscriptionsAcknowledged,
                   {{"notifications", listener->filter}, {"_meta", tag}}, ctx.request_id());
    listeners_.push_back(listener);
  }
  // The client ends the stream by cancelling (the request's stop token) or by going away (the
  // session's input closed, which wakes the wait through this callback).
  std::stop_callback on_input_closed(session.input_closed_token(), [this] {
    std::lock_guard lock(mutex_);
    cv_.notify_all();
  });
  std::unique_lock lock(mutex_);
  cv_.wait(lock, ctx.stop_token(), [&] { return stopping_ || session.input_closed(); });
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
  return json::object{{kResultTypeField, kResultTypeComplete}, {"_meta", tag}};
}

void ListenRegistry::notify(std::string_view method, std::string_view uri) {
  std::lock_guard lock(mutex_);
  for (const auto& l : listeners_) {
    if (!wants(l->filter, method, uri)) continue;
    auto session = l->session.lock();
    if (!session) continue;
    json::object params{{"_meta", {{kMetaSubscriptionId, jsonrpc::to_json(l->id)}}}};
    if (!uri.empty()) params["uri"] = uri;
    session->notify(method, std::move(params), l->id);
  }
}

void ListenRegistry::shutdown() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  cv_.notify_all();
}

}  // namespace glassbox::mcp
