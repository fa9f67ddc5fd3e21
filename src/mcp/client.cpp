#include "glassbox/mcp/client.hpp"

#include "glassbox/json/non_finite.hpp"
#include "glassbox/mcp/trace_propagation.hpp"
#include "mcp/client_impl.hpp"

#include <stdexcept>

namespace glassbox::mcp {
namespace {

std::string_view kind_of(const json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
    default:
      return "a number";
  }
}

// A result whose shape MCP fixes but which the server got wrong fails its call here, naming
// the problem, instead of reaching the caller as an empty answer.
std::optional<std::string> malformed(std::string_view method, const json::value& result) {
  // Made only for a result that fails: a well-formed one costs no allocation here.
  auto what = [&] { return "invalid response: the result of " + std::string(method); };
  const json::object* r = result.if_object();
  if (r == nullptr) return what() + " is " + std::string(kind_of(result)) + ", not an object";
  auto expect_array_of_objects = [&](std::string_view key) -> std::optional<std::string> {
    auto it = r->find(key);
    if (it == r->end()) return std::nullopt;
    const json::array* a = it->value().if_array();
    if (a == nullptr) {
      return what() + " has " + std::string(key) + " that is " + std::string(kind_of(it->value())) +
             ", not an array";
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_object()) {
        return what() + " has " + std::string(key) + "[" + std::to_string(i) + "] that is " +
               std::string(kind_of((*a)[i])) + ", not an object";
      }
    }
    return std::nullopt;
  };
  if (method == "tools/call") {
    if (auto problem = expect_array_of_objects("content")) return problem;
    if (auto it = r->find("isError"); it != r->end() && !it->value().is_bool())
      return what() + " has isError that is " + std::string(kind_of(it->value())) +
             ", not a boolean";
  } else if (method == "resources/read") {
    if (auto problem = expect_array_of_objects("contents")) return problem;
  }
  return std::nullopt;
}

json::value unwrap(Outcome outcome) {
  if (outcome.index() == 1) throw ProtocolError(std::get<1>(std::move(outcome)));
  return std::get<0>(std::move(outcome));
}

}  // namespace

json::object tool_call_params(std::string_view name, json::object arguments) {
  json::object params(3);
  params.emplace("name", name);
  params.emplace("arguments", std::move(arguments));
  return params;
}

Outcome checked(std::string_view method, Outcome outcome) {
  if (outcome.index() == 0) {
    if (auto problem = malformed(method, std::get<0>(outcome)))
      return jsonrpc::Error{jsonrpc::error_code::kInternalError, std::move(*problem), nullptr};
  }
  return outcome;
}

Session& Client::Impl::live_session() const {
  if (!session) {
    throw ProtocolError(
        {jsonrpc::error_code::kConnectionClosed, "client is not connected", nullptr});
  }
  return *session;
}

void Client::Impl::merge_call_meta(OutgoingRequest& request) {
  if (request.options.meta.empty()) return;
  json::value& meta = request.params["_meta"];
  if (!meta.is_object()) meta = json::object{};
  for (const auto& [k, v] : request.options.meta) meta.get_object()[k] = v;
}

// What JSON cannot carry is refused before anything is written.
std::optional<jsonrpc::Error> Client::Impl::unsendable(const OutgoingRequest& request) {
  // Member by member: find_non_finite takes a json::value, and wrapping the params in one would
  // copy them on every call.
  for (const auto& member : request.params) {
    std::optional<std::string> at = json::find_non_finite(member.value());
    if (!at) continue;
    std::string path(member.key());
    if (!at->empty() && at->front() != '[') path += '.';
    path += *at;
    return jsonrpc::Error{
        jsonrpc::error_code::kInvalidParams,
        "params." + path + " is a non-finite number, which JSON cannot carry; not sent", nullptr};
  }
  return std::nullopt;
}

RequestOptions Client::Impl::request_options(const OutgoingRequest& request) const {
  return {.timeout = request.options.timeout.value_or(options.request_timeout),
          .on_progress = request.options.on_progress,
          .on_request_id = request.options.on_request_id,
          .cancel = request.options.cancel};
}

Outcome Client::Impl::send(OutgoingRequest& request) {
  if (std::optional<jsonrpc::Error> refused = unsendable(request)) return std::move(*refused);
  RequestOptions sending = request_options(request);
  if (stateless.load()) return checked(request.method, send_stateless(request, sending));
  return checked(request.method, live_session().request(request.method, request.params, sending));
}

Outcome Client::Impl::run(OutgoingRequest& request) {
  merge_call_meta(request);
  return chain ? chain(request) : send(request);
}

// Composed once per use(), not once per call; outermost first.
void Client::Impl::compose() {
  OutgoingHandler next = [this](OutgoingRequest& r) { return send(r); };
  for (std::size_t i = middleware.size(); i-- > 0;) {
    next = [layer = middleware[i], inner = std::move(next)](OutgoingRequest& r) {
      return layer(r, inner);
    };
  }
  chain = std::move(next);
}

json::object Client::Impl::capabilities() const {
  json::object caps;
  if (options.sampling_handler) caps["sampling"] = json::object{};
  if (options.elicitation_handler) caps["elicitation"] = json::object{};
  if (options.roots_handler) caps["roots"] = {{"listChanged", options.roots_list_changed}};
  for (const auto& [k, v] : options.extra_capabilities) caps[k] = v;
  return caps;
}

Outcome Client::Impl::answer(const std::string& m, const json::object& params) const {
  if (m == "ping") return json::object{};
  if (m == "sampling/createMessage" && options.sampling_handler)
    return options.sampling_handler(params);
  if (m == "elicitation/create" && options.elicitation_handler)
    return options.elicitation_handler(params);
  if (m == "roots/list" && options.roots_handler) {
    json::array roots;
    for (auto& r : options.roots_handler()) roots.push_back(std::move(r));
    return json::object{{"roots", std::move(roots)}};
  }
  return jsonrpc::Error{jsonrpc::error_code::kMethodNotFound, "method not found: " + m, nullptr};
}

Outcome Client::Impl::dispatch(RequestContext& ctx) const {
  return answer(ctx.method(), ctx.params());
}

void Client::Impl::on_notification(const jsonrpc::Notification& n) {
  const json::object& params = json::as_object_or_empty(n.params);
  if (stateless.load() && take_listen_notification(n.method, params)) return;
  cache.on_notification(n.method, params);
  if (n.method == "notifications/message" && options.on_log) {
    LogMessage log;
    if (const json::string* level = json::find_string(params, "level"))
      log.level = log_level_from_string(*level).value_or(LogLevel::info);
    if (const json::string* logger = json::find_string(params, "logger"))
      log.logger = std::string(*logger);
    if (auto it = params.find("data"); it != params.end()) log.data = it->value();
    options.on_log(log);
    return;
  }
  if (options.on_notification) options.on_notification(n.method, params);
}

Client::Client(ClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  if (impl_->options.propagate_trace_context) {
    impl_->middleware.push_back(make_trace_propagation_middleware());
    impl_->async_middleware.push_back(make_async_trace_propagation_middleware());
    impl_->propagation_last = true;
    impl_->compose();
    impl_->compose_async();
  }
}

Client::~Client() {
  close();
  impl_->pool.reset();  // waits for server-to-client request handlers still running
}

// The default propagation stays innermost, so that a middleware which makes its own CLIENT span
// (client telemetry) sets the traceparent first and propagation adds no second span.
void Client::use(OutgoingMiddleware middleware) {
  use(std::move(middleware), nullptr);
}

void Client::use(OutgoingMiddleware middleware, AsyncOutgoingMiddleware async) {
  const std::ptrdiff_t at =
      static_cast<std::ptrdiff_t>(impl_->middleware.size()) - (impl_->propagation_last ? 1 : 0);
  impl_->middleware.insert(impl_->middleware.begin() + at, std::move(middleware));
  impl_->async_middleware.insert(impl_->async_middleware.begin() + at, std::move(async));
  impl_->compose();
  impl_->compose_async();
}

void Client::Impl::open_session(std::shared_ptr<transport::Transport> transport) {
  session = std::make_shared<Session>(
      std::move(transport), pool, [this](RequestContext& ctx) { return dispatch(ctx); },
      [this](Session&, const jsonrpc::Notification& n) { on_notification(n); });
  session->set_header_hook([this](std::string_view method, const json::object& params) {
    return headers_for(method, params);
  });
  session->start();
}

const InitializeResult& Client::connect(std::shared_ptr<transport::Transport> transport) {
  return connect(TransportFactory([&transport, opened = false]() mutable {
    if (opened) return std::shared_ptr<transport::Transport>();
    opened = true;
    return std::move(transport);
  }));
}

const InitializeResult& Client::connect(const TransportFactory& open) {
  std::shared_ptr<transport::Transport> first = open ? open() : nullptr;
  if (!first) throw std::invalid_argument("Client::connect: no transport");
  impl_->open_session(std::move(first));
  if (impl_->options.revision != ProtocolRevision::k2025_11_25 && impl_->discover())
    return impl_->init;
  // The probe ended the connection (the server exited on it): initialize goes to a new one.
  if (impl_->session->input_closed()) {
    if (std::shared_ptr<transport::Transport> again = open()) {
      impl_->session->close();
      impl_->open_session(std::move(again));
    }
  }

  json::object params{{"protocolVersion", impl_->options.protocol_version},
                      {"capabilities", impl_->capabilities()},
                      {"clientInfo", Implementation{impl_->options.name, impl_->options.version,
                                                    impl_->options.title}
                                         .to_json()}};
  Outcome answered =
      checked("initialize",
              impl_->session->request("initialize", std::move(params),
                                      RequestOptions{.timeout = impl_->options.request_timeout}));
  // A server that answered server/discover only after the probe gave up (a slow start) now
  // serves 2026-07-28 on this connection and refuses initialize: ask it once more.
  if (answered.index() == 1 && std::get<1>(answered).code == kUnsupportedProtocolVersion &&
      !impl_->options.revision && impl_->discover())
    return impl_->init;
  json::value result = unwrap(std::move(answered));
  const json::object& r = json::as_object_or_empty(result);
  InitializeResult& init = impl_->init;
  init = InitializeResult{};
  init.raw = r;
  if (const json::string* v = json::find_string(r, "protocolVersion"))
    init.protocol_version = std::string(*v);
  if (!is_supported_protocol_version(init.protocol_version)) {
    impl_->session->close();
    throw ProtocolError(
        {jsonrpc::error_code::kInvalidRequest,
         "server chose unsupported protocol version '" + init.protocol_version + "'", nullptr});
  }
  if (const json::object* caps = json::find_object(r, "capabilities")) init.capabilities = *caps;
  if (auto it = r.find("serverInfo"); it != r.end())
    init.server_info = Implementation::from_json(it->value());
  if (const json::string* i = json::find_string(r, "instructions"))
    init.instructions = std::string(*i);
  impl_->session->set_peer(init.capabilities, init.server_info, init.protocol_version);
  impl_->session->notify("notifications/initialized", {});
  return init;
}

const InitializeResult& Client::initialize_result() const {
  return impl_->init;
}
const json::object& Client::server_capabilities() const {
  return impl_->init.capabilities;
}
ProtocolRevision Client::revision() const {
  return impl_->stateless.load() ? ProtocolRevision::k2026_07_28 : ProtocolRevision::k2025_11_25;
}

json::value Client::request(std::string_view method, json::object params,
                            const CallOptions& options) {
  OutgoingRequest request{std::string(method), std::move(params), options};
  Outcome outcome = impl_->run(request);
  impl_->recycle_request_meta(request.params);
  return unwrap(std::move(outcome));
}

void Client::notify(std::string_view method, json::object params) {
  impl_->live_session().notify(method, std::move(params));
}

void Client::ping() {
  request("ping", {});
}

ListToolsResult Client::list_tools(std::optional<std::string> cursor) {
  json::object params;
  if (cursor) params["cursor"] = *cursor;
  json::value result = request("tools/list", std::move(params));
  const json::object& r = json::as_object_or_empty(result);
  ListToolsResult out;
  if (const json::array* tools = json::find_array(r, "tools")) {
    for (const auto& t : *tools) out.tools.push_back(Tool::from_json(t));
  }
  if (const json::string* next = json::find_string(r, "nextCursor"))
    out.next_cursor = std::string(*next);
  return out;
}

namespace {
// Follows nextCursor through every page of a list method (bounded, against a looping server).
template <class Item>
std::vector<Item> list_all(Client& client, std::string_view method, std::string_view key) {
  constexpr int kMaxPages = 10000;
  std::vector<Item> items;
  std::optional<std::string> cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    json::object params;
    if (cursor) params["cursor"] = *cursor;
    json::value result = client.request(method, std::move(params));
    const json::object& r = json::as_object_or_empty(result);
    if (const json::array* a = json::find_array(r, key)) {
      for (const auto& v : *a) items.push_back(Item::from_json(v));
    }
    const json::string* next = json::find_string(r, "nextCursor");
    if (next == nullptr || next->empty()) break;
    cursor = std::string(*next);
  }
  return items;
}
}  // namespace

std::vector<Tool> Client::list_all_tools() {
  return list_all<Tool>(*this, "tools/list", "tools");
}

CallToolResult Client::call_tool(std::string_view name, json::object arguments,
                                 const CallOptions& options) {
  return CallToolResult::from_json(
      request("tools/call", tool_call_params(name, std::move(arguments)), options));
}

std::vector<Resource> Client::list_all_resources() {
  return list_all<Resource>(*this, "resources/list", "resources");
}
std::vector<ResourceTemplate> Client::list_all_resource_templates() {
  return list_all<ResourceTemplate>(*this, "resources/templates/list", "resourceTemplates");
}
ReadResourceResult Client::read_resource(std::string_view uri, const CallOptions& options) {
  return ReadResourceResult::from_json(request("resources/read", {{"uri", uri}}, options));
}
// 2026-07-28 removed resources/subscribe: the uris ride on one subscriptions/listen stream.
void Client::subscribe(std::string_view uri) {
  if (impl_->stateless.load()) return impl_->subscribe_2026(uri, true);
  request("resources/subscribe", {{"uri", uri}});
}
void Client::unsubscribe(std::string_view uri) {
  if (impl_->stateless.load()) return impl_->subscribe_2026(uri, false);
  request("resources/unsubscribe", {{"uri", uri}});
}

std::vector<Prompt> Client::list_all_prompts() {
  return list_all<Prompt>(*this, "prompts/list", "prompts");
}

GetPromptResult Client::get_prompt(std::string_view name,
                                   std::map<std::string, std::string> arguments) {
  json::object args;
  for (auto& [k, v] : arguments) args[k] = v;
  return GetPromptResult::from_json(
      request("prompts/get", {{"name", name}, {"arguments", std::move(args)}}));
}

CompletionResult Client::complete(const CompletionRequest& c) {
  json::object params{{"ref", c.ref},
                      {"argument", {{"name", c.argument_name}, {"value", c.argument_value}}}};
  if (!c.context_arguments.empty()) {
    json::object args;
    for (const auto& [k, v] : c.context_arguments) args[k] = v;
    params["context"] = {{"arguments", std::move(args)}};
  }
  return CompletionResult::from_json(request("completion/complete", std::move(params)));
}

void Client::set_logging_level(LogLevel level) {
  if (impl_->stateless.load()) {
    std::lock_guard lock(impl_->state_mutex);
    impl_->log_level = level;
    return;
  }
  request("logging/setLevel", {{"level", to_string(level)}});
}
void Client::notify_roots_changed() {
  notify("notifications/roots/list_changed");
}

void Client::close() {
  if (impl_->session) impl_->session->close();
  impl_->stop_listening();  // its request ended with the connection
}

}  // namespace glassbox::mcp
