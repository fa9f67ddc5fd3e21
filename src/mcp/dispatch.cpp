#include "glassbox/mcp/dispatch.hpp"

namespace glassbox::mcp {

namespace {
json::object& meta_of(json::value& holder) {
  if (!holder.is_object()) holder = json::object{};
  json::value& meta = holder.get_object()["_meta"];
  if (!meta.is_object()) meta = json::object{};
  return meta.get_object();
}
}  // namespace

Outcome invoke_handler(const MethodHandler& handler, RequestContext& ctx) noexcept {
  try {
    return handler(ctx);
  } catch (const ProtocolError& e) {
    return e.error();
  } catch (const std::exception& e) {
    return jsonrpc::Error{jsonrpc::error_code::kInternalError, e.what(), nullptr};
  } catch (...) {
    return jsonrpc::Error{jsonrpc::error_code::kInternalError, "unknown exception", nullptr};
  }
}

json::object& outcome_meta(Outcome& outcome) {
  if (outcome.index() == 0) return meta_of(std::get<0>(outcome));
  return meta_of(std::get<1>(outcome).data);
}

}  // namespace glassbox::mcp
