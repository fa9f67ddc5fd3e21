#include "mcp/stateless.hpp"

#include "glassbox/mcp/protocol_revision.hpp"

namespace glassbox::mcp {
namespace {

bool is_cacheable(std::string_view method) {
  return method == kMethodServerDiscover || method == "tools/list" || method == "prompts/list" ||
         method == "resources/list" || method == "resources/templates/list" ||
         method == "resources/read";
}

jsonrpc::Error unsupported_version(std::string requested) {
  return {kUnsupportedProtocolVersion, "Unsupported protocol version",
          json::object{{"supported", supported_versions()}, {"requested", std::move(requested)}}};
}

}  // namespace

bool is_removed_method(std::string_view method) {
  return method == "initialize" || method == "ping" || method == "logging/setLevel" ||
         method == "resources/subscribe" || method == "resources/unsubscribe";
}

json::array supported_versions() {
  json::array versions;
  for (std::string_view v : kStatelessProtocolVersions) versions.emplace_back(v);
  for (std::string_view v : kSupportedProtocolVersions) versions.emplace_back(v);
  return versions;
}

bool is_stateless_request(const RequestContext& ctx) {
  return ctx.meta().contains(kMetaProtocolVersion);
}

json::object discover_result(const ServerOptions& options, json::object capabilities) {
  // The extensions map is where extensions are listed in 2026-07-28 (passback adds its own).
  if (!capabilities.contains(kExtensionsField)) capabilities[kExtensionsField] = json::object{};
  json::object result{{"supportedVersions", supported_versions()},
                      {"capabilities", std::move(capabilities)}};
  if (!options.instructions.empty()) result["instructions"] = options.instructions;
  result["_meta"] = json::object{
      {kMetaServerInfo, Implementation{options.name, options.version, options.title}.to_json()}};
  return result;
}

Outcome dispatch_stateless(RequestContext& ctx, const StatelessHost& host) {
  const json::object& meta = ctx.meta();
  const json::value& version = meta.at(kMetaProtocolVersion);
  if (!version.is_string() || !is_stateless_version(version.get_string())) {
    return unsupported_version(version.is_string() ? std::string(version.get_string())
                                                   : json::serialize(version));
  }
  // Capabilities are declared per request; servers must not infer them from earlier ones.
  if (!json::find_object(meta, kMetaClientCapabilities)) {
    return jsonrpc::Error{
        jsonrpc::error_code::kInvalidParams,
        "params._meta." + std::string(kMetaClientCapabilities) + " must be an object (2026-07-28)",
        nullptr};
  }
  if (const json::value* level = meta.if_contains(kMetaLogLevel);
      level && (!level->is_string() || !log_level_from_string(level->get_string()))) {
    return jsonrpc::Error{jsonrpc::error_code::kInvalidParams,
                          "params._meta." + std::string(kMetaLogLevel) + " is not a log level",
                          nullptr};
  }
  if (is_removed_method(ctx.method())) {
    return jsonrpc::Error{jsonrpc::error_code::kMethodNotFound,
                          "method not found: " + ctx.method() + " (removed in 2026-07-28)",
                          nullptr};
  }
  if (allows_input_required(ctx.method())) {
    auto round = begin_input_round(host.request_state, ctx.method(), ctx.params());
    if (round.index() == 1) return std::get<1>(std::move(round));
    attach_input_round(ctx, std::get<0>(std::move(round)));
  }
  Outcome outcome = host.next(ctx);
  if (outcome.index() != 0 || !std::get<0>(outcome).is_object()) return outcome;
  json::object& result = std::get<0>(outcome).get_object();
  if (!result.contains(kResultTypeField)) result[kResultTypeField] = kResultTypeComplete;
  const json::string* type = json::find_string(result, kResultTypeField);
  if (type && *type == kResultTypeComplete && is_cacheable(ctx.method())) {
    const auto& options = host.options.stateless;
    if (!result.contains(kTtlMsField)) result[kTtlMsField] = options.cache_ttl.count();
    if (!result.contains(kCacheScopeField)) result[kCacheScopeField] = options.cache_scope;
  }
  return outcome;
}

}  // namespace glassbox::mcp
