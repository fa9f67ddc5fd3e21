#include "glassbox/mcp/auth.hpp"

#include "auth/scopes.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "mcp/auth_principal.hpp"
#include "mcp/passback_wire.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace glassbox::mcp {
namespace {

// What the decision needs of one HTTP request, copied out of the transport's views so that a
// verification may finish on another thread.
struct Call {
  std::string resource;      // the audience tokens must name
  std::string metadata_url;  // resource_metadata of the challenge
  std::vector<std::string> required;
  std::uint64_t start_unix_nano = 0;
  // The JSON-RPC request, when the HTTP request carried one.
  std::optional<jsonrpc::Id> id;
  std::string method;
  std::string target;   // the tool name (tools/call) or the resource URI (resources/read)
  bool traced = false;  // tools/call or resources/read: it gets a SERVER span, as passback makes
  bool passback = false;
  bool detailed = false;
  std::optional<trace::SpanContext> parent;
  std::string session_id;
  std::string protocol_version;
};

// Attribute values from outside (an issuer, a kid) are cut: they only name things.
std::string bounded(std::string_view text) {
  return std::string(text.substr(0, 256));
}

trace::ArrayValue string_array(const std::vector<std::string>& items) {
  trace::ArrayValue out;
  for (const auto& s : items) out.values.emplace_back(bounded(s));
  return out;
}

// The auth.validate attributes: the outcome and the facts safe to show (auth::TokenFacts),
// never the token, its signature or a personal claim (S11).
trace::Attributes validate_attributes(auth::Reason reason, const auth::TokenFacts& facts,
                                      const std::vector<std::string>& required,
                                      const std::vector<std::string>& missing) {
  trace::Attributes a;
  a.push_back({"auth.outcome", std::string(auth::to_string(reason))});
  if (!facts.format.empty()) a.push_back({"auth.format", facts.format});
  if (!facts.alg.empty()) a.push_back({"auth.alg", bounded(facts.alg)});
  if (!facts.key_id.empty()) a.push_back({"auth.kid", bounded(facts.key_id)});
  if (!facts.issuer.empty()) a.push_back({"auth.issuer", bounded(facts.issuer)});
  if (!facts.client_id.empty()) a.push_back({"auth.client_id", bounded(facts.client_id)});
  a.push_back({"auth.cache_hit", facts.cached});
  if (facts.keys_refreshed) a.push_back({"auth.jwks_refreshed", true});
  if (!required.empty()) a.push_back({"auth.scopes.required", string_array(required)});
  if (!missing.empty()) a.push_back({"auth.scopes.missing", string_array(missing)});
  return a;
}

trace::SpanData validate_span(const trace::SpanContext& parent, std::uint64_t start,
                              std::uint64_t end, trace::Attributes attributes, bool refused,
                              auth::Reason reason) {
  trace::SpanData span;
  span.name = "auth.validate";
  span.kind = trace::SpanKind::internal;
  span.trace_id = parent.trace_id;
  span.span_id = trace::generate_span_id();
  span.parent_span_id = parent.span_id;
  span.flags = parent.flags;
  span.trace_state = parent.tracestate;
  span.start_time_unix_nano = start;
  span.end_time_unix_nano = std::max(start, end);
  span.attributes = std::move(attributes);
  if (refused) {
    span.status_code = trace::StatusCode::error;
    span.status_message = std::string(auth::to_string(reason));
  }
  return span;
}

std::string_view status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 503:
      return "Service Unavailable";
    default:
      return "Refused";
  }
}

// Immutable after enable_auth: shared by the I/O threads and the verification workers.
class Decider {
 public:
  Decider(AuthOptions options, const ServerOptions& server) : options_(std::move(options)) {
    if (options_.passback && !options_.passback->provider)
      options_.passback->provider = default_tracer_provider(server);
  }

  const AuthOptions& options() const { return options_; }

  transport::AuthorizationDecision decide(const Call& call, auth::VerifyResult result) const;

 private:
  transport::AuthorizationDecision refuse(const Call& call, auth::Reason reason,
                                          const std::string& description,
                                          const auth::TokenFacts& facts,
                                          const std::vector<std::string>& missing,
                                          std::uint64_t end) const;
  json::object refusal_telemetry(const Call& call, auth::Reason reason, int status,
                                 const std::string& message, const auth::TokenFacts& facts,
                                 const std::vector<std::string>& missing, std::uint64_t end) const;

  AuthOptions options_;
};

transport::AuthorizationDecision Decider::decide(const Call& call,
                                                 auth::VerifyResult result) const {
  std::uint64_t end = trace::now_unix_nano();
  if (!result.ok() || !result.info) {
    return refuse(call, result.reason, result.description, result.facts, {}, end);
  }
  std::vector<std::string> missing;
  for (const auto& scope : call.required) {
    if (!result.info->has_scope(scope)) missing.push_back(scope);
  }
  if (!missing.empty()) {
    return refuse(call, auth::Reason::insufficient_scope,
                  "this call needs the scope " + auth::join_scopes(missing), result.facts, missing,
                  end);
  }
  transport::AuthorizationDecision accepted;
  if (options_.bind_sessions) {
    const auth::AuthInfo& info = *result.info;
    accepted.session_owner =
        info.issuer + '\n' + (info.subject.empty() ? "client:" + info.client_id : info.subject);
  }
  auto principal = std::make_shared<AuthPrincipal>();
  principal->info = std::move(*result.info);
  principal->facts = std::move(result.facts);
  principal->start_unix_nano = call.start_unix_nano;
  principal->end_unix_nano = end;
  principal->required_scopes = call.required;
  accepted.principal = std::shared_ptr<const AuthPrincipal>(std::move(principal));
  return accepted;
}

transport::AuthorizationDecision Decider::refuse(const Call& call, auth::Reason reason,
                                                 const std::string& description,
                                                 const auth::TokenFacts& facts,
                                                 const std::vector<std::string>& missing,
                                                 std::uint64_t end) const {
  int status = auth::http_status(reason);
  transport::AuthorizationDecision decision;
  decision.status = status;

  auth::BearerChallenge challenge;
  challenge.resource_metadata = call.metadata_url;
  challenge.error = std::string(auth::bearer_error(reason));
  if (!challenge.error.empty()) challenge.error_description = description;
  // The scopes this call needs (RFC 6750 3.1; what the client then asks the user for).
  if (status == 401 || status == 403) challenge.scope = auth::join_scopes(call.required);
  decision.headers.emplace_back("WWW-Authenticate", challenge.to_string());
  if (status == 503) decision.headers.emplace_back("Retry-After", "5");

  std::string message(status_text(status));
  if (!description.empty()) message += ": " + description;
  json::object data;
  if (!challenge.error.empty()) data["error"] = challenge.error;
  if (!description.empty()) data["error_description"] = description;
  data["reason"] = auth::to_string(reason);
  if (call.traced && options_.passback) {
    json::object traces = refusal_telemetry(call, reason, status, message, facts, missing, end);
    if (!traces.empty()) passback_wire::attach_to_error_data(data, std::move(traces));
  }
  jsonrpc::ErrorResponse response{
      call.id, jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, message, std::move(data)}};
  decision.body = jsonrpc::serialize(response);
  return decision;
}

// The SERVER span passback would have opened (S4), with the check as its child; recorded for
// the server's own telemetry (S13) and, when the caller asked (S2), curated for the refusal
// (S10). Built from explicit times: the check ran before anything could open a span.
json::object Decider::refusal_telemetry(const Call& call, auth::Reason reason, int status,
                                        const std::string& message, const auth::TokenFacts& facts,
                                        const std::vector<std::string>& missing,
                                        std::uint64_t end) const {
  const PassbackOptions& passback = *options_.passback;
  auto recorder = std::make_shared<trace::Recorder>(trace::RecorderOptions{
      .provider = passback.provider, .max_spans = passback.max_recorded_spans});

  trace::SpanData root;
  root.name = call.target.empty() ? call.method : call.method + " " + call.target;
  root.kind = trace::SpanKind::server;
  if (call.parent) {
    root.trace_id = call.parent->trace_id;
    root.parent_span_id = call.parent->span_id;
    root.flags = call.parent->flags;
    root.trace_state = call.parent->tracestate;
  } else {
    root.trace_id = trace::generate_trace_id();
    root.flags = trace::kTraceFlagSampled;
  }
  root.span_id = trace::generate_span_id();
  root.start_time_unix_nano = call.start_unix_nano;

  trace::SpanContext root_context{root.trace_id, root.span_id, root.flags, root.trace_state};
  recorder->record(
      validate_span(root_context, call.start_unix_nano, end,
                    validate_attributes(reason, facts, call.required, missing), true, reason),
      false);

  root.attributes.push_back({"mcp.method.name", call.method});
  if (call.method == "tools/call") {
    root.attributes.push_back({"gen_ai.tool.name", call.target});
    root.attributes.push_back({"gen_ai.operation.name", "execute_tool"});
  } else {
    root.attributes.push_back({"mcp.resource.uri", call.target});
  }
  if (call.id) root.attributes.push_back({"jsonrpc.request.id", jsonrpc::to_string(*call.id)});
  if (!call.session_id.empty()) root.attributes.push_back({"mcp.session.id", call.session_id});
  if (!call.protocol_version.empty())
    root.attributes.push_back({"mcp.protocol.version", call.protocol_version});
  root.attributes.push_back({"error.type", std::string(auth::to_string(reason))});
  root.attributes.push_back({"http.response.status_code", static_cast<std::int64_t>(status)});
  root.attributes.push_back({"rpc.jsonrpc.error_code",
                             static_cast<std::int64_t>(jsonrpc::error_code::kConnectionClosed)});
  root.status_code = trace::StatusCode::error;
  root.status_message = message;
  root.end_time_unix_nano = std::max(end, trace::now_unix_nano());
  trace::SpanId root_id = root.span_id;
  recorder->record(std::move(root), true);
  if (!call.passback) return {};

  trace::CurationOptions curation = passback.curation;
  curation.detailed = call.detailed;
  return passback_wire::build_payload(*recorder, root_id, curation);
}

// Threads for verifications that wait on the network, sharing only their queue: the authorizer
// may be destroyed from one of them (a late answer can drop the HTTP server's last reference).
// An owner outside the pool waits for them (bounded) when it lets go, then joins them: a thread
// past its last task still frees OpenSSL's per-thread state as it exits, which must not meet
// OpenSSL's cleanup at process exit (ThreadSanitizer saw the two race on a libcrypto lock).
// Threads it could not wait for (an owner in the pool, or the bound ran out) are detached.
class VerifyPool {
 public:
  explicit VerifyPool(std::size_t max_threads) : shared_(std::make_shared<Shared>()) {
    shared_->max_threads = std::max<std::size_t>(1, max_threads);
  }
  ~VerifyPool() {
    std::vector<std::thread> workers;
    bool ended = false;
    {
      std::unique_lock lock(shared_->mutex);
      shared_->stopping = true;  // the queue still drains: every done() gets its answer
      shared_->cv.notify_all();
      ended = !in_pool_thread() && shared_->cv.wait_for(lock, std::chrono::seconds(5),
                                                        [&] { return shared_->threads == 0; });
      workers.swap(shared_->workers);
    }
    for (auto& t : workers) ended ? t.join() : t.detach();
  }
  VerifyPool(const VerifyPool&) = delete;
  VerifyPool& operator=(const VerifyPool&) = delete;

  void post(std::function<void()> task) {
    std::lock_guard lock(shared_->mutex);
    shared_->queue.push_back(std::move(task));
    if (shared_->idle < shared_->queue.size() && shared_->threads < shared_->max_threads) {
      ++shared_->threads;
      shared_->workers.emplace_back([s = shared_] { run(*s); });
    } else {
      shared_->cv.notify_one();
    }
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    std::vector<std::thread> workers;  // joined or detached by the owner's destructor
    std::size_t max_threads = 1, threads = 0, idle = 0;
    bool stopping = false;
  };

  static bool& in_pool_thread() {
    thread_local bool flag = false;
    return flag;
  }

  static void run(Shared& s) {
    in_pool_thread() = true;
    std::unique_lock lock(s.mutex);
    for (;;) {
      ++s.idle;
      s.cv.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
      --s.idle;
      if (s.queue.empty()) break;
      auto task = std::move(s.queue.front());
      s.queue.pop_front();
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
    }
    --s.threads;
    s.cv.notify_all();  // an owner may be waiting for the last one
  }

  std::shared_ptr<Shared> shared_;
};

struct State {
  State(Server& s, AuthOptions o)
      : server(s),
        verifier(o.verifier),
        pool(o.verify_threads),
        decider(std::make_shared<const Decider>(std::move(o), s.options())) {}

  Call describe(const transport::AuthorizationRequest& request) const;

  Server& server;
  std::shared_ptr<auth::TokenVerifier> verifier;
  VerifyPool pool;
  std::shared_ptr<const Decider> decider;
};

Call State::describe(const transport::AuthorizationRequest& request) const {
  const AuthOptions& options = decider->options();
  Call call;
  call.start_unix_nano = trace::now_unix_nano();
  call.resource = options.resource.empty() ? std::string(request.server_url) : options.resource;
  call.metadata_url = auth::metadata_url(call.resource);
  call.required = options.required_scopes;
  call.session_id = std::string(request.session_id);
  call.protocol_version = std::string(request.protocol_version);
  const auto* rpc = request.message ? std::get_if<jsonrpc::Request>(request.message) : nullptr;
  if (rpc == nullptr) return call;
  call.id = rpc->id;
  call.method = rpc->method;
  const json::object& params = json::as_object_or_empty(rpc->params);
  for (auto& scope : server.required_scopes(rpc->method, params)) {
    if (std::find(call.required.begin(), call.required.end(), scope) == call.required.end())
      call.required.push_back(std::move(scope));
  }
  call.traced = rpc->method == "tools/call" || rpc->method == "resources/read";
  if (!call.traced) return call;
  if (const json::string* target =
          json::find_string(params, rpc->method == "tools/call" ? "name" : "uri"))
    call.target = std::string(*target);
  if (const json::object* meta = json::find_object(params, "_meta")) {
    const passback_wire::Ask ask = passback_wire::read_ask(*meta);
    call.passback = ask.requested;  // S2
    call.detailed = ask.detailed;
    call.parent = ask.parent;
  }
  return call;
}

transport::AuthorizationDecision internal_failure() {
  return {
      .status = 500,
      .body = jsonrpc::serialize(jsonrpc::ErrorResponse{
          std::nullopt, {jsonrpc::error_code::kInternalError, "authorization failed", nullptr}})};
}

// The check happened at the HTTP edge, before the SERVER span existed: its span is added under
// that span with the check's own times (so it starts a little before its parent).
Middleware make_auth_middleware() {
  return [](RequestContext& ctx, const MethodHandler& next) -> Outcome {
    if (const AuthPrincipal* p = principal_of(ctx.message_context())) {
      trace::Context current = trace::current_context();
      if (current && current.span_context().is_valid()) {
        current.recorder()->record(
            validate_span(
                current.span_context(), p->start_unix_nano, p->end_unix_nano,
                validate_attributes(auth::Reason::valid, p->facts, p->required_scopes, {}), false,
                auth::Reason::valid),
            false);
      }
    }
    return next(ctx);
  };
}

}  // namespace

auth::ProtectedResourceMetadata protected_resource_metadata(const AuthOptions& options,
                                                            std::string_view server_url) {
  auth::ProtectedResourceMetadata metadata;
  metadata.resource = options.resource.empty() ? std::string(server_url) : options.resource;
  metadata.authorization_servers = options.authorization_servers;
  metadata.scopes_supported =
      options.scopes_supported.empty() ? options.required_scopes : options.scopes_supported;
  metadata.resource_name = options.resource_name;
  metadata.resource_documentation = options.resource_documentation;
  return metadata;
}

void enable_auth(Server& server, transport::HttpServerOptions& http, AuthOptions options) {
  if (!options.verifier) throw std::invalid_argument("enable_auth needs a token verifier");
  auto state = std::make_shared<State>(server, std::move(options));

  http.authorizer = [state](const transport::AuthorizationRequest& request,
                            transport::AuthorizationDone done) {
    try {
      Call call = state->describe(request);
      if (auth::has_query_token(request.target)) {
        done(state->decider->decide(call,
                                    {auth::Reason::token_in_query,
                                     "access tokens are accepted only in the Authorization header",
                                     {},
                                     std::nullopt}));
        return;
      }
      std::optional<std::string_view> token = auth::bearer_credentials(request.authorization);
      if (!token) {
        done(state->decider->decide(call, {auth::Reason::missing, {}, {}, std::nullopt}));
        return;
      }
      if (auto quick = state->verifier->try_verify(*token, call.resource)) {
        done(state->decider->decide(call, std::move(*quick)));
        return;
      }
      // The answer needs the network: a worker waits for it, not the I/O thread.
      state->pool.post([verifier = state->verifier, decider = state->decider,
                        call = std::move(call), token = std::string(*token), done]() mutable {
        transport::AuthorizationDecision decision;
        try {
          decision = decider->decide(call, verifier->verify(token, call.resource));
        } catch (...) {
          decision = internal_failure();
        }
        OPENSSL_cleanse(token.data(), token.size());
        done(std::move(decision));
      });
    } catch (...) {
      done(internal_failure());
    }
  };

  http.public_document = [state](std::string_view path,
                                 std::string_view server_url) -> std::optional<std::string> {
    const AuthOptions& o = state->decider->options();
    std::string resource = o.resource.empty() ? std::string(server_url) : o.resource;
    // Both RFC 9728 locations: the path-suffixed one clients try first, and the root one.
    if (path != auth::metadata_path(resource) && path != auth::kProtectedResourceWellKnown)
      return std::nullopt;
    return json::serialize(protected_resource_metadata(o, server_url).to_json());
  };

  server.use(make_auth_middleware());
}

}  // namespace glassbox::mcp
