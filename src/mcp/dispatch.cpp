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

json::object& outcome_meta(Outcome& outcome) {
  if (outcome.index() == 0) return meta_of(std::get<0>(outcome));
  return meta_of(std::get<1>(outcome).data);
}

}  // namespace glassbox::mcp
