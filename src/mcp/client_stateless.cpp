// The client's side of MCP 2026-07-28: no initialize and no session. server/discover finds out
// what the server speaks; every request then names the version, the client's capabilities and
// identity in params._meta (and over HTTP in headers); a result of type input_required is
// answered with the same handlers that answer a 2025 server's requests, and the request sent
// again with the answers and the server's requestState.
#include "mcp/client_impl.hpp"

#include <algorithm>

namespace glassbox::mcp {
namespace {

constexpr std::string_view kModern = kProtocol2026_07_28;

// error.data of an answer; the HTTP transport keeps a refused POST's body text in data.body.
json::object error_data(const jsonrpc::Error& e) {
  const json::object& data = json::as_object_or_empty(e.data);
  if (const json::string* body = json::find_string(data, "body")) {
    if (auto parsed = json::parse(*body); parsed && parsed->is_object()) {
      if (const json::object* error = json::find_object(parsed->get_object(), "error"))
        return json::as_object_or_empty(error->contains("data") ? error->at("data") : nullptr);
    }
  }
  return data;
}

std::vector<std::string> strings_of(const json::array* a) {
  std::vector<std::string> out;
  if (a == nullptr) return out;
  for (const auto& v : *a)
    if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

bool speaks_modern(const std::vector<std::string>& versions) {
  return std::find(versions.begin(), versions.end(), kModern) != versions.end();
}

jsonrpc::Error invalid_result(std::string_view method, std::string what) {
  return {jsonrpc::error_code::kInternalError,
          "invalid response: the input_required result of " + std::string(method) + " " +
              std::move(what),
          nullptr};
}

}  // namespace

json::object Client::Impl::constant_request_meta() const {
  return {
      {kMetaProtocolVersion, kModern},
      {kMetaClientCapabilities, capabilities()},
      {kMetaClientInfo, Implementation{options.name, options.version, options.title}.to_json()}};
}

namespace {

// Equal, and written the same: members in the same order at every depth. (Objects have their
// own overload: a json::object passed as a json::value would be copied into one.)
bool same_text(const json::value& a, const json::value& b);

bool same_text(const json::object& x, const json::object& y) {
  if (x.size() != y.size()) return false;
  for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
    if (i->key() != j->key() || !same_text(i->value(), j->value())) return false;
  }
  return true;
}

bool same_text(const json::value& a, const json::value& b) {
  if (a.is_object() && b.is_object()) return same_text(a.get_object(), b.get_object());
  if (a.is_array() && b.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_text(x[i], y[i])) return false;
    }
    return true;
  }
  return a.kind() == b.kind() && a == b;
}

}  // namespace

json::object Client::Impl::copy_of_request_meta() const {
  {
    std::lock_guard lock(spare_mutex);
    if (!spare_meta.empty()) {
      json::object spare = std::move(spare_meta.back());
      spare_meta.pop_back();
      return spare;
    }
  }
  return request_meta;
}

void Client::Impl::recycle_request_meta(json::object& params) const {
  if (!stateless.load()) return;
  auto it = params.find("_meta");
  if (it == params.end() || !it->value().is_object()) return;
  json::object& meta = it->value().get_object();
  if (!same_text(meta, request_meta)) return;
  std::lock_guard lock(spare_mutex);
  if (spare_meta.size() < kMaxSpareMeta) spare_meta.push_back(std::move(meta));
}

void Client::Impl::add_request_meta(json::object& params) const {
  json::value& meta = params["_meta"];
  if (!meta.is_object()) meta = json::object{};
  json::object& m = meta.get_object();
  if (m.empty()) {
    m = copy_of_request_meta();
  } else {
    for (const auto& [key, value] : request_meta) m[key] = value;
  }
  std::lock_guard lock(state_mutex);
  if (log_level) m[kMetaLogLevel] = to_string(*log_level);
}

transport::HeaderList Client::Impl::headers_for(std::string_view method,
                                                const json::object& params) const {
  transport::HeaderList h;
  if (!stateless.load()) return h;
  h.emplace_back(kHeaderProtocolVersion, kModern);
  h.emplace_back(kHeaderMethod, method);
  const bool named = method == "tools/call" || method == "prompts/get";
  if (const json::string* name = json::find_string(params, named ? "name" : "uri");
      name != nullptr && (named || method == "resources/read")) {
    h.emplace_back(kHeaderName, encode_header_value(*name));
    if (method == "tools/call") {
      std::lock_guard lock(state_mutex);
      if (auto it = tool_param_headers.find(std::string(*name)); it != tool_param_headers.end())
        append_param_headers(it->second,
                             json::as_object_or_empty(
                                 params.contains("arguments") ? params.at("arguments") : nullptr),
                             h);
    }
  }
  return h;
}

bool Client::Impl::discover() {
  const bool pinned = options.revision == ProtocolRevision::k2026_07_28;
  stateless = true;
  auto legacy = [&](const std::string& why) {
    if (pinned) {
      stateless = false;
      throw ProtocolError({jsonrpc::error_code::kInvalidRequest,
                           "the server does not speak MCP 2026-07-28: " + why, nullptr});
    }
    stateless = false;  // a server of the 2025 era: initialize follows
    return false;
  };
  // Once more when the server refuses the version but lists it as supported (it may have
  // refused the header or the first attempt for another reason).
  for (int attempt = 0; attempt < 2; ++attempt) {
    json::object params;
    add_request_meta(params);
    auto timeout = pinned ? options.request_timeout
                          : std::min(options.discover_timeout, options.request_timeout);
    Outcome out =
        live_session().request(kMethodServerDiscover, params, RequestOptions{.timeout = timeout});
    if (out.index() == 1) {
      const jsonrpc::Error& e = std::get<1>(out);
      if (e.code == kUnsupportedProtocolVersion) {
        auto supported = strings_of(json::find_array(error_data(e), "supported"));
        if (speaks_modern(supported) && attempt == 0) continue;
        return legacy("it supports " + joined(supported));
      }
      if (pinned && e.code == jsonrpc::error_code::kConnectionClosed) {
        throw ProtocolError({e.code,
                             "the server closed the connection on server/discover: it does not "
                             "speak MCP 2026-07-28",
                             nullptr});
      }
      if (pinned) throw ProtocolError(e);
      return legacy(e.message);
    }
    const json::object& r = json::as_object_or_empty(std::get<0>(out));
    auto supported = strings_of(json::find_array(r, "supportedVersions"));
    if (!speaks_modern(supported)) {
      return legacy("its server/discover lists " + joined(supported) + " as supported versions");
    }
    init = InitializeResult{};
    init.raw = r;
    init.protocol_version = std::string(kModern);
    if (const json::object* caps = json::find_object(r, "capabilities")) init.capabilities = *caps;
    if (auto it = r.find("serverInfo"); it != r.end()) {
      init.server_info = Implementation::from_json(it->value());
    } else if (const json::object* meta = json::find_object(r, "_meta")) {
      if (auto info = meta->find(kMetaServerInfo); info != meta->end())
        init.server_info = Implementation::from_json(info->value());
    }
    if (const json::string* i = json::find_string(r, "instructions"))
      init.instructions = std::string(*i);
    cache.put(kMethodServerDiscover, {}, r);
    live_session().set_peer(init.capabilities, init.server_info, init.protocol_version);
    return true;
  }
  return legacy("it refused 2026-07-28 twice");
}

void Client::Impl::take_tool_annotations(json::value& result) {
  json::object* r = result.if_object();
  json::array* tools = r ? r->if_contains("tools") ? r->at("tools").if_array() : nullptr : nullptr;
  if (tools == nullptr) return;
  std::lock_guard lock(state_mutex);
  for (auto it = tools->begin(); it != tools->end();) {
    const json::object& tool = json::as_object_or_empty(*it);
    const json::string* name = json::find_string(tool, "name");
    const json::object* schema = json::find_object(tool, "inputSchema");
    if (name == nullptr || schema == nullptr) {
      ++it;
      continue;
    }
    auto read = read_param_headers(*schema);
    if (read.index() == 1) {
      // The spec's rule: a tool whose x-mcp-header annotations are broken is not offered.
      tool_param_headers.erase(std::string(*name));
      it = tools->erase(it);
      continue;
    }
    tool_param_headers[std::string(*name)] = std::get<0>(std::move(read));
    ++it;
  }
}

Outcome Client::Impl::send_stateless(OutgoingRequest& request, const RequestOptions& sending) {
  add_request_meta(request.params);
  const std::string& method = request.method;
  if (auto hit = cache.get(method, request.params)) return std::move(*hit);
  json::object params;  // the rounds after the first: the original with this round's answers
  for (int round = 0;; ++round) {
    Outcome out = round == 0 ? live_session().request_lending(method, request.params, sending)
                             : live_session().request(method, std::move(params), sending);
    if (std::optional<Outcome> last = after_round(method, request.params, out, round, params))
      return std::move(*last);
  }
}

std::optional<Outcome> Client::Impl::after_round(const std::string& method,
                                                 const json::object& original, Outcome& out,
                                                 int round, json::object& params) {
  if (out.index() == 1) return std::move(out);
  json::value& result = std::get<0>(out);
  const json::object* r = result.if_object();
  const json::string* type = r ? json::find_string(*r, kResultTypeField) : nullptr;
  // No resultType is "complete" (a result from an earlier revision).
  if (type == nullptr || *type != kResultTypeInputRequired) {
    if (method == "tools/list") take_tool_annotations(result);
    cache.put(method, original, result);
    return std::move(out);
  }
  if (round >= options.max_input_rounds) {
    return jsonrpc::Error{jsonrpc::error_code::kInternalError,
                          method + " still required input after " +
                              std::to_string(options.max_input_rounds) +
                              " rounds (ClientOptions::max_input_rounds)",
                          nullptr};
  }
  json::object responses;
  if (auto it = r->find(kInputRequestsField); it != r->end()) {
    const json::object* asks = it->value().if_object();
    if (asks == nullptr) return invalid_result(method, "has inputRequests that is not an object");
    for (const auto& [key, ask] : *asks) {
      const json::object& a = json::as_object_or_empty(ask);
      const json::string* asked = json::find_string(a, "method");
      if (asked == nullptr) {
        return invalid_result(method,
                              "has inputRequests." + std::string(key) + " without a method");
      }
      Outcome answered = [&]() -> Outcome {
        try {
          return answer(std::string(*asked),
                        json::as_object_or_empty(a.contains("params") ? a.at("params") : nullptr));
        } catch (const ProtocolError& e) {
          return e.error();
        } catch (const std::exception& e) {
          return jsonrpc::Error{jsonrpc::error_code::kInternalError, e.what(), nullptr};
        }
      }();
      if (answered.index() == 1) return answered;
      responses[key] = std::get<0>(std::move(answered));
    }
  }
  const json::string* state = json::find_string(*r, kRequestStateField);
  if (responses.empty() && state == nullptr)
    return invalid_result(method, "asks for nothing (no inputRequests, no requestState)");
  // Each round sends the original request again, with this round's answers only and the
  // state byte for byte; a new JSON-RPC id comes with it.
  params = original;
  if (!responses.empty()) params[kInputResponsesField] = std::move(responses);
  if (state != nullptr) params[kRequestStateField] = *state;
  return std::nullopt;
}

}  // namespace glassbox::mcp
