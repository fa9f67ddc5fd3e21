#include "glassbox/mcp/request_context.hpp"

#include "mcp/auth_principal.hpp"
#include "mcp/input_required.hpp"
#include "mcp/session.hpp"

#include <cmath>
#include <limits>
#include <mutex>
#include <set>
#include <string>

namespace glassbox::mcp {

RequestContext::RequestContext(std::shared_ptr<Session> session, jsonrpc::Request request,
                               transport::MessageContext message_context, std::stop_token stop)
    : session_(std::move(session)),
      request_(std::move(request)),
      message_context_(std::move(message_context)),
      stop_(std::move(stop)),
      meta_(json::find_object(params(), "_meta")) {}

const json::object& RequestContext::params() const {
  return json::as_object_or_empty(request_.params);
}

const json::object& RequestContext::arguments() const {
  static const json::object kEmpty;
  const json::object* a = json::find_object(params(), "arguments");
  return a ? *a : kEmpty;
}

const json::object& RequestContext::meta() const {
  static const json::object kEmpty;
  return meta_ ? *meta_ : kEmpty;
}

namespace {

// The session's negotiated version as a view that outlives the call: one of the constants
// glassbox speaks (initialize only settles on those, on both sides). Anything else is kept once
// for the process, so that a view of it stays valid too.
std::string_view lasting_version(std::string_view version) {
  for (std::string_view known : kSupportedProtocolVersions)
    if (version == known) return known;
  for (std::string_view known : kStatelessProtocolVersions)
    if (version == known) return known;
  static std::mutex mutex;
  static std::set<std::string, std::less<>> others;
  std::lock_guard lock(mutex);
  return *others.emplace(version).first;
}

}  // namespace

std::string_view RequestContext::protocol_version() const {
  if (const json::string* v = json::find_string(meta(), kMetaProtocolVersion)) return *v;
  if (message_context_.protocol_version) return *message_context_.protocol_version;
  std::string negotiated = session_->protocol_version();
  return negotiated.empty() ? kLatestProtocolVersion : lasting_version(negotiated);
}

ProtocolRevision RequestContext::revision() const {
  return meta().contains(kMetaProtocolVersion) ? ProtocolRevision::k2026_07_28
                                               : ProtocolRevision::k2025_11_25;
}

const auth::AuthInfo* RequestContext::auth() const {
  const AuthPrincipal* principal = principal_of(message_context_);
  return principal ? &principal->info : nullptr;
}

void RequestContext::progress(double progress, std::optional<double> total,
                              std::string_view message) {
  auto token = meta().find("progressToken");
  if (token == meta().end()) return;
  json::object params{{"progressToken", token->value()}, {"progress", json::number(progress)}};
  if (total) params["total"] = json::number(*total);
  if (!message.empty()) params["message"] = message;
  std::lock_guard lock(progress_mutex_);
  last_progress_ = std::max(last_progress_, progress);
  session_->notify("notifications/progress", std::move(params), request_.id);
}

void RequestContext::progress_meta(json::object meta) {
  auto token = this->meta().find("progressToken");
  if (token == this->meta().end()) return;
  std::lock_guard lock(progress_mutex_);
  last_progress_ = std::nextafter(last_progress_, std::numeric_limits<double>::infinity());
  json::object params{
      {"progressToken", token->value()}, {"progress", last_progress_}, {"_meta", std::move(meta)}};
  session_->notify("notifications/progress", std::move(params), request_.id);
}

void RequestContext::log(LogLevel level, json::value data, std::string_view logger) {
  std::optional<LogLevel> min;
  if (revision() == ProtocolRevision::k2026_07_28) {
    // Per request: no level, no log messages.
    const json::string* wanted = json::find_string(meta(), kMetaLogLevel);
    if (wanted == nullptr) return;
    min = log_level_from_string(*wanted);
    if (!min) return;
  } else {
    min = session_->log_level();
  }
  if (min && level < *min) return;
  json::object params{{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  session_->notify("notifications/message", std::move(params), request_.id);
}

json::value RequestContext::request(std::string_view method, json::object params,
                                    std::chrono::milliseconds timeout, std::string_view key) {
  if (revision() == ProtocolRevision::k2026_07_28) {
    return stateless_request(method, std::move(params), key);
  }
  Outcome outcome =
      session_->request(method, std::move(params),
                        RequestOptions{.timeout = timeout, .related_request = request_.id});
  if (outcome.index() == 1) throw ProtocolError(std::get<1>(std::move(outcome)));
  return std::get<0>(std::move(outcome));
}

namespace {

// The client capability a server-to-client request needs ("" for none).
std::string_view capability_for(std::string_view method) {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return {};
}

}  // namespace

json::value RequestContext::stateless_request(std::string_view method, json::object params,
                                              std::string_view key) {
  std::string_view capability = capability_for(method);
  if (!capability.empty() && !client_capabilities().contains(capability)) {
    throw ProtocolError(
        jsonrpc::Error{kMissingRequiredClientCapability,
                       "this request needs the client capability '" + std::string(capability) + "'",
                       json::object{{"requiredCapabilities", {{capability, json::object{}}}}}});
  }
  if (!input_round_) {
    // Only tools/call, prompts/get and resources/read may answer with an InputRequiredResult.
    throw ProtocolError(jsonrpc::Error{
        jsonrpc::error_code::kInternalError,
        "a " + request_.method + " handler cannot ask the client in 2026-07-28", nullptr});
  }
  std::lock_guard lock(input_round_->mutex);
  std::string name = key.empty() ? std::string(method) + "-" + std::to_string(input_round_->calls)
                                 : std::string(key);
  ++input_round_->calls;
  if (const json::value* answer = input_round_->answers.if_contains(name)) {
    if (!answer->is_object()) {
      throw ProtocolError(jsonrpc::Error{jsonrpc::error_code::kInvalidParams,
                                         "inputResponses." + name + " must be an object", nullptr});
    }
    input_round_->used[name] = *answer;
    return *answer;
  }
  input_round_->pending[name] = json::object{{"method", method}, {"params", std::move(params)}};
  throw InputRequired{};
}

json::object RequestContext::request_all(std::vector<InputRequest> requests) {
  json::object answers;
  if (revision() != ProtocolRevision::k2026_07_28) {
    for (auto& r : requests) {
      answers[r.key] = request(r.method, std::move(r.params), std::chrono::seconds(60), r.key);
    }
    return answers;
  }
  // Every unanswered question goes out in one InputRequiredResult.
  bool missing = false;
  for (auto& r : requests) {
    try {
      answers[r.key] = stateless_request(r.method, std::move(r.params), r.key);
    } catch (const InputRequired&) {
      missing = true;
    }
  }
  if (missing) throw InputRequired{};
  return answers;
}

json::object RequestContext::client_capabilities() const {
  if (revision() == ProtocolRevision::k2026_07_28) {
    const json::object* caps = json::find_object(meta(), kMetaClientCapabilities);
    return caps ? *caps : json::object{};
  }
  return session_->peer_capabilities();
}

void attach_input_round(RequestContext& context, std::shared_ptr<InputRound> round) {
  context.input_round_ = std::move(round);
}

}  // namespace glassbox::mcp
