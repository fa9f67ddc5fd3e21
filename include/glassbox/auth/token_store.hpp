// Where an OAuth client keeps what it obtained, between runs: per protected resource (the
// canonical MCP server URL), the authorization server's issuer and token endpoint, the client
// registration it used there, and the latest tokens.
//
// The file is JSON, created with open(O_CREAT, 0600) in a 0700 directory and replaced
// atomically (a 0600 temporary file renamed over it), under an flock on FILE.lock so that two
// processes do not lose each other's writes. A file that group or others may read is refused
// (TokenStoreError), as ssh refuses a readable private key: it holds bearer credentials.
//
// Thread-safety: every member may be called from any thread (an internal mutex). An empty path
// keeps everything in memory.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace glassbox::auth {

class TokenStoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoredClient {
  std::string client_id;
  std::string client_secret;
  std::string token_endpoint_auth_method;  // as registered; empty: choose from the metadata
  std::string redirect_uri;                // registered with it (dynamic registration)
  bool dynamic = false;                    // obtained by dynamic registration (not pre-registered)
};

struct StoredToken {
  std::string access_token;
  std::string token_type = "Bearer";
  std::string refresh_token;
  std::string scope;            // as granted (or as requested, when the answer did not say)
  std::int64_t expires_at = 0;  // unix seconds; 0: unknown
};

struct TokenRecord {
  std::string issuer;
  std::string token_endpoint;
  std::string resource;  // the RFC 8707 resource the tokens were issued for
  StoredClient client;
  StoredToken token;
};

class TokenStore {
 public:
  explicit TokenStore(std::string path = {});

  // $XDG_CONFIG_HOME/glassbox/tokens.json, else $HOME/.config/glassbox/tokens.json.
  static std::string default_path();

  const std::string& path() const { return path_; }

  // Throw TokenStoreError on an unreadable, unsafe or corrupt file (a missing one is empty).
  std::optional<TokenRecord> load(const std::string& key);
  void save(const std::string& key, const TokenRecord& record);
  void erase(const std::string& key);

 private:
  template <class Change>
  void modify(Change&& change);

  std::string path_;
  std::mutex mutex_;
  std::map<std::string, TokenRecord> memory_;  // when path_ is empty
};

}  // namespace glassbox::auth
