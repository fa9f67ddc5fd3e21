// The shared names of the two revisions: parsing, printing, and the version families.
#include "glassbox/mcp/protocol_revision.hpp"

#include <gtest/gtest.h>

namespace glassbox::mcp {
namespace {

TEST(ProtocolRevision, ParsesAndPrintsBothRevisionsExactly) {
  EXPECT_EQ(parse_protocol_revision("2025-11-25"), ProtocolRevision::k2025_11_25);
  EXPECT_EQ(parse_protocol_revision("2026-07-28"), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(to_string(ProtocolRevision::k2025_11_25), "2025-11-25");
  EXPECT_EQ(to_string(ProtocolRevision::k2026_07_28), "2026-07-28");
  EXPECT_EQ(parse_protocol_revision("2025-06-18"), std::nullopt);
  EXPECT_EQ(parse_protocol_revision("2026-07-28 "), std::nullopt);
  EXPECT_EQ(parse_protocol_revision(""), std::nullopt);
}

TEST(ProtocolRevision, OlderSessionVersionsBelongToTheSessionFamily) {
  EXPECT_EQ(revision_of_version("2025-06-18"), ProtocolRevision::k2025_11_25);
  EXPECT_EQ(revision_of_version("2025-03-26"), ProtocolRevision::k2025_11_25);
  EXPECT_EQ(revision_of_version("2024-11-05"), std::nullopt);
  EXPECT_EQ(revision_of_version("DRAFT-2026-v1"), std::nullopt);
  EXPECT_TRUE(is_stateless_version("2026-07-28"));
  EXPECT_FALSE(is_stateless_version("2025-11-25"));
}

}  // namespace
}  // namespace glassbox::mcp
