#include "mcp/result_cache.hpp"

#include "glassbox/mcp/protocol_revision.hpp"

#include <algorithm>

namespace glassbox::mcp {

bool ResultCache::cacheable(std::string_view method) {
  return method == kMethodServerDiscover || method == "tools/list" || method == "prompts/list" ||
         method == "resources/list" || method == "resources/templates/list" ||
         method == "resources/read";
}

std::string ResultCache::key_of(std::string_view method, const json::object& params) {
  json::object p = params;
  p.erase("_meta");
  return std::string(method) + '\n' + json::serialize(p);
}

std::optional<json::value> ResultCache::get(std::string_view method, const json::object& params,
                                            Clock::time_point now) {
  if (max_entries_ == 0 || !cacheable(method)) return std::nullopt;
  std::string key = key_of(method, params);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.result;
}

void ResultCache::put(std::string_view method, const json::object& params,
                      const json::value& result, Clock::time_point now) {
  if (max_entries_ == 0 || !cacheable(method)) return;
  const json::object* r = result.if_object();
  if (r == nullptr) return;
  std::optional<double> ttl = json::find_number(*r, kTtlMsField);
  if (!ttl || !(*ttl > 0)) return;
  if (const json::string* scope = json::find_string(*r, kCacheScopeField);
      scope != nullptr && *scope != kCacheScopePublic && *scope != kCacheScopePrivate) {
    return;  // a scope this client does not know: not safe to assume either
  }
  // Whatever a server says, a day is the longest this client keeps anything.
  constexpr double kMaxTtlMs = 24.0 * 3600 * 1000;
  auto expires =
      now + std::chrono::milliseconds(static_cast<std::int64_t>(std::min(*ttl, kMaxTtlMs)));
  std::string key = key_of(method, params);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    auto soonest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.expires < b.second.expires;
    });
    entries_.erase(soonest);
  }
  entries_[key] = Entry{result, expires};
}

void ResultCache::drop_method(std::string_view method) {
  std::string prefix = std::string(method) + '\n';
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.starts_with(prefix);)
    it = entries_.erase(it);
}

void ResultCache::on_notification(std::string_view method, const json::object& params) {
  std::lock_guard lock(mutex_);
  if (method == "notifications/tools/list_changed") {
    drop_method("tools/list");
  } else if (method == "notifications/prompts/list_changed") {
    drop_method("prompts/list");
  } else if (method == "notifications/resources/list_changed") {
    drop_method("resources/list");
    drop_method("resources/templates/list");
  } else if (method == "notifications/resources/updated") {
    if (const json::string* uri = json::find_string(params, "uri")) {
      json::object p{{"uri", *uri}};
      entries_.erase(key_of("resources/read", p));
    }
  }
}

void ResultCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t ResultCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace glassbox::mcp
