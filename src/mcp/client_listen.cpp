// The client's subscriptions/listen (MCP 2026-07-28), behind Client::subscribe/unsubscribe: one
// stream at a time, carrying every subscribed uri and the list-changed kinds the server
// advertises. A change of the set opens a new stream, waits for its acknowledgement, then
// cancels the old one, so that no update falls between the two. Notifications of any stream but
// the current one are dropped (the old one may still deliver while it is being cancelled).
#include "glassbox/mcp/protocol_revision.hpp"
#include "mcp/client_impl.hpp"

#include <future>
#include <thread>

namespace glassbox::mcp {

struct Client::Impl::ListenStream {
  std::stop_source stop;
  std::thread thread;
  std::promise<Outcome> acknowledged;  // the honoured filter, or why the stream ended first
  std::once_flag settled;
  std::optional<jsonrpc::Id> id;  // set before the request is written (listen_mutex)

  void settle(Outcome outcome) {
    std::call_once(settled, [&] { acknowledged.set_value(std::move(outcome)); });
  }
  void end() {
    stop.request_stop();
    if (thread.joinable()) thread.join();
  }
};

namespace {

// A listen stream lasts until it is cancelled or the server ends it; never a timeout.
constexpr std::chrono::milliseconds kListenLifetime = std::chrono::hours(24 * 365);

std::optional<jsonrpc::Id> subscription_id_of(const json::object& params) {
  const json::object* meta = json::find_object(params, "_meta");
  const json::value* id = meta ? meta->if_contains(kMetaSubscriptionId) : nullptr;
  if (id == nullptr) return std::nullopt;
  if (id->is_int64()) return jsonrpc::Id(id->get_int64());
  if (id->is_string()) return jsonrpc::Id(std::string(id->get_string()));
  return std::nullopt;
}

}  // namespace

json::object Client::Impl::listen_filter() const {
  json::object filter;
  auto list_changed = [&](std::string_view capability, std::string_view key) {
    const json::object* cap = json::find_object(init.capabilities, capability);
    if (cap && json::find_bool(*cap, "listChanged").value_or(false)) filter[key] = true;
  };
  list_changed("tools", "toolsListChanged");
  list_changed("prompts", "promptsListChanged");
  list_changed("resources", "resourcesListChanged");
  json::array uris;
  for (const std::string& uri : subscribed_uris) uris.emplace_back(uri);
  filter["resourceSubscriptions"] = std::move(uris);
  return filter;
}

void Client::Impl::relisten() {
  std::shared_ptr<ListenStream> old = listen_stream;
  if (subscribed_uris.empty()) {
    {
      std::lock_guard lock(state_mutex);
      listen_id.reset();
    }
    listen_stream.reset();
    if (old) old->end();
    return;
  }
  auto stream = std::make_shared<ListenStream>();
  json::object params{{"notifications", listen_filter()}};
  add_request_meta(params);
  live_session();  // throws when not connected
  {
    std::lock_guard lock(state_mutex);
    pending_listen = stream;
  }
  stream->thread = std::thread([this, stream, s = session, params = std::move(params)]() mutable {
    Outcome ended = s->request(kMethodSubscriptionsListen, std::move(params),
                               RequestOptions{.timeout = kListenLifetime,
                                              .on_request_id =
                                                  [this, stream](const jsonrpc::Id& id) {
                                                    std::lock_guard lock(state_mutex);
                                                    stream->id = id;
                                                  },
                                              .cancel = stream->stop.get_token()});
    // An answer before the acknowledgement: a refusal, or a stream the server ended at once.
    if (ended.index() == 1) {
      stream->settle(std::move(ended));
    } else {
      stream->settle(jsonrpc::Error{jsonrpc::error_code::kInternalError,
                                    "subscriptions/listen ended before it was acknowledged",
                                    nullptr});
    }
  });
  std::future<Outcome> acked = stream->acknowledged.get_future();
  if (acked.wait_for(options.request_timeout) == std::future_status::timeout) {
    stream->end();
    throw ProtocolError({jsonrpc::error_code::kRequestTimeout,
                         "subscriptions/listen was not acknowledged in time", nullptr});
  }
  Outcome outcome = acked.get();
  if (outcome.index() == 1) {
    stream->end();
    throw ProtocolError(std::get<1>(std::move(outcome)));
  }
  listen_stream = stream;
  if (old) old->end();  // after the new stream is acknowledged: no update is missed
}

bool Client::Impl::take_listen_notification(const std::string& method, const json::object& params) {
  std::optional<jsonrpc::Id> id = subscription_id_of(params);
  if (method == kNotificationSubscriptionsAcknowledged) {
    std::shared_ptr<ListenStream> stream;
    {
      std::lock_guard lock(state_mutex);
      std::shared_ptr<ListenStream> opening = pending_listen.lock();
      if (opening && id && opening->id == id) {
        stream = std::move(opening);
        listen_id = id;  // from now on, the old stream's notifications are dropped
      }
    }
    if (stream) stream->settle(params);
    return true;
  }
  if (!id) return false;  // not from a listen stream
  std::lock_guard lock(state_mutex);
  return listen_id != id;
}

void Client::Impl::stop_listening() {
  std::shared_ptr<ListenStream> stream;
  {
    std::lock_guard lock(listen_mutex);
    stream = std::move(listen_stream);
    subscribed_uris.clear();
  }
  if (stream) stream->end();
}

void Client::Impl::subscribe_2026(std::string_view uri, bool add) {
  std::lock_guard lock(listen_mutex);
  bool changed =
      add ? subscribed_uris.emplace(uri).second : subscribed_uris.erase(std::string(uri)) > 0;
  if (!changed) return;
  try {
    relisten();
  } catch (...) {
    if (add) subscribed_uris.erase(std::string(uri));  // the set stays what the server has
    throw;
  }
}

}  // namespace glassbox::mcp
