#include "glassbox/auth/introspection.hpp"

#include "auth/scopes.hpp"
#include "glassbox/tls/tls.hpp"
#include "glassbox/transport/http_fetch.hpp"
#include "json/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace glassbox::auth {
namespace {

using Clock = std::chrono::steady_clock;

VerifyResult refuse(Reason reason, std::string description, TokenFacts facts) {
  return VerifyResult{reason, std::move(description), std::move(facts), std::nullopt};
}

// The cache key: the token's digest, so that the cache never holds the token itself.
std::string digest(std::string_view token, std::string_view audience) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), out, &size, EVP_sha256(), nullptr);
  std::string key(reinterpret_cast<const char*>(out), size);
  key += '\n';
  key += audience;
  return key;
}

// RFC 6749 2.3.1: client id and secret are form-encoded before they go into Basic.
std::string form_escape(std::string_view text) {
  std::string encoded = transport::form_encode({{"x", std::string(text)}});
  return encoded.substr(2);  // "x=" off
}

std::optional<double> number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

}  // namespace

struct IntrospectionVerifier::Impl {
  explicit Impl(IntrospectionVerifierOptions o) : options(std::move(o)) {}

  struct Entry {
    VerifyResult result;
    Clock::time_point expires;
  };

  IntrospectionVerifierOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, Entry> cache;
  std::deque<std::string> order;  // insertion order, for eviction
  std::size_t requests = 0;

  std::int64_t now() const {
    if (options.now) return options.now();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::optional<VerifyResult> cached(const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = cache.find(key);
    if (it == cache.end()) return std::nullopt;
    if (Clock::now() >= it->second.expires) {
      cache.erase(it);
      return std::nullopt;
    }
    VerifyResult r = it->second.result;
    r.facts.cached = true;
    return r;
  }

  void store(const std::string& key, const VerifyResult& result) {
    std::chrono::seconds ttl = options.negative_cache_ttl;
    if (result.ok()) {
      ttl = options.cache_ttl;
      if (result.info && result.info->expires_at) {
        ttl = std::min(
            ttl, std::chrono::seconds(std::max<std::int64_t>(0, *result.info->expires_at - now())));
      }
    }
    if (ttl.count() <= 0 || options.max_cache_entries == 0) return;
    std::lock_guard lock(mutex);
    while (cache.size() >= options.max_cache_entries && !order.empty()) {
      cache.erase(order.front());
      order.pop_front();
    }
    // Keys of entries that expired or were replaced linger in `order` until they reach the
    // front; bound that too.
    while (order.size() >= 2 * options.max_cache_entries) {
      cache.erase(order.front());
      order.pop_front();
    }
    if (cache.insert_or_assign(key, Entry{result, Clock::now() + ttl}).second) order.push_back(key);
  }

  VerifyResult evaluate(const transport::FetchResponse& response, std::string_view audience,
                        TokenFacts facts) const;
};

VerifyResult IntrospectionVerifier::Impl::evaluate(const transport::FetchResponse& response,
                                                   std::string_view audience,
                                                   TokenFacts facts) const {
  if (response.status != 200) {
    return refuse(Reason::introspection_failed,
                  "the introspection endpoint answered HTTP " + std::to_string(response.status),
                  facts);
  }
  std::optional<json::value> parsed = json::parse(response.body, {.max_depth = 16});
  const json::object* answer = parsed ? parsed->if_object() : nullptr;
  std::optional<bool> active = answer ? json::find_bool(*answer, "active") : std::nullopt;
  if (!active) {
    return refuse(Reason::introspection_failed,
                  "the introspection endpoint did not answer with active", facts);
  }
  if (!*active) return refuse(Reason::inactive, "the token is not active", facts);

  AuthInfo info;
  for (auto [key, out] :
       {std::pair{"iss", &info.issuer}, {"sub", &info.subject}, {"client_id", &info.client_id}}) {
    if (const json::string* s = json::find_string(*answer, key)) *out = std::string(*s);
  }
  facts.issuer = info.issuer;
  facts.client_id = info.client_id;
  if (!options.issuer.empty() && !info.issuer.empty() && info.issuer != options.issuer)
    return refuse(Reason::wrong_issuer, "the token was not issued by this server's issuer", facts);

  if (auto aud = answer->find("aud"); aud != answer->end()) {
    if (aud->value().is_string()) {
      info.audience.emplace_back(aud->value().get_string());
    } else if (const json::array* list = aud->value().if_array()) {
      for (const auto& a : *list) {
        if (a.is_string()) info.audience.emplace_back(a.get_string());
      }
    }
    if (std::find(info.audience.begin(), info.audience.end(), audience) == info.audience.end())
      return refuse(Reason::wrong_audience, "the token was not issued for this resource", facts);
  } else if (options.require_audience) {
    return refuse(Reason::wrong_audience, "the token names no audience", facts);
  }

  const double now = static_cast<double>(this->now());
  const double skew = static_cast<double>(options.clock_skew.count());
  if (auto exp = answer->find("exp"); exp != answer->end()) {
    std::optional<double> t = number(exp->value());
    if (t && now - skew >= *t) return refuse(Reason::expired, "the token has expired", facts);
    if (t) info.expires_at = static_cast<std::int64_t>(*t);
  }
  if (auto nbf = answer->find("nbf"); nbf != answer->end()) {
    std::optional<double> t = number(nbf->value());
    if (t && now + skew < *t)
      return refuse(Reason::not_yet_valid, "the token is not valid yet", facts);
  }
  if (const json::string* scope = json::find_string(*answer, "scope"))
    info.scopes = split_scopes(*scope);
  info.claims = *answer;
  return VerifyResult{Reason::valid, {}, std::move(facts), std::move(info)};
}

IntrospectionVerifier::IntrospectionVerifier(IntrospectionVerifierOptions options) {
  if (options.endpoint.empty())
    throw std::invalid_argument("IntrospectionVerifier needs an endpoint");
  impl_ = std::make_unique<Impl>(std::move(options));
}

IntrospectionVerifier::~IntrospectionVerifier() = default;

std::optional<VerifyResult> IntrospectionVerifier::try_verify(std::string_view token,
                                                              std::string_view audience) {
  TokenFacts facts{.format = "opaque"};
  if (token.size() > impl_->options.max_token_bytes)
    return refuse(Reason::oversized, "the token is too long", facts);
  try {
    return impl_->cached(digest(token, audience));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

VerifyResult IntrospectionVerifier::verify(std::string_view token, std::string_view audience) {
  TokenFacts facts{.format = "opaque"};
  if (token.size() > impl_->options.max_token_bytes)
    return refuse(Reason::oversized, "the token is too long", facts);
  try {
    std::string key = digest(token, audience);
    if (auto hit = impl_->cached(key)) return *hit;
    const IntrospectionVerifierOptions& o = impl_->options;
    transport::FetchRequest request{
        .method = "POST",
        .url = o.endpoint,
        .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Accept", "application/json"}},
        .body = transport::form_encode(
            {{"token", std::string(token)}, {"token_type_hint", "access_token"}}),
        .timeout = o.timeout,
        .max_response_bytes = o.max_response_bytes,
        .verify_peer = o.verify_peer,
        .ca_file = o.ca_file,
    };
    if (!o.client_id.empty()) {
      request.headers.emplace_back("Authorization",
                                   "Basic " + json::base64_encode(form_escape(o.client_id) + ":" +
                                                                  form_escape(o.client_secret)));
    }
    {
      std::lock_guard lock(impl_->mutex);
      ++impl_->requests;
    }
    transport::FetchResponse response;
    try {
      tls::enable();  // https:// needs glassbox_tls (auth links it)
      response = transport::fetch(request);
    } catch (const transport::FetchError&) {
      return refuse(Reason::introspection_failed, "the introspection endpoint could not be reached",
                    facts);
    }
    VerifyResult result = impl_->evaluate(response, audience, facts);
    if (result.reason != Reason::introspection_failed) impl_->store(key, result);
    return result;
  } catch (const std::exception&) {
    return refuse(Reason::introspection_failed, "the token could not be introspected", facts);
  }
}

std::size_t IntrospectionVerifier::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace glassbox::auth
