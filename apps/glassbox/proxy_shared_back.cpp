// The shared back of the proxy's sessionless fronts: id and progress-token rewriting. See
// proxy_shared_back.hpp.
#include "proxy_shared_back.hpp"

#include "glassbox/mcp/protocol_revision.hpp"

#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace glassbox::cli {

using jsonrpc::Id;

namespace {

std::optional<Id> id_of(const json::value& v) {
  if (v.is_int64()) return Id(v.get_int64());
  if (v.is_uint64()) return Id(static_cast<std::int64_t>(v.get_uint64()));
  if (v.is_string()) return Id(std::string(v.get_string()));
  return std::nullopt;
}

// The request's _meta.progressToken, or null.
json::value* progress_token(json::value& params) {
  if (!params.is_object()) return nullptr;
  json::value* meta = params.get_object().if_contains("_meta");
  if (!meta || !meta->is_object()) return nullptr;
  return meta->get_object().if_contains("progressToken");
}

}  // namespace

class SharedBack::Port : public transport::Transport {
 public:
  Port(std::shared_ptr<SharedBack> owner, std::shared_ptr<Link> link)
      : owner_(std::move(owner)), link_(std::move(link)) {}
  ~Port() override { owner_->release(*this, link_); }

  void start(transport::Callbacks callbacks) override {
    {
      std::lock_guard lock(mutex_);
      started_ = true;
      if (!closed_) {
        callbacks_ = std::move(callbacks);
        return;
      }
    }
    if (callbacks.on_close) callbacks.on_close();  // the back closed before this front started
  }
  bool send(const jsonrpc::Message& m, const transport::SendOptions& = {}) override {
    return owner_->send(*this, link_, m);
  }
  void close() override {
    owner_->release(*this, link_);
    closed();
  }

  void deliver(jsonrpc::Message m) {
    std::function<void(jsonrpc::Message, transport::MessageContext)> on_message;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      on_message = callbacks_.on_message;
    }
    if (on_message) on_message(std::move(m), {});
  }
  // on_close, once.
  void closed() {
    std::function<void()> on_close;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      if (started_) on_close = std::move(callbacks_.on_close);
      callbacks_.on_message = nullptr;
    }
    if (on_close) on_close();
  }

 private:
  const std::shared_ptr<SharedBack> owner_;
  const std::shared_ptr<Link> link_;
  std::mutex mutex_;
  transport::Callbacks callbacks_;
  bool started_ = false;
  bool closed_ = false;  // on_close ran, or runs in start()
};

SharedBack::~SharedBack() {
  close();
}

std::shared_ptr<transport::Transport> SharedBack::port() {
  for (int attempt = 1;; ++attempt) {
    std::shared_ptr<Link> link;
    bool fresh = false;
    {
      std::lock_guard lock(mutex_);
      if (!current_ || current_->closed) {
        auto opened = std::make_shared<Link>();
        opened->transport = open_();  // may throw: nothing changes then
        current_ = std::move(opened);
        ++opened_;
        fresh = true;
      }
      link = current_;
    }
    if (fresh) {
      std::weak_ptr<SharedBack> weak = weak_from_this();
      std::weak_ptr<Link> weak_link = link;
      link->transport->start({.on_message =
                                  [weak, weak_link](jsonrpc::Message m, transport::MessageContext) {
                                    auto self = weak.lock();
                                    auto l = weak_link.lock();
                                    if (self && l) self->from_back(l, std::move(m));
                                  },
                              .on_close =
                                  [weak, weak_link] {
                                    auto self = weak.lock();
                                    auto l = weak_link.lock();
                                    if (self && l) self->back_closed(l);
                                  }});
    }
    auto port = std::make_shared<Port>(shared_from_this(), link);
    std::lock_guard lock(mutex_);
    if (link->closed) {  // the back died in between: open the next one, a few times
      if (attempt == 3) throw std::runtime_error("the server closed the connection at once");
      continue;
    }
    link->ports[port.get()] = port;
    return port;
  }
}

void SharedBack::close() {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    link = std::move(current_);
  }
  if (link && link->transport) link->transport->close();
}

std::uint64_t SharedBack::opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

bool SharedBack::send(Port& port, const std::shared_ptr<Link>& link, const jsonrpc::Message& m) {
  jsonrpc::Message out = m;
  {
    std::lock_guard lock(mutex_);
    if (link->closed || !link->ports.contains(&port)) return false;
    if (auto* r = std::get_if<jsonrpc::Request>(&out)) {
      std::int64_t back_id = next_id_++;
      Route route{.port = link->ports[&port], .front_id = r->id, .front_token = nullptr};
      const json::object* meta = json::find_object(json::as_object_or_empty(r->params), "_meta");
      route.wants_log = meta && meta->contains(mcp::kMetaLogLevel);
      if (json::value* token = progress_token(r->params)) {
        route.front_token = *token;
        *token = back_id;  // unique among the back's requests, as the back id is
      }
      link->routes.emplace(back_id, std::move(route));
      r->id = back_id;
    } else if (auto* n = std::get_if<jsonrpc::Notification>(&out);
               n && n->method == "notifications/cancelled") {
      json::value* request_id =
          n->params.is_object() ? n->params.get_object().if_contains("requestId") : nullptr;
      std::optional<Id> front_id = request_id ? id_of(*request_id) : std::nullopt;
      auto it = link->routes.begin();
      for (; it != link->routes.end(); ++it) {
        if (front_id && it->second.front_id == *front_id && it->second.port.lock().get() == &port)
          break;
      }
      if (it == link->routes.end()) return true;  // nothing of this front's in flight: no-op
      *request_id = it->first;
      link->routes.erase(it);  // its response, if one still comes, is dropped
    } else if (std::holds_alternative<jsonrpc::Response>(out) ||
               std::holds_alternative<jsonrpc::ErrorResponse>(out)) {
      return true;  // the back's requests are refused here, so nothing waits for an answer
    }
  }
  return link->transport->send(out);
}

void SharedBack::release(Port& port, const std::shared_ptr<Link>& link) {
  std::vector<std::int64_t> cancelled;
  {
    std::lock_guard lock(mutex_);
    if (!link->ports.erase(&port)) return;
    for (auto it = link->routes.begin(); it != link->routes.end();) {
      auto owner = it->second.port.lock();
      if (!owner || owner.get() == &port) {
        cancelled.push_back(it->first);
        it = link->routes.erase(it);
      } else {
        ++it;
      }
    }
    if (link->closed) return;
  }
  // The front went away mid-call (an HTTP client that closed its response stream): the back
  // stops working for nobody.
  for (std::int64_t id : cancelled) {
    link->transport->send(jsonrpc::Notification{
        "notifications/cancelled",
        json::object{{"requestId", id}, {"reason", "the client closed its request"}}});
  }
}

void SharedBack::from_back(const std::shared_ptr<Link>& link, jsonrpc::Message m) {
  std::shared_ptr<Port> target;
  if (auto* r = std::get_if<jsonrpc::Request>(&m)) {
    link->transport->send(jsonrpc::ErrorResponse{
        r->id,
        {jsonrpc::error_code::kMethodNotFound,
         "glassbox proxy: requests to the client are not routed to sessionless (2026-07-28) "
         "clients; ask through input_required",
         nullptr}});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    std::optional<Id> back_id;
    if (auto* r = std::get_if<jsonrpc::Response>(&m)) back_id = r->id;
    if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&m)) back_id = e->id;
    if (back_id) {
      const auto* number = std::get_if<std::int64_t>(&*back_id);
      auto it = number ? link->routes.find(*number) : link->routes.end();
      if (it == link->routes.end()) return;  // cancelled, or its front closed: dropped
      target = it->second.port.lock();
      if (auto* r = std::get_if<jsonrpc::Response>(&m)) r->id = it->second.front_id;
      if (auto* e = std::get_if<jsonrpc::ErrorResponse>(&m)) e->id = it->second.front_id;
      link->routes.erase(it);
    } else {
      auto& n = std::get<jsonrpc::Notification>(m);
      json::value* token =
          n.params.is_object() ? n.params.get_object().if_contains("progressToken") : nullptr;
      if (token) {
        auto it = token->is_int64() ? link->routes.find(token->get_int64()) : link->routes.end();
        if (it == link->routes.end() || it->second.front_token.is_null()) return;
        target = it->second.port.lock();
        *token = it->second.front_token;
      } else {
        // Not tied to a request by anything on the wire: only an unambiguous front gets it (a
        // log message, only a front whose request asked for log messages, 2026-07-28).
        bool log = n.method == "notifications/message";
        for (const auto& [id, route] : link->routes) {
          if (log && !route.wants_log) continue;
          auto p = route.port.lock();
          if (target && p != target) return;
          target = p;
        }
      }
    }
  }
  if (target) target->deliver(std::move(m));
}

void SharedBack::back_closed(const std::shared_ptr<Link>& link) {
  std::vector<std::shared_ptr<Port>> ports;
  {
    std::lock_guard lock(mutex_);
    link->closed = true;
    link->routes.clear();
    for (auto& [raw, weak] : link->ports)
      if (auto p = weak.lock()) ports.push_back(std::move(p));
    link->ports.clear();
    if (current_ == link) current_.reset();  // the next front opens a new back
  }
  for (auto& p : ports) p->closed();
}

}  // namespace glassbox::cli
