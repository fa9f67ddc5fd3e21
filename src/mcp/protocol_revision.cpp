#include "glassbox/mcp/protocol_revision.hpp"

namespace glassbox::mcp {

std::optional<ProtocolRevision> parse_protocol_revision(std::string_view text) noexcept {
  if (text == kProtocol2025_11_25) return ProtocolRevision::k2025_11_25;
  if (text == kProtocol2026_07_28) return ProtocolRevision::k2026_07_28;
  return std::nullopt;
}

std::string_view to_string(ProtocolRevision revision) noexcept {
  return revision == ProtocolRevision::k2026_07_28 ? kProtocol2026_07_28 : kProtocol2025_11_25;
}

std::optional<ProtocolRevision> revision_of_version(std::string_view version) noexcept {
  if (version == kProtocol2026_07_28) return ProtocolRevision::k2026_07_28;
  if (version == kProtocol2025_11_25 || version == "2025-06-18" || version == "2025-03-26") {
    return ProtocolRevision::k2025_11_25;
  }
  return std::nullopt;
}

}  // namespace glassbox::mcp
