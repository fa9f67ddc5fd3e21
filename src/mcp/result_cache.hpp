// The client's cache of results the server marked cacheable (MCP 2026-07-28 caching:
// `ttlMs` and `cacheScope` on server/discover, the list methods and resources/read).
// A result is kept for ttlMs from when it arrived, under its method and its params without
// `_meta`; ttlMs absent or 0 means "do not keep". Both scopes are kept: "private" results belong
// to this client's caller, which this cache is (it is never shared between Clients), "public"
// ones could be shared further. list_changed and resources/updated notifications drop what they
// make stale. Bounded: past max_entries the entry closest to expiry goes first.
//
// Threads: every member may be called from any thread.
#pragma once

#include "glassbox/json/json.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace glassbox::mcp {

class ResultCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ResultCache(std::size_t max_entries) : max_entries_(max_entries) {}

  // Whether results of `method` may be cached at all.
  static bool cacheable(std::string_view method);

  std::optional<json::value> get(std::string_view method, const json::object& params,
                                 Clock::time_point now = Clock::now());
  // Keeps `result` when it carries a positive ttlMs (and a cacheScope, when present, that is
  // "public" or "private").
  void put(std::string_view method, const json::object& params, const json::value& result,
           Clock::time_point now = Clock::now());

  // A server notification: tools/prompts/resources list_changed drop their lists,
  // resources/updated drops the reads of its uri.
  void on_notification(std::string_view method, const json::object& params);
  void clear();
  std::size_t size() const;

 private:
  struct Entry {
    json::value result;
    Clock::time_point expires;
  };
  static std::string key_of(std::string_view method, const json::object& params);
  void drop_method(std::string_view method);

  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // key: method + '\n' + params without _meta
};

}  // namespace glassbox::mcp
