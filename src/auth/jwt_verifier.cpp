#include "glassbox/auth/jwt_verifier.hpp"

#include "auth/base64url.hpp"
#include "auth/scopes.hpp"
#include "glassbox/json/ascii.hpp"
#include "glassbox/tls/tls.hpp"
#include "glassbox/transport/http_fetch.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <variant>

namespace glassbox::auth {
namespace {

using Clock = std::chrono::steady_clock;

VerifyResult refuse(Reason reason, std::string description, TokenFacts facts = {}) {
  return VerifyResult{reason, std::move(description), std::move(facts), std::nullopt};
}

// A JWT split and decoded, before any key is involved.
struct Parsed {
  std::string_view signing_input;  // header.payload, as signed
  std::string signature;
  json::object payload;
  std::string alg, kid;
};

// A NumericDate (RFC 7519 2): integer or not, as seconds.
std::optional<double> numeric_date(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

std::optional<json::object> decode_json_part(std::string_view part) {
  std::optional<std::string> bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  std::optional<json::value> v = json::parse(*bytes, {.max_depth = 16});
  if (!v || !v->is_object()) return std::nullopt;
  return std::move(v->get_object());
}

// aud and scp: one string (turned into a list by `one`) or an array of strings; nullopt when the
// claim is neither.
std::optional<std::vector<std::string>> string_or_strings(
    const json::value& claim, std::vector<std::string> (*one)(std::string_view)) {
  if (claim.is_string()) return one(claim.get_string());
  const json::array* list = claim.if_array();
  if (list == nullptr) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(list->size());
  for (const auto& item : *list) {
    if (!item.is_string()) return std::nullopt;
    out.emplace_back(item.get_string());
  }
  return out;
}

std::vector<std::string> one_audience(std::string_view aud) {
  return {std::string(aud)};
}

}  // namespace

struct JwtVerifier::Impl {
  explicit Impl(JwtVerifierOptions o) : options(std::move(o)) {}

  JwtVerifierOptions options;

  mutable std::mutex mutex;
  std::condition_variable loaded;
  std::shared_ptr<const KeySet> keys;  // null until the first successful load
  std::optional<Clock::time_point> last_attempt;
  Clock::time_point loaded_at{};
  bool loading = false;
  bool last_ok = false;
  std::string last_error;
  std::size_t loads = 0;

  struct Verified {
    VerifyResult result;
    std::int64_t until;  // Unix seconds
  };
  std::mutex cache_mutex;
  std::unordered_map<std::string, Verified> verified;
  std::deque<std::string> verified_order;  // insertion order, for eviction

  static std::string digest(std::string_view token, std::string_view audience) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(token.data(), token.size(), out, &size, EVP_sha256(), nullptr);
    std::string key(reinterpret_cast<const char*>(out), size);
    key += audience;
    return key;
  }

  std::optional<VerifyResult> cached(const std::string& key) {
    std::lock_guard lock(cache_mutex);
    auto it = verified.find(key);
    if (it == verified.end()) return std::nullopt;
    if (now() >= it->second.until) {
      verified.erase(it);
      return std::nullopt;
    }
    VerifyResult r = it->second.result;
    r.facts.cached = true;
    r.facts.keys_refreshed = false;
    return r;
  }

  void remember(std::string key, const VerifyResult& result) {
    if (options.verified_cache_entries == 0 || !result.info) return;
    std::int64_t until = now() + options.verified_cache_ttl.count();
    if (result.info->expires_at)
      until = std::min(until, *result.info->expires_at + options.clock_skew.count());
    std::lock_guard lock(cache_mutex);
    while ((verified.size() >= options.verified_cache_entries ||
            verified_order.size() >= 2 * options.verified_cache_entries) &&
           !verified_order.empty()) {
      verified.erase(verified_order.front());
      verified_order.pop_front();
    }
    if (verified.insert_or_assign(key, Verified{result, until}).second)
      verified_order.push_back(std::move(key));
  }

  std::int64_t now() const {
    if (options.now) return options.now();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  bool allowed(std::string_view alg) const {
    return std::find(options.algorithms.begin(), options.algorithms.end(), alg) !=
               options.algorithms.end() &&
           std::find(std::begin(kSupportedAlgorithms), std::end(kSupportedAlgorithms), alg) !=
               std::end(kSupportedAlgorithms);
  }

  std::variant<Parsed, VerifyResult> parse(std::string_view token, TokenFacts& facts) const;
  std::optional<VerifyResult> run(std::string_view token, std::string_view audience, bool blocking);
  VerifyResult check_claims(Parsed& parsed, std::string_view audience, TokenFacts facts) const;
  std::optional<std::string> read_source(std::string* error) const;
  bool reload(std::string* error);
};

std::variant<Parsed, VerifyResult> JwtVerifier::Impl::parse(std::string_view token,
                                                            TokenFacts& facts) const {
  // Bounded before anything else: a megabyte "token" costs no base64 or JSON work.
  if (token.size() > options.max_token_bytes) {
    return refuse(Reason::oversized,
                  "the token is longer than " + std::to_string(options.max_token_bytes) + " bytes",
                  facts);
  }
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refuse(Reason::malformed, "the token is not a JWT (compact JWS)", facts);
  }
  Parsed parsed;
  std::optional<json::object> header = decode_json_part(token.substr(0, dot1));
  std::optional<json::object> payload = decode_json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> signature = base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) {
    return refuse(Reason::malformed, "the token's parts are not base64url JSON", facts);
  }
  const json::string* alg = json::find_string(*header, "alg");
  if (alg == nullptr) return refuse(Reason::malformed, "the token header has no alg", facts);
  facts.alg = std::string(*alg);
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->value().is_string())
      return refuse(Reason::malformed, "the token header's kid is not a string", facts);
    facts.key_id = std::string(kid->value().get_string());
  }
  // none and HMAC are never allowed: with public keys only, an HS256 "signature" keyed with
  // the public key would verify for anyone (algorithm confusion).
  if (!allowed(*alg)) {
    return refuse(Reason::alg_not_allowed, "the token's alg " + facts.alg + " is not allowed",
                  facts);
  }
  if (header->contains("crit")) {
    // RFC 7515 4.1.11: an extension the recipient does not understand makes the JWS invalid.
    return refuse(Reason::malformed, "the token header has critical extensions", facts);
  }
  if (auto typ = header->find("typ"); typ != header->end() && !options.types.empty()) {
    if (!typ->value().is_string())
      return refuse(Reason::malformed, "the token header's typ is not a string", facts);
    std::string t = json::ascii_lower(typ->value().get_string());
    if (std::none_of(options.types.begin(), options.types.end(), [&](const std::string& accepted) {
          return json::ascii_lower(accepted) == t;
        })) {
      return refuse(Reason::wrong_type, "the token's typ is not an access token type", facts);
    }
  }
  if (signature->empty()) return refuse(Reason::bad_signature, "the token is unsigned", facts);
  parsed.signing_input = token.substr(0, dot2);
  parsed.signature = std::move(*signature);
  parsed.payload = std::move(*payload);
  parsed.alg = facts.alg;
  parsed.kid = facts.key_id;
  return parsed;
}

std::optional<VerifyResult> JwtVerifier::Impl::run(std::string_view token,
                                                   std::string_view audience, bool blocking) {
  TokenFacts facts;
  facts.format = "jwt";
  std::string key;
  if (options.verified_cache_entries > 0 && token.size() <= options.max_token_bytes) {
    key = digest(token, audience);
    if (auto hit = cached(key)) return hit;
  }
  std::variant<Parsed, VerifyResult> step = parse(token, facts);
  if (auto* refused = std::get_if<VerifyResult>(&step)) return std::move(*refused);
  Parsed& parsed = std::get<Parsed>(step);

  auto snapshot = [&](bool& refresh_possible, bool& stale) {
    std::lock_guard lock(mutex);
    Clock::time_point t = Clock::now();
    refresh_possible =
        loading || !last_attempt || t - *last_attempt >= options.jwks_min_refresh_interval;
    stale = keys && t - loaded_at >= options.jwks_max_age;
    return keys;
  };
  bool refresh_possible = false, stale = false;
  std::shared_ptr<const KeySet> set = snapshot(refresh_possible, stale);

  auto refresh = [&]() -> bool {
    facts.keys_refreshed = true;
    bool ok = reload(nullptr);
    bool ignored1, ignored2;
    set = snapshot(ignored1, ignored2);
    return ok;
  };
  if (!set || (stale && refresh_possible)) {
    if (!set && !refresh_possible) {
      return refuse(Reason::jwks_unavailable, "the issuer's keys could not be loaded", facts);
    }
    if (!blocking) return std::nullopt;
    refresh();
    if (!set)
      return refuse(Reason::jwks_unavailable, "the issuer's keys could not be loaded", facts);
  }

  // Candidate keys: the one named by kid, else every key that fits the algorithm.
  auto select = [&](bool& kid_mismatch) {
    std::vector<const JsonWebKey*> out;
    kid_mismatch = false;
    for (const JsonWebKey& key : set->keys) {
      if (!parsed.kid.empty() && key.kid() != parsed.kid) continue;
      if (key.fits(parsed.alg)) {
        out.push_back(&key);
      } else if (!parsed.kid.empty()) {
        kid_mismatch = true;
      }
    }
    return out;
  };
  bool kid_mismatch = false;
  std::vector<const JsonWebKey*> candidates = select(kid_mismatch);
  if (candidates.empty() && !kid_mismatch && !facts.keys_refreshed) {
    // A kid we do not know may be a key the issuer just rotated in: reload, within the limit.
    bool possible = false, ignored = false;
    snapshot(possible, ignored);
    if (possible) {
      if (!blocking) return std::nullopt;
      if (!refresh()) {
        return refuse(Reason::jwks_unavailable,
                      "the token's key is unknown and the issuer's keys could not be reloaded",
                      facts);
      }
      candidates = select(kid_mismatch);
    }
  }
  if (kid_mismatch && candidates.empty()) {
    // The key exists but is of another type: an RSA key offered as ES256, say.
    return refuse(Reason::alg_not_allowed, "the token's alg does not fit its key", facts);
  }
  if (candidates.empty()) return refuse(Reason::unknown_key, "the token's key is unknown", facts);
  bool signature_ok = std::any_of(candidates.begin(), candidates.end(), [&](const JsonWebKey* k) {
    return k->verify(parsed.alg, parsed.signing_input, parsed.signature);
  });
  if (!signature_ok)
    return refuse(Reason::bad_signature, "the token's signature is invalid", facts);
  VerifyResult result = check_claims(parsed, audience, std::move(facts));
  if (result.ok() && !key.empty()) remember(std::move(key), result);
  return result;
}

VerifyResult JwtVerifier::Impl::check_claims(Parsed& parsed, std::string_view audience,
                                             TokenFacts facts) const {
  const json::object& claims = parsed.payload;
  AuthInfo info;
  auto string_claim = [&](std::string_view key, std::string& out) {
    auto it = claims.find(key);
    if (it == claims.end()) return true;
    if (!it->value().is_string()) return false;
    out = std::string(it->value().get_string());
    return true;
  };
  if (!string_claim("iss", info.issuer) || !string_claim("sub", info.subject) ||
      !string_claim("client_id", info.client_id)) {
    return refuse(Reason::malformed, "a token claim has the wrong type", facts);
  }
  if (info.client_id.empty() && !string_claim("azp", info.client_id)) {
    return refuse(Reason::malformed, "a token claim has the wrong type", facts);
  }
  facts.issuer = info.issuer;
  facts.client_id = info.client_id;
  if (info.issuer != options.issuer) {
    return refuse(Reason::wrong_issuer, "the token was not issued by this server's issuer", facts);
  }

  if (auto aud = claims.find("aud"); aud != claims.end()) {
    auto list = string_or_strings(aud->value(), one_audience);
    if (!list) return refuse(Reason::malformed, "the token's aud is malformed", facts);
    info.audience = std::move(*list);
  }
  if (std::find(info.audience.begin(), info.audience.end(), audience) == info.audience.end()) {
    return refuse(Reason::wrong_audience, "the token was not issued for this resource", facts);
  }

  const double now = static_cast<double>(this->now());
  const double skew = static_cast<double>(options.clock_skew.count());
  std::optional<double> exp, nbf, iat;
  for (auto [key, out] : {std::pair{"exp", &exp}, {"nbf", &nbf}, {"iat", &iat}}) {
    auto it = claims.find(key);
    if (it == claims.end()) continue;
    *out = numeric_date(it->value());
    if (!*out)
      return refuse(Reason::malformed, "the token's " + std::string(key) + " is not a date", facts);
  }
  if (!exp && options.require_exp)
    return refuse(Reason::malformed, "the token has no expiry (exp)", facts);
  if (exp && now - skew >= *exp) return refuse(Reason::expired, "the token has expired", facts);
  if (nbf && now + skew < *nbf)
    return refuse(Reason::not_yet_valid, "the token is not valid yet", facts);
  if (iat && now + skew < *iat)
    return refuse(Reason::not_yet_valid, "the token is issued in the future", facts);
  if (exp) info.expires_at = static_cast<std::int64_t>(*exp);

  if (auto scope = claims.find("scope"); scope != claims.end()) {
    if (!scope->value().is_string())
      return refuse(Reason::malformed, "the token's scope is not a string", facts);
    info.scopes = split_scopes(scope->value().get_string());
  } else if (auto scp = claims.find("scp"); scp != claims.end()) {
    // Some issuers (Entra ID, Okta) write scopes as scp, a string or an array.
    auto list = string_or_strings(scp->value(), split_scopes);
    if (!list) return refuse(Reason::malformed, "the token's scp is malformed", facts);
    info.scopes = std::move(*list);
  }
  info.claims = std::move(parsed.payload);
  return VerifyResult{Reason::valid, {}, std::move(facts), std::move(info)};
}

std::optional<std::string> JwtVerifier::Impl::read_source(std::string* error) const {
  if (!options.jwks.empty()) return options.jwks;
  if (!options.jwks_file.empty()) {
    std::ifstream in(options.jwks_file, std::ios::binary);
    if (!in) {
      *error = "cannot read the JWKS file " + options.jwks_file;
      return std::nullopt;
    }
    std::string text(options.max_jwks_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > options.max_jwks_bytes) {
      *error = "the JWKS file is larger than " + std::to_string(options.max_jwks_bytes) + " bytes";
      return std::nullopt;
    }
    return text;
  }
  try {
    tls::enable();  // https:// needs glassbox_tls (auth links it)
    transport::FetchResponse response = transport::fetch({
        .method = "GET",
        .url = options.jwks_url,
        .headers = {{"Accept", "application/json"}},
        .timeout = options.jwks_timeout,
        .max_response_bytes = options.max_jwks_bytes,
        .verify_peer = options.verify_peer,
        .ca_file = options.ca_file,
    });
    if (response.status != 200) {
      *error = "the JWKS URL answered HTTP " + std::to_string(response.status);
      return std::nullopt;
    }
    return std::move(response.body);
  } catch (const std::exception& e) {
    *error = std::string("the JWKS URL failed: ") + e.what();
    return std::nullopt;
  }
}

bool JwtVerifier::Impl::reload(std::string* error) {
  std::unique_lock lock(mutex);
  if (loading) {
    // Someone else is fetching the same document: its answer is ours.
    loaded.wait(lock, [&] { return !loading; });
    if (error) *error = last_error;
    return last_ok;
  }
  Clock::time_point t = Clock::now();
  if (last_attempt && t - *last_attempt < options.jwks_min_refresh_interval) {
    if (error) *error = last_ok ? std::string() : last_error;
    return last_ok;
  }
  loading = true;
  last_attempt = t;
  ++loads;
  lock.unlock();
  std::string problem;
  std::optional<KeySet> set;
  try {
    if (std::optional<std::string> document = read_source(&problem))
      set = parse_jwks(*document, options.jwks_limits, &problem);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  lock.lock();
  loading = false;
  last_ok = set.has_value();
  if (set) {
    keys = std::make_shared<const KeySet>(std::move(*set));
    loaded_at = t;
    last_error.clear();
  } else {
    last_error = problem;
  }
  loaded.notify_all();
  if (error) *error = last_error;
  return last_ok;
}

JwtVerifier::JwtVerifier(JwtVerifierOptions options) {
  if (options.issuer.empty()) throw std::invalid_argument("JwtVerifier needs an issuer");
  int sources = !options.jwks_url.empty() + !options.jwks_file.empty() + !options.jwks.empty();
  if (sources != 1)
    throw std::invalid_argument("JwtVerifier needs exactly one of jwks_url, jwks_file, jwks");
  impl_ = std::make_unique<Impl>(std::move(options));
}

JwtVerifier::~JwtVerifier() = default;

VerifyResult JwtVerifier::verify(std::string_view token, std::string_view audience) {
  try {
    return *impl_->run(token, audience, true);
  } catch (const std::exception&) {
    return refuse(Reason::malformed, "the token could not be checked");
  }
}

std::optional<VerifyResult> JwtVerifier::try_verify(std::string_view token,
                                                    std::string_view audience) {
  try {
    return impl_->run(token, audience, false);
  } catch (const std::exception&) {
    return refuse(Reason::malformed, "the token could not be checked");
  }
}

bool JwtVerifier::load_keys(std::string* error) {
  return impl_->reload(error);
}

std::size_t JwtVerifier::key_loads() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->loads;
}

}  // namespace glassbox::auth
