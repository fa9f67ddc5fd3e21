#include "glassbox/transport/http_fetch.hpp"

#include "glassbox/json/ascii.hpp"
#include "transport/http_fetch_exchange.hpp"
#include "transport/http_url.hpp"

#include <boost/asio/connect.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace glassbox::transport {

namespace {

using namespace fetch_detail;

std::string connection_key(const http_detail::HttpUrl& url, const FetchRequest& request) {
  std::string key = url.origin();
  if (url.tls) key += std::string(request.verify_peer ? " verify " : " trust ") + request.ca_file;
  return key;
}

std::unique_ptr<Connection> open(const http_detail::HttpUrl& url, const FetchRequest& request,
                                 std::chrono::steady_clock::time_point deadline) {
  auto c = std::make_unique<Connection>();
  c->key = connection_key(url, request);
  tcp::resolver resolver(c->io);
  tcp::resolver::results_type endpoints;
  // The resolver has no expiry of its own; loopback and literal addresses resolve at once.
  if (auto ec = run(c->io, [&](beast::error_code& out) {
        resolver.async_resolve(url.host, url.port,
                               [&](beast::error_code e, tcp::resolver::results_type r) {
                                 out = e;
                                 endpoints = std::move(r);
                               });
      }))
    throw FetchError("resolve " + url.host + ": " + ec.message());
  if (url.tls) {
    c->tls = http_detail::tls_seam("an https:// request").open_fetch(c->io, url, request);
  } else {
    c->plain.emplace(c->io);
  }
  beast::tcp_stream& layer = c->layer();
  layer.expires_at(deadline);
  if (auto ec = run(c->io, [&](beast::error_code& out) {
        layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { out = e; });
      }))
    throw FetchError("connect " + url.host + ":" + url.port + ": " + ec.message());
  if (c->tls) c->tls->handshake(*c, url);
  return c;
}

// One request on `c`; keep_alive says whether `c` may carry another.
FetchResponse send(Connection& c, http::request<http::string_body>& message,
                   const FetchRequest& request, std::chrono::steady_clock::time_point deadline,
                   bool reused, bool& keep_alive) {
  c.layer().expires_at(deadline);
  if (c.tls) return c.tls->exchange(c, message, request.max_response_bytes, reused, keep_alive);
  return exchange(c, *c.plain, message, request.max_response_bytes, reused, keep_alive);
}

// Parses the URL and builds the message: everything that can fail before a connection.
http::request<http::string_body> prepare(const FetchRequest& request, http_detail::HttpUrl& url) {
  std::string error;
  std::optional<http_detail::HttpUrl> parsed = http_detail::parse_http_url(request.url, error);
  if (!parsed) throw FetchError(error + ": " + request.url);
  url = std::move(*parsed);
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) throw FetchError("unknown HTTP method: " + request.method);
  http::request<http::string_body> message{verb, url.target, 11};
  message.set(http::field::host, url.host_header);
  message.set(http::field::user_agent, "glassbox/0.1.0");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  if (!request.body.empty() || verb == http::verb::post) {
    message.body() = request.body;
    message.prepare_payload();
  }
  return message;
}

}  // namespace

std::optional<std::string> FetchResponse::header(std::string_view name) const {
  auto it = std::find_if(headers.begin(), headers.end(),
                         [&](const auto& field) { return json::ascii_iequals(field.first, name); });
  return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto append = [&](std::string_view s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else if (c == ' ') {
        out += '+';
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    append(name);
    out += '=';
    append(value);
  }
  return out;
}

FetchResponse fetch(const FetchRequest& request) {
  http_detail::HttpUrl url;
  http::request<http::string_body> message = prepare(request, url);
  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  std::unique_ptr<Connection> c = open(url, request, deadline);
  bool keep_alive = false;
  FetchResponse out = send(*c, message, request, deadline, false, keep_alive);
  if (!c->tls) c->close();
  return out;
}

FetchClient::FetchClient(FetchClientOptions options) : options_(options) {}

FetchClient::~FetchClient() = default;

std::uint64_t FetchClient::connections_opened() const noexcept {
  std::lock_guard lock(mutex_);
  return opened_;
}

FetchResponse FetchClient::fetch(const FetchRequest& request) {
  http_detail::HttpUrl url;
  http::request<http::string_body> message = prepare(request, url);
  const std::string key = connection_key(url, request);
  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  for (;;) {
    std::unique_ptr<Connection> c;
    {
      std::lock_guard lock(mutex_);
      auto now = std::chrono::steady_clock::now();
      std::erase_if(idle_, [&](const std::unique_ptr<Connection>& idle) {
        return now - idle->idle_since > options_.idle_timeout;
      });
      // The most recently used: the least likely to have been closed by the server.
      for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if ((*it)->key == key) {
          c = std::move(*it);
          idle_.erase(std::next(it).base());
          break;
        }
      }
    }
    const bool reused = c != nullptr;
    if (!reused) {
      c = open(url, request, deadline);
      std::lock_guard lock(mutex_);
      ++opened_;
    }
    bool keep_alive = false;
    FetchResponse out;
    try {
      out = send(*c, message, request, deadline, reused, keep_alive);
    } catch (const StaleConnection&) {
      continue;  // on a new connection (a fresh one never throws this)
    }
    if (keep_alive && options_.max_idle_connections > 0) {
      c->idle_since = std::chrono::steady_clock::now();
      std::lock_guard lock(mutex_);
      if (idle_.size() >= options_.max_idle_connections) idle_.erase(idle_.begin());
      idle_.push_back(std::move(c));
    } else if (!c->tls) {
      c->close();
    }
    return out;
  }
}

}  // namespace glassbox::transport
