#include "mcp/input_required.hpp"

#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/trace/otlp.hpp"

#include <dlfcn.h>
#include <openssl/crypto.h>  // types only: libcrypto is loaded on first use (below)
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace glassbox::mcp {
namespace {

jsonrpc::Error invalid_params(std::string message) {
  return {jsonrpc::error_code::kInvalidParams, std::move(message), nullptr};
}

// OpenSSL's HMAC-SHA-256, from libcrypto loaded on the first seal or check rather than linked:
// a server that never answers input_required (or serves 2025-era clients only) maps no
// libcrypto, about 1.4 MiB resident (docs/benchmarks.md, "Peak RSS").
struct Libcrypto {
  decltype(&::HMAC) hmac = nullptr;
  decltype(&::EVP_sha256) sha256 = nullptr;
  decltype(&::CRYPTO_memcmp) crypto_memcmp = nullptr;  // constant time, written for this
  std::string error;                                   // why it could not be loaded
};

const Libcrypto& libcrypto() {
  static const Libcrypto loaded = [] {
    Libcrypto c;
    // Never closed: the functions stay in use for the life of the process.
    void* handle = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      c.hmac = reinterpret_cast<decltype(&::HMAC)>(::dlsym(handle, "HMAC"));
      c.sha256 = reinterpret_cast<decltype(&::EVP_sha256)>(::dlsym(handle, "EVP_sha256"));
      c.crypto_memcmp =
          reinterpret_cast<decltype(&::CRYPTO_memcmp)>(::dlsym(handle, "CRYPTO_memcmp"));
    }
    if (!c.hmac || !c.sha256 || !c.crypto_memcmp) {
      const char* why = ::dlerror();
      c.error = std::string("requestState needs HMAC-SHA-256 from OpenSSL 3's libcrypto.so.3: ") +
                (why ? why : "HMAC, EVP_sha256 or CRYPTO_memcmp not found");
    }
    return c;
  }();
  return loaded;
}

std::string mac(const RequestStateOptions& options, std::string_view payload) {
  const Libcrypto& crypto = libcrypto();
  if (!crypto.error.empty()) throw std::runtime_error(crypto.error);
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (!crypto.hmac(crypto.sha256(), options.key.data(), static_cast<int>(options.key.size()),
                   reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                   out.data(), &length))
    throw std::runtime_error("requestState: HMAC-SHA-256 failed");
  return trace::base64_encode(std::string_view(reinterpret_cast<const char*>(out.data()), length));
}

// Compares in time independent of where the two differ (the MAC must not leak by timing). The
// MAC's length is public, so a length mismatch may return early. Called after mac(), so libcrypto
// is loaded.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return libcrypto().crypto_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool allows_input_required(std::string_view method) {
  return method == "tools/call" || method == "prompts/get" || method == "resources/read";
}

std::string input_binding(std::string_view method, const json::object& params) {
  std::string_view key = method == "resources/read" ? "uri" : "name";
  const json::string* target = json::find_string(params, key);
  std::string binding = target ? std::string(*target) : std::string();
  // The arguments too: answers given for one call are not answers for another.
  if (const json::object* args = json::find_object(params, "arguments")) {
    binding += '\n';
    binding += json::serialize(json::value(*args));
  }
  return binding;
}

std::string seal_request_state(const RequestStateOptions& options, std::string_view method,
                               std::string_view binding, const json::object& answers) {
  json::object state{{"m", method},
                     {"b", binding},
                     {"e", now_ms() + std::chrono::milliseconds(options.ttl).count()},
                     {"a", answers}};
  std::string payload = trace::base64_encode(json::serialize(json::value(std::move(state))));
  return payload + "." + mac(options, payload);
}

std::variant<json::object, std::string> open_request_state(const RequestStateOptions& options,
                                                           std::string_view method,
                                                           std::string_view binding,
                                                           std::string_view sealed) {
  if (sealed.size() > options.max_bytes) return std::string("requestState is too large");
  std::size_t dot = sealed.rfind('.');
  if (dot == std::string_view::npos) return std::string("requestState is malformed");
  std::string_view payload = sealed.substr(0, dot);
  std::string expected = mac(options, payload);
  std::string_view given = sealed.substr(dot + 1);
  if (!equal_in_constant_time(given, expected)) {
    return std::string("requestState failed its integrity check");
  }
  std::optional<std::string> text = trace::base64_decode(payload);
  if (!text) return std::string("requestState is malformed");
  std::optional<json::value> state = json::parse(*text);
  if (!state) return std::string("requestState is malformed");
  const json::object& s = json::as_object_or_empty(*state);
  const json::string* m = json::find_string(s, "m");
  const json::string* b = json::find_string(s, "b");
  const json::object* a = json::find_object(s, "a");
  auto e = s.find("e");
  if (!m || !b || !a || e == s.end() || !e->value().is_int64())
    return std::string("requestState is malformed");
  if (*m != method || *b != binding) return std::string("requestState belongs to another request");
  if (e->value().get_int64() < now_ms()) return std::string("requestState has expired");
  return *a;
}

std::variant<std::shared_ptr<InputRound>, jsonrpc::Error> begin_input_round(
    const RequestStateOptions& options, std::string_view method, const json::object& params) {
  auto round = std::make_shared<InputRound>();
  round->method = std::string(method);
  if (auto it = params.find(kRequestStateField); it != params.end()) {
    if (!it->value().is_string()) return invalid_params("params.requestState must be a string");
    round->binding = input_binding(method, params);
    auto opened = open_request_state(options, method, *round->binding, it->value().get_string());
    if (opened.index() == 1) return invalid_params(std::get<1>(std::move(opened)));
    round->answers = std::get<0>(std::move(opened));
  }
  if (auto it = params.find(kInputResponsesField); it != params.end()) {
    if (!it->value().is_object()) return invalid_params("params.inputResponses must be an object");
    // This retry's answers win over earlier ones under the same key.
    for (const auto& [key, answer] : it->value().get_object()) round->answers[key] = answer;
  }
  return round;
}

Outcome input_required_result(const RequestStateOptions& options, InputRound& round,
                              const json::object& params) {
  std::lock_guard lock(round.mutex);
  if (!round.binding) round.binding = input_binding(round.method, params);
  json::object result{{kResultTypeField, kResultTypeInputRequired},
                      {kInputRequestsField, round.pending}};
  std::string sealed = seal_request_state(options, round.method, *round.binding, round.used);
  if (sealed.size() > options.max_bytes) {
    return jsonrpc::Error{jsonrpc::error_code::kInternalError,
                          "the answers gathered so far exceed the request state limit of " +
                              std::to_string(options.max_bytes) + " bytes",
                          nullptr};
  }
  result[kRequestStateField] = std::move(sealed);
  return json::value(std::move(result));
}

}  // namespace glassbox::mcp
