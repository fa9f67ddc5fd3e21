// Base64 (RFC 4648), the one implementation for the whole tree (private to the library; tests may
// include it): standard alphabet with padding (OTLP JSON bytesValue, HTTP Basic credentials) and
// URL-safe alphabet without padding (JWTs, JWKs, PKCE).
// Pure functions: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace glassbox::json {

// Standard alphabet, padded.
std::string base64_encode(std::string_view bytes);
// URL-safe alphabet, unpadded (RFC 4648 section 5, as JWTs use it).
std::string base64url_encode(std::string_view bytes);

// Lenient, as the protobuf JSON mapping reads: the standard or the URL-safe alphabet, padding
// optional (but right when present), no whitespace. nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text);
// Strict: the URL-safe alphabet only, no padding, no impossible length (4n+1), and leftover
// bits zero (so that one byte string has one encoding). nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace glassbox::json
