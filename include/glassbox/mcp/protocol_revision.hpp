// The two MCP revisions glassbox speaks side by side, and every wire name both sides (server and
// client) share for the second one. A revision is chosen per request, never globally:
//
//   2025-11-25  stateful: initialize handshake, then a session (2025-06-18 and 2025-03-26 are
//               negotiated in this family);
//   2026-07-28  stateless: every request names its version and the client's capabilities in
//               params._meta; server/discover replaces initialize; results carry resultType.
//
// Names are those of the 2026-07-28 schema and the conformance suite 0.2.0-alpha.12 (its
// requirements/2026-07-28.yaml). Pure values: safe from any thread.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace glassbox::mcp {

enum class ProtocolRevision {
  k2025_11_25,  // the initialize/session family (also 2025-06-18, 2025-03-26)
  k2026_07_28,  // stateless, per-request _meta
};

inline constexpr std::string_view kProtocol2025_11_25 = "2025-11-25";
inline constexpr std::string_view kProtocol2026_07_28 = "2026-07-28";

// The stateless versions this build speaks (what server/discover lists first, and what -32022's
// data.supported names beside the session versions).
inline constexpr std::array<std::string_view, 1> kStatelessProtocolVersions = {kProtocol2026_07_28};

// "2025-11-25" / "2026-07-28" exactly; nullopt for anything else (older session versions too:
// see revision_of_version for the family).
std::optional<ProtocolRevision> parse_protocol_revision(std::string_view text) noexcept;
std::string_view to_string(ProtocolRevision revision) noexcept;

// The family a protocol version string belongs to: the session family for 2025-11-25,
// 2025-06-18 and 2025-03-26, the stateless one for 2026-07-28; nullopt when unknown.
std::optional<ProtocolRevision> revision_of_version(std::string_view version) noexcept;

// True for a version served without initialize or session (per-request _meta).
inline bool is_stateless_version(std::string_view version) noexcept {
  return revision_of_version(version) == ProtocolRevision::k2026_07_28;
}

// --- Per-request _meta keys (params._meta of every 2026-07-28 request) ----------------------
inline constexpr std::string_view kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kMetaClientCapabilities =
    "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kMetaLogLevel = "io.modelcontextprotocol/logLevel";
// Result _meta: the server's identity (ResultMetaObject), and on subscriptions/listen the id of
// the request that opened the stream.
inline constexpr std::string_view kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
inline constexpr std::string_view kMetaSubscriptionId = "io.modelcontextprotocol/subscriptionId";

// --- Errors (HTTP status 400 for each) --------------------------------------------------------
// An HTTP header disagrees with the body, or a required header is missing or malformed.
inline constexpr int kHeaderMismatch = -32020;
// The request needs a client capability absent from _meta clientCapabilities;
// data.requiredCapabilities names it.
inline constexpr int kMissingRequiredClientCapability = -32021;
// The request's version is unknown or unsupported; data: {supported: [...], requested: "..."}.
inline constexpr int kUnsupportedProtocolVersion = -32022;

// --- Results ----------------------------------------------------------------------------------
inline constexpr std::string_view kResultTypeField = "resultType";
inline constexpr std::string_view kResultTypeComplete = "complete";
inline constexpr std::string_view kResultTypeInputRequired = "input_required";
inline constexpr std::string_view kResultTypeTask = "task";  // tasks extension (SEP-2663)

// Multi round-trip requests (InputRequiredResult, and the retried request's params).
inline constexpr std::string_view kInputRequestsField = "inputRequests";
inline constexpr std::string_view kInputResponsesField = "inputResponses";
inline constexpr std::string_view kRequestStateField = "requestState";

// Caching (CacheableResult: server/discover, the list methods, resources/read).
inline constexpr std::string_view kTtlMsField = "ttlMs";
inline constexpr std::string_view kCacheScopeField = "cacheScope";
inline constexpr std::string_view kCacheScopePublic = "public";
inline constexpr std::string_view kCacheScopePrivate = "private";

// --- Methods new in 2026-07-28 ----------------------------------------------------------------
inline constexpr std::string_view kMethodServerDiscover = "server/discover";
inline constexpr std::string_view kMethodSubscriptionsListen = "subscriptions/listen";
inline constexpr std::string_view kNotificationSubscriptionsAcknowledged =
    "notifications/subscriptions/acknowledged";

// --- HTTP headers (compare case-insensitively) ------------------------------------------------
inline constexpr std::string_view kHeaderProtocolVersion = "MCP-Protocol-Version";
inline constexpr std::string_view kHeaderMethod = "Mcp-Method";
inline constexpr std::string_view kHeaderName = "Mcp-Name";
// Prefix of the custom headers a tool declares for its arguments (Mcp-Param-<Name>).
inline constexpr std::string_view kHeaderParamPrefix = "Mcp-Param-";
inline constexpr std::string_view kHeaderSessionId = "Mcp-Session-Id";  // 2025-11-25 only
// The inputSchema property annotation naming the Mcp-Param-<Name> header that mirrors an argument;
// a value that is not plain ASCII travels as "=?base64?<Base64>?=".
inline constexpr std::string_view kXMcpHeaderAnnotation = "x-mcp-header";
inline constexpr std::string_view kHeaderBase64Prefix = "=?base64?";
inline constexpr std::string_view kHeaderBase64Suffix = "?=";

// --- Extensions (capabilities.extensions map, keyed by identifier) ----------------------------
inline constexpr std::string_view kExtensionsField = "extensions";
// SEP-2448 passback in its extension form.
inline constexpr std::string_view kServerExecutionTelemetryExtension =
    "io.modelcontextprotocol/server-execution-telemetry";

}  // namespace glassbox::mcp
