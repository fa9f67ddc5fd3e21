#include "glassbox/mcp/server.hpp"

#include "glassbox/json/non_finite.hpp"
#include "glassbox/transport/secure_random.hpp"
#include "glassbox/transport/stdio.hpp"
#include "json/spare_list.hpp"
#include "mcp/input_required.hpp"
#include "mcp/session.hpp"
#include "mcp/stateless.hpp"
#include "mcp/subscriptions.hpp"
#include "mcp/worker_pool.hpp"

#include <charconv>
#include <shared_mutex>

namespace glassbox::mcp {
namespace {

jsonrpc::Error invalid_params(std::string message) {
  return {jsonrpc::error_code::kInvalidParams, std::move(message), nullptr};
}

std::string required_string(const json::object& params, std::string_view key) {
  const json::string* s = json::find_string(params, key);
  if (s == nullptr)
    throw ProtocolError(invalid_params("params." + std::string(key) + " must be a string"));
  return std::string(*s);
}

// Matches a URI against an RFC 6570 level-1 template ("test://template/{id}/data"); a variable
// matches one or more characters other than '/'.
std::optional<std::map<std::string, std::string>> match_template(std::string_view tmpl,
                                                                 std::string_view uri) {
  std::map<std::string, std::string> vars;
  while (!tmpl.empty()) {
    if (tmpl.front() != '{') {
      std::size_t literal = std::min(tmpl.find('{'), tmpl.size());
      if (uri.substr(0, literal) != tmpl.substr(0, literal)) return std::nullopt;
      tmpl.remove_prefix(literal);
      uri.remove_prefix(literal);
      continue;
    }
    std::size_t close = tmpl.find('}');
    if (close == std::string_view::npos) return std::nullopt;
    std::string name(tmpl.substr(1, close - 1));
    tmpl.remove_prefix(close + 1);
    std::size_t next_literal_len = std::min(tmpl.find('{'), tmpl.size());
    std::string_view next_literal = tmpl.substr(0, next_literal_len);
    std::size_t end = next_literal.empty() ? uri.size() : uri.find(next_literal);
    if (end == std::string_view::npos || end == 0) return std::nullopt;
    std::string_view value = uri.substr(0, end);
    if (value.find('/') != std::string_view::npos) return std::nullopt;
    vars[name] = std::string(value);
    uri.remove_prefix(end);
  }
  if (!uri.empty()) return std::nullopt;
  return vars;
}

// Cursors are opaque to clients; here they are the decimal offset of the next page.
std::size_t read_cursor(const json::object& params) {
  const json::string* c = json::find_string(params, "cursor");
  if (c == nullptr) return 0;
  std::size_t offset = 0;
  auto [end, ec] = std::from_chars(c->data(), c->data() + c->size(), offset);
  if (ec != std::errc() || end != c->data() + c->size())
    throw ProtocolError(invalid_params("invalid cursor"));
  return offset;
}

template <class Item>
json::object page(const std::vector<Item>& items, std::size_t offset, std::size_t page_size,
                  std::string_view key) {
  if (offset > items.size()) throw ProtocolError(invalid_params("invalid cursor"));
  json::array out;
  std::size_t end = std::min(items.size(), offset + page_size);
  for (std::size_t i = offset; i < end; ++i) out.push_back(items[i]->to_json());
  json::object result{{key, std::move(out)}};
  if (end < items.size()) result["nextCursor"] = std::to_string(end);
  return result;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  // One entry shape for every kind: the item as listed, its handler, its scopes, and the member
  // that keys it (a name, a uri or a uri template).
  template <class Item, std::string Item::*Key, class Handler>
  struct Entry {
    Item item;
    Handler handler;
    AccessPolicy access = {};
    const std::string& key() const { return item.*Key; }
    json::object to_json() const { return item.to_json(); }
  };
  using ToolEntry = Entry<Tool, &Tool::name, ToolHandler>;
  using ResourceEntry = Entry<Resource, &Resource::uri, ResourceHandler>;
  using TemplateEntry =
      Entry<ResourceTemplate, &ResourceTemplate::uri_template, ResourceTemplateHandler>;
  using PromptEntry = Entry<Prompt, &Prompt::name, PromptHandler>;

  // Entries are immutable once registered and shared: a call holds its entry (item, schema,
  // handler) without copying it, and a replacement or removal meanwhile leaves that call's
  // entry alive until it returns.
  template <class Entry>
  using Shared = std::shared_ptr<const Entry>;

  // One registry rule for every kind: an entry replaces the one with its key, in place (the
  // list order clients page through stays stable).
  template <class Entry>
  void put(std::vector<Shared<Entry>> Impl::*items, Entry entry) {
    auto shared = std::make_shared<const Entry>(std::move(entry));
    std::unique_lock lock(registry_mutex);
    auto& v = this->*items;
    auto it = std::find_if(v.begin(), v.end(),
                           [&](const Shared<Entry>& e) { return e->key() == shared->key(); });
    if (it != v.end()) {
      *it = std::move(shared);
    } else {
      v.push_back(std::move(shared));
    }
  }
  template <class Entry>
  bool erase(std::vector<Shared<Entry>> Impl::*items, std::string_view key) {
    std::unique_lock lock(registry_mutex);
    auto& v = this->*items;
    auto it =
        std::find_if(v.begin(), v.end(), [&](const Shared<Entry>& e) { return e->key() == key; });
    if (it == v.end()) return false;
    v.erase(it);
    return true;
  }

  // The entry with this key, taken under the lock so that the handler runs without it.
  template <class Entry>
  Shared<Entry> find(std::vector<Shared<Entry>> Impl::*items, std::string_view key) const {
    std::shared_lock lock(registry_mutex);
    const auto& v = this->*items;
    auto it =
        std::find_if(v.begin(), v.end(), [&](const Shared<Entry>& e) { return e->key() == key; });
    if (it == v.end()) return nullptr;
    return *it;
  }

  explicit Impl(ServerOptions o)
      : options(std::move(o)), pool(std::make_shared<WorkerPool>(options.max_concurrent_requests)) {
    request_state = {.key = options.stateless.request_state_key,
                     .ttl = options.stateless.request_state_ttl,
                     .max_bytes = options.stateless.max_request_state_bytes};
    if (request_state.key.empty()) {
      request_state.key.resize(32);
      transport::secure_random_bytes(request_state.key.data(), 32);
    }
    install_methods();
  }

  ServerOptions options;
  std::shared_ptr<WorkerPool> pool;
  RequestStateOptions request_state;
  mutable ListenRegistry listeners{options.stateless.max_listeners};

  mutable std::shared_mutex registry_mutex;
  std::vector<Shared<ToolEntry>> tools;
  std::vector<Shared<ResourceEntry>> resources;
  std::vector<Shared<TemplateEntry>> templates;
  std::vector<Shared<PromptEntry>> prompts;
  CompletionHandler completion;
  std::map<std::string, MethodHandler, std::less<>> methods;
  std::vector<Middleware> middleware;
  std::shared_ptr<const MethodHandler> chain;  // null until the first use()

  using SessionSet = std::set<std::shared_ptr<Session>>;
  std::mutex sessions_mutex;
  SessionSet sessions;
  // Finished sessions of one-shot transports (sessionless HTTP POSTs), each in the set node it
  // had, for the next such transport: making, starting and destroying a session and its node
  // per request cost more than the request's own dispatch (sessions_mutex). A spare is taken
  // once nothing else holds its session (a handler may have kept its RequestContext, a
  // broadcast its copy).
  struct SessionHeldByTheListAlone {
    bool operator()(const SessionSet::node_type& node) const noexcept {
      return node.value().use_count() == 1;
    }
  };
  json::SpareList<SessionSet::node_type, 64, SessionHeldByTheListAlone> spare_sessions;

  Outcome dispatch(RequestContext& ctx) const {
    std::shared_ptr<const MethodHandler> composed;
    {
      std::shared_lock lock(registry_mutex);
      composed = chain;
    }
    auto next = [&](RequestContext& c) { return composed ? (*composed)(c) : route(c); };
    // 2026-07-28: the request names its version in _meta; no session state is involved.
    if (is_stateless_request(ctx)) {
      return dispatch_stateless(ctx,
                                StatelessHost{.options = options,
                                              .request_state = request_state,
                                              .capabilities = [this] { return capabilities(); },
                                              .next = next});
    }
    return next(ctx);
  }

  // The method table, innermost in the middleware chain.
  Outcome route(RequestContext& c) const {
    MethodHandler handler;
    {
      std::shared_lock lock(registry_mutex);
      auto it = methods.find(c.method());
      if (it != methods.end()) handler = it->second;
    }
    if (!handler) {
      return jsonrpc::Error{jsonrpc::error_code::kMethodNotFound, "method not found: " + c.method(),
                            nullptr};
    }
    try {
      return handler(c);
    } catch (const InputRequired&) {
      // A 2026-07-28 handler asked the client something: the InputRequiredResult answers.
      return input_required_result(request_state, *input_round_of(c), c.params());
    }
  }

  // Composes the chain once per use() rather than once per request: outermost first,
  // middleware[0](ctx, middleware[1](ctx, ... route)). Caller holds registry_mutex exclusively.
  void compose_locked() {
    MethodHandler next = [this](RequestContext& c) { return route(c); };
    for (std::size_t i = middleware.size(); i-- > 0;) {
      next = [layer = middleware[i], inner = std::move(next)](RequestContext& c) {
        return layer(c, inner);
      };
    }
    chain = std::make_shared<const MethodHandler>(std::move(next));
  }

  json::object capabilities() const {
    json::object caps{{"tools", {{"listChanged", true}}},
                      {"resources", {{"subscribe", true}, {"listChanged", true}}},
                      {"prompts", {{"listChanged", true}}},
                      {"logging", json::object{}}};
    if (completion) caps["completions"] = json::object{};
    for (const auto& [k, v] : options.extra_capabilities) caps[k] = v;
    return caps;
  }

  // Every */list method: one page of the kind's entries from the cursor on, under the lock.
  template <class Entry>
  MethodHandler list_method(std::vector<Entry> Impl::*items, std::string_view key) const {
    return [this, items, key](RequestContext& ctx) -> Outcome {
      std::shared_lock lock(registry_mutex);
      return page(this->*items, read_cursor(ctx.params()), options.page_size, key);
    };
  }

  void install_methods();
  void broadcast(std::string_view method, const std::function<bool(Session&)>& filter = {});
  Outcome call_tool(RequestContext& ctx) const;
  Outcome read_resource(RequestContext& ctx) const;
  Outcome get_prompt(RequestContext& ctx) const;
};

void Server::Impl::install_methods() {
  methods["initialize"] = [this](RequestContext& ctx) -> Outcome {
    const json::object& p = ctx.params();
    const json::string* requested = json::find_string(p, "protocolVersion");
    if (requested == nullptr) return invalid_params("params.protocolVersion must be a string");
    // Version negotiation: echo a supported version, else offer the latest we speak.
    std::string version = is_supported_protocol_version(*requested)
                              ? std::string(*requested)
                              : std::string(kLatestProtocolVersion);
    const json::object* caps = json::find_object(p, "capabilities");
    auto it = p.find("clientInfo");
    session_of(ctx).set_peer(caps ? *caps : json::object{},
                             Implementation::from_json(it != p.end() ? it->value() : json::value()),
                             version);
    json::object result{
        {"protocolVersion", version},
        {"capabilities", capabilities()},
        {"serverInfo", Implementation{options.name, options.version, options.title}.to_json()}};
    if (!options.instructions.empty()) result["instructions"] = options.instructions;
    return result;
  };
  methods[std::string(kMethodServerDiscover)] = [this](RequestContext&) -> Outcome {
    return discover_result(options, capabilities());
  };
  methods[std::string(kMethodSubscriptionsListen)] = [this](RequestContext& ctx) -> Outcome {
    if (ctx.revision() != ProtocolRevision::k2026_07_28) {
      return jsonrpc::Error{jsonrpc::error_code::kMethodNotFound,
                            "subscriptions/listen is a 2026-07-28 method", nullptr};
    }
    return listeners.listen(ctx, capabilities());
  };
  methods["ping"] = [](RequestContext&) -> Outcome { return json::object{}; };
  methods["logging/setLevel"] = [](RequestContext& ctx) -> Outcome {
    std::optional<LogLevel> level = log_level_from_string(required_string(ctx.params(), "level"));
    if (!level) return invalid_params("unknown log level");
    session_of(ctx).set_log_level(*level);
    return json::object{};
  };
  methods["tools/list"] = list_method(&Impl::tools, "tools");
  methods["tools/call"] = [this](RequestContext& ctx) { return call_tool(ctx); };
  methods["resources/list"] = list_method(&Impl::resources, "resources");
  methods["resources/templates/list"] = list_method(&Impl::templates, "resourceTemplates");
  methods["resources/read"] = [this](RequestContext& ctx) { return read_resource(ctx); };
  methods["resources/subscribe"] = [](RequestContext& ctx) -> Outcome {
    session_of(ctx).subscribe(required_string(ctx.params(), "uri"));
    return json::object{};
  };
  methods["resources/unsubscribe"] = [](RequestContext& ctx) -> Outcome {
    session_of(ctx).unsubscribe(required_string(ctx.params(), "uri"));
    return json::object{};
  };
  methods["prompts/list"] = list_method(&Impl::prompts, "prompts");
  methods["prompts/get"] = [this](RequestContext& ctx) { return get_prompt(ctx); };
  methods["completion/complete"] = [this](RequestContext& ctx) -> Outcome {
    CompletionHandler handler;
    {
      std::shared_lock lock(registry_mutex);
      handler = completion;
    }
    const json::object& p = ctx.params();
    const json::object* ref = json::find_object(p, "ref");
    const json::object* argument = json::find_object(p, "argument");
    if (ref == nullptr || argument == nullptr)
      return invalid_params("params.ref and params.argument are required");
    CompletionRequest request{
        *ref, required_string(*argument, "name"), required_string(*argument, "value"), {}};
    if (const json::object* context = json::find_object(p, "context")) {
      if (const json::object* args = json::find_object(*context, "arguments")) {
        for (const auto& [k, v] : *args) {
          if (v.is_string())
            request.context_arguments[std::string(k)] = std::string(v.get_string());
        }
      }
    }
    if (!handler) return CompletionResult{}.to_json();
    return handler(request, ctx).to_json();
  };
}

Outcome Server::Impl::call_tool(RequestContext& ctx) const {
  std::string name = required_string(ctx.params(), "name");
  auto args_it = ctx.params().find("arguments");
  if (args_it != ctx.params().end() && !args_it->value().is_object() &&
      !args_it->value().is_null()) {
    return invalid_params("params.arguments must be an object");
  }
  Shared<ToolEntry> entry = find(&Impl::tools, name);
  if (!entry) return invalid_params("unknown tool: " + name);
  const Tool& tool = entry->item;
  const ToolHandler& handler = entry->handler;
  // Arguments that fail the input schema are the tool's failure, reported to the model.
  if (auto problem = validate(ctx.arguments(), tool.input_schema)) {
    return CallToolResult::error("invalid arguments: " + *problem).to_json();
  }
  try {
    json::value result = handler(ctx.arguments(), ctx).to_json();
    // JSON has no infinities: `{"sum":Infinity}` would break every reader. The tool's failure.
    if (auto at = json::find_non_finite(result)) {
      return CallToolResult::error("the tool's result holds a non-finite number at " + *at +
                                   ", which JSON cannot carry")
          .to_json();
    }
    return result;
  } catch (const ProtocolError&) {
    throw;
  } catch (const InputRequired&) {
    throw;
  } catch (const std::exception& e) {
    return CallToolResult::error(e.what()).to_json();
  } catch (...) {
    return CallToolResult::error("the tool failed with an unknown exception").to_json();
  }
}

Outcome Server::Impl::read_resource(RequestContext& ctx) const {
  std::string uri = required_string(ctx.params(), "uri");
  std::vector<ResourceContents> contents;
  ResourceHandler direct;
  ResourceTemplateHandler templated;
  std::map<std::string, std::string> vars;
  {
    std::shared_lock lock(registry_mutex);
    for (const auto& r : resources) {
      if (r->key() == uri) {
        direct = r->handler;
        break;
      }
    }
    if (!direct) {
      for (const auto& t : templates) {
        if (auto m = match_template(t->key(), uri)) {
          templated = t->handler;
          vars = std::move(*m);
          break;
        }
      }
    }
  }
  if (direct) {
    contents = direct(uri, ctx);
  } else if (templated) {
    contents = templated(uri, vars, ctx);
  } else {
    return jsonrpc::Error{jsonrpc::error_code::kResourceNotFound, "resource not found",
                          json::object{{"uri", uri}}};
  }
  ReadResourceResult result;
  result.contents = std::move(contents);
  return result.to_json();
}

Outcome Server::Impl::get_prompt(RequestContext& ctx) const {
  std::string name = required_string(ctx.params(), "name");
  Shared<PromptEntry> entry = find(&Impl::prompts, name);
  if (!entry) return invalid_params("unknown prompt: " + name);
  std::map<std::string, std::string> args;
  for (const auto& [k, v] : ctx.arguments()) {
    if (!v.is_string())
      return invalid_params("prompt argument '" + std::string(k) + "' must be a string");
    args[std::string(k)] = std::string(v.get_string());
  }
  for (const auto& a : entry->item.arguments) {
    if (a.required && !args.count(a.name))
      return invalid_params("missing required argument: " + a.name);
  }
  return entry->handler(args, ctx).to_json();
}

void Server::Impl::broadcast(std::string_view method, const std::function<bool(Session&)>& filter) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(sessions_mutex);
    targets.assign(sessions.begin(), sessions.end());
  }
  for (auto& s : targets) {
    // No notifications before initialize (MCP lifecycle).
    if (s->initialized() && (!filter || filter(*s))) s->notify(method, {});
  }
  listeners.notify(method);
}

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

Server::~Server() {
  impl_->listeners.shutdown();
  std::set<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    sessions.swap(impl_->sessions);
  }
  for (auto& s : sessions) s->close();
  sessions.clear();
  impl_->pool.reset();  // waits for handlers still running
}

const ServerOptions& Server::options() const {
  return impl_->options;
}

void Server::add_tool(Tool tool, ToolHandler handler) {
  add_tool(std::move(tool), std::move(handler), AccessPolicy{});
}

void Server::add_tool(Tool tool, ToolHandler handler, AccessPolicy access) {
  impl_->put(&Impl::tools, Impl::ToolEntry{std::move(tool), std::move(handler), std::move(access)});
  notify_tools_changed();
}

bool Server::remove_tool(std::string_view name) {
  if (!impl_->erase(&Impl::tools, name)) return false;
  notify_tools_changed();
  return true;
}

void Server::add_resource(Resource resource, ResourceHandler handler) {
  add_resource(std::move(resource), std::move(handler), AccessPolicy{});
}

void Server::add_resource(Resource resource, ResourceHandler handler, AccessPolicy access) {
  impl_->put(&Impl::resources,
             Impl::ResourceEntry{std::move(resource), std::move(handler), std::move(access)});
  notify_resources_changed();
}

bool Server::remove_resource(std::string_view uri) {
  if (!impl_->erase(&Impl::resources, uri)) return false;
  notify_resources_changed();
  return true;
}

void Server::add_resource_template(ResourceTemplate resource_template,
                                   ResourceTemplateHandler handler) {
  add_resource_template(std::move(resource_template), std::move(handler), AccessPolicy{});
}

void Server::add_resource_template(ResourceTemplate resource_template,
                                   ResourceTemplateHandler handler, AccessPolicy access) {
  impl_->put(&Impl::templates, Impl::TemplateEntry{std::move(resource_template), std::move(handler),
                                                   std::move(access)});
  // Templates are listed under the resources capability, so their changes are resource changes.
  notify_resources_changed();
}

bool Server::remove_resource_template(std::string_view uri_template) {
  if (!impl_->erase(&Impl::templates, uri_template)) return false;
  notify_resources_changed();
  return true;
}

std::vector<std::string> Server::required_scopes(std::string_view method,
                                                 const json::object& params) const {
  std::shared_lock lock(impl_->registry_mutex);
  if (method == "tools/call") {
    const json::string* name = json::find_string(params, "name");
    for (const auto& e : impl_->tools) {
      if (name && e->key() == *name) return e->access.required_scopes;
    }
  } else if (method == "resources/read") {
    const json::string* uri = json::find_string(params, "uri");
    if (uri == nullptr) return {};
    // The same precedence as read_resource: an exact resource first, then the first template.
    for (const auto& r : impl_->resources) {
      if (r->key() == *uri) return r->access.required_scopes;
    }
    for (const auto& t : impl_->templates) {
      if (match_template(t->key(), *uri)) return t->access.required_scopes;
    }
  }
  return {};
}

std::optional<json::object> Server::tool_input_schema(std::string_view name) const {
  std::shared_lock lock(impl_->registry_mutex);
  for (const auto& e : impl_->tools) {
    if (e->key() == name) return e->item.input_schema;
  }
  return std::nullopt;
}

void Server::add_prompt(Prompt prompt, PromptHandler handler) {
  impl_->put(&Impl::prompts, Impl::PromptEntry{std::move(prompt), std::move(handler)});
  notify_prompts_changed();
}

bool Server::remove_prompt(std::string_view name) {
  if (!impl_->erase(&Impl::prompts, name)) return false;
  notify_prompts_changed();
  return true;
}

void Server::set_completion_handler(CompletionHandler handler) {
  std::unique_lock lock(impl_->registry_mutex);
  impl_->completion = std::move(handler);
}

void Server::use(Middleware middleware) {
  std::unique_lock lock(impl_->registry_mutex);
  impl_->middleware.push_back(std::move(middleware));
  impl_->compose_locked();
}

void Server::set_method(std::string method, MethodHandler handler) {
  std::unique_lock lock(impl_->registry_mutex);
  impl_->methods[std::move(method)] = std::move(handler);
}

void ServerSession::wait() const {
  session_->wait_until_drained();
}

void ServerSession::close() const {
  session_->close();
}

ServerSession Server::connect(std::shared_ptr<transport::Transport> transport) {
  const bool one_shot = transport->one_shot();
  if (one_shot) {
    Impl::SessionSet::node_type node;
    {
      std::lock_guard lock(impl_->sessions_mutex);
      node = impl_->spare_sessions.take();
    }
    if (node) {
      std::shared_ptr<Session> session = node.value();
      session->reset(std::move(transport));
      {
        std::lock_guard lock(impl_->sessions_mutex);
        impl_->sessions.insert(std::move(node));
      }
      session->restart();
      return ServerSession(std::move(session));
    }
  }
  std::weak_ptr<Impl> weak = impl_;
  auto session = std::make_shared<Session>(
      std::move(transport), impl_->pool,
      [weak](RequestContext& ctx) -> Outcome {
        auto impl = weak.lock();
        if (!impl)
          return jsonrpc::Error{jsonrpc::error_code::kInternalError, "server is shutting down",
                                nullptr};
        return impl->dispatch(ctx);
      },
      nullptr);
  {
    std::lock_guard lock(impl_->sessions_mutex);
    impl_->sessions.insert(session);
  }
  // Forget the session once its input ended and its last request was answered; a one-shot
  // transport's is kept for the next one.
  std::weak_ptr<Session> weak_session = session;
  session->start([weak, weak_session, one_shot] {
    auto impl = weak.lock();
    auto s = weak_session.lock();
    if (!impl || !s) return;
    Impl::SessionSet::node_type node;  // released outside the lock
    std::lock_guard lock(impl->sessions_mutex);
    auto it = impl->sessions.find(s);
    if (it == impl->sessions.end()) return;
    node = impl->sessions.extract(it);
    if (one_shot) node = impl->spare_sessions.keep(std::move(node));
  });
  return ServerSession(std::move(session));
}

void Server::serve_stdio() {
  auto session = connect(transport::make_stdio_transport(
      {.read_fd = 0, .write_fd = 1, .max_message_bytes = impl_->options.max_message_bytes}));
  session.wait();
  session.close();
}

void Server::notify_tools_changed() {
  impl_->broadcast("notifications/tools/list_changed");
}
void Server::notify_resources_changed() {
  impl_->broadcast("notifications/resources/list_changed");
}
void Server::notify_prompts_changed() {
  impl_->broadcast("notifications/prompts/list_changed");
}
void Server::notify_resource_updated(const std::string& uri) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    targets.assign(impl_->sessions.begin(), impl_->sessions.end());
  }
  for (auto& s : targets) {
    if (s->subscribed(uri)) s->notify("notifications/resources/updated", {{"uri", uri}});
  }
  impl_->listeners.notify("notifications/resources/updated", uri);
}

}  // namespace glassbox::mcp
