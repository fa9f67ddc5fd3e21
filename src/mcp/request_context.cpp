#include "glassbox/mcp/request_context.hpp"

#include "mcp/auth_principal.hpp"
#include "mcp/session.hpp"

#include <cmath>
#include <limits>

namespace glassbox::mcp {

RequestContext::RequestContext(std::shared_ptr<Session> session, jsonrpc::Request request,
                               transport::MessageContext message_context, std::stop_token stop)
    : session_(std::move(session)),
      request_(std::move(request)),
      message_context_(std::move(message_context)),
      stop_(std::move(stop)) {}

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
  const json::object* m = json::find_object(params(), "_meta");
  return m ? *m : kEmpty;
}

std::string RequestContext::protocol_version() const {
  if (message_context_.protocol_version) return *message_context_.protocol_version;
  std::string negotiated = session_->protocol_version();
  return negotiated.empty() ? std::string(kLatestProtocolVersion) : negotiated;
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
  std::optional<LogLevel> min = session_->log_level();
  if (min && level < *min) return;
  json::object params{{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  session_->notify("notifications/message", std::move(params), request_.id);
}

json::value RequestContext::request(std::string_view method, json::object params,
                                    std::chrono::milliseconds timeout) {
  Outcome outcome =
      session_->request(method, std::move(params),
                        RequestOptions{.timeout = timeout, .related_request = request_.id});
  if (outcome.index() == 1) throw ProtocolError(std::get<1>(std::move(outcome)));
  return std::get<0>(std::move(outcome));
}

json::object RequestContext::client_capabilities() const {
  return session_->peer_capabilities();
}

}  // namespace glassbox::mcp
