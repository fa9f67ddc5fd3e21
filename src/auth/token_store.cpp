#include "glassbox/auth/token_store.hpp"

#include "glassbox/json/json.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace glassbox::auth {
namespace {

constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;

std::string errno_text() {
  return std::strerror(errno);
}

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string str(const json::object& o, std::string_view key) {
  const json::string* s = json::find_string(o, key);
  return s ? std::string(*s) : std::string();
}

json::object to_json(const TokenRecord& r) {
  json::object client{{"client_id", r.client.client_id},
                      {"client_secret", r.client.client_secret},
                      {"token_endpoint_auth_method", r.client.token_endpoint_auth_method},
                      {"redirect_uri", r.client.redirect_uri},
                      {"dynamic", r.client.dynamic}};
  json::object token{{"access_token", r.token.access_token},
                     {"token_type", r.token.token_type},
                     {"refresh_token", r.token.refresh_token},
                     {"scope", r.token.scope},
                     {"expires_at", r.token.expires_at}};
  return {{"issuer", r.issuer},
          {"token_endpoint", r.token_endpoint},
          {"resource", r.resource},
          {"client", std::move(client)},
          {"token", std::move(token)}};
}

TokenRecord from_json(const json::object& o) {
  TokenRecord r;
  r.issuer = str(o, "issuer");
  r.token_endpoint = str(o, "token_endpoint");
  r.resource = str(o, "resource");
  if (const json::object* c = json::find_object(o, "client")) {
    r.client.client_id = str(*c, "client_id");
    r.client.client_secret = str(*c, "client_secret");
    r.client.token_endpoint_auth_method = str(*c, "token_endpoint_auth_method");
    r.client.redirect_uri = str(*c, "redirect_uri");
    r.client.dynamic = json::find_bool(*c, "dynamic").value_or(false);
  }
  if (const json::object* t = json::find_object(o, "token")) {
    r.token.access_token = str(*t, "access_token");
    r.token.token_type = str(*t, "token_type");
    r.token.refresh_token = str(*t, "refresh_token");
    r.token.scope = str(*t, "scope");
    r.token.expires_at = json::find_int(*t, "expires_at").value_or(0);
  }
  return r;
}

// The records in the file; empty when it does not exist.
std::map<std::string, TokenRecord> read_records(const std::string& path) {
  std::map<std::string, TokenRecord> out;
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (f.fd < 0) {
    if (errno == ENOENT) return out;
    throw TokenStoreError("token store " + path + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw TokenStoreError("token store " + path + ": " + errno_text());
  if (!S_ISREG(st.st_mode)) throw TokenStoreError("token store " + path + " is not a file");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw TokenStoreError("token store " + path + " has permissions " + mode +
                          ", readable by others; refusing it (chmod 600 " + path + ")");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes)
    throw TokenStoreError("token store " + path + " is larger than 4 MiB");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  if (text.empty()) return out;
  std::string reason;
  std::optional<json::value> doc = json::parse(text, {}, &reason);
  if (!doc || !doc->is_object())
    throw TokenStoreError("token store " + path + " is not valid JSON" +
                          (reason.empty() ? "" : ": " + reason));
  if (const json::object* records = json::find_object(doc->get_object(), "records"))
    for (const auto& [key, value] : *records)
      if (value.is_object()) out[std::string(key)] = from_json(value.get_object());
  return out;
}

// mkdir -p, each created directory 0700.
void make_parent_dirs(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw TokenStoreError("token store: cannot create " + dir + ": " + errno_text());
  }
}

void write_records(const std::string& path, const std::map<std::string, TokenRecord>& records) {
  json::object all;
  for (const auto& [key, record] : records) all[key] = to_json(record);
  std::string text =
      json::serialize(json::object{{"version", 1}, {"records", std::move(all)}}) + "\n";
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(temp.c_str());  // a leftover of a crashed run of this very pid
  // Created 0600 from the start: there is no moment at which another user could open it.
  Fd f(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (f.fd < 0) throw TokenStoreError("token store " + temp + ": " + errno_text());
  ::fchmod(f.fd, 0600);  // a umask cannot widen it, but one could narrow it below what we read
  std::size_t put = 0;
  while (put < text.size()) {
    ssize_t n = ::write(f.fd, text.data() + put, text.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(temp.c_str());
      throw TokenStoreError("token store " + temp + ": " + errno_text());
    }
    put += static_cast<std::size_t>(n);
  }
  ::fsync(f.fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(temp.c_str());
    throw TokenStoreError("token store " + path + ": " + why);
  }
}

}  // namespace

TokenStore::TokenStore(std::string path) : path_(std::move(path)) {}

std::string TokenStore::default_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/glassbox/tokens.json";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/glassbox/tokens.json";
}

std::optional<TokenRecord> TokenStore::load(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (path_.empty()) {
    auto it = memory_.find(key);
    if (it == memory_.end()) return std::nullopt;
    return it->second;
  }
  auto records = read_records(path_);
  auto it = records.find(key);
  if (it == records.end()) return std::nullopt;
  return it->second;
}

template <class Change>
void TokenStore::modify(Change&& change) {
  std::lock_guard lock(mutex_);
  if (path_.empty()) {
    change(memory_);
    return;
  }
  make_parent_dirs(path_);
  std::string lock_path = path_ + ".lock";
  Fd lock_file(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (lock_file.fd < 0) throw TokenStoreError("token store " + lock_path + ": " + errno_text());
  while (::flock(lock_file.fd, LOCK_EX) != 0)
    if (errno != EINTR) throw TokenStoreError("token store " + lock_path + ": " + errno_text());
  auto records = read_records(path_);
  change(records);
  write_records(path_, records);
  // The lock goes with the descriptor.
}

void TokenStore::save(const std::string& key, const TokenRecord& record) {
  modify([&](std::map<std::string, TokenRecord>& records) { records[key] = record; });
}

void TokenStore::erase(const std::string& key) {
  modify([&](std::map<std::string, TokenRecord>& records) { records.erase(key); });
}

}  // namespace glassbox::auth
