// The terminal waterfall: tree, services, bars scaled to the call, errors, colour only when asked.
#include "cli_telemetry.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace glassbox::cli {
namespace {

trace::SpanData span(std::string name, trace::SpanKind kind, const trace::TraceId& trace_id,
                     const trace::SpanId& parent, std::uint64_t start_ms,
                     std::uint64_t duration_ms) {
  trace::SpanData s;
  s.name = std::move(name);
  s.kind = kind;
  s.trace_id = trace_id;
  s.span_id = trace::generate_span_id();
  s.parent_span_id = parent;
  s.start_time_unix_nano = 1'710'000'000'000'000'000ULL + start_ms * 1'000'000;
  s.end_time_unix_nano = s.start_time_unix_nano + duration_ms * 1'000'000;
  return s;
}

mcp::StitchedTrace stitched() {
  mcp::StitchedTrace t;
  trace::TraceId id = trace::generate_trace_id();
  t.client_span = span("tools/call search_tickets", trace::SpanKind::client, id, {}, 0, 100);
  t.client_resource.set("service.name", "support-agent");
  trace::SpanData root =
      span("tools/call search_tickets", trace::SpanKind::server, id, t.client_span.span_id, 2, 95);
  trace::SpanData auth = span("auth.validate", trace::SpanKind::internal, id, root.span_id, 3, 5);
  trace::SpanData crm =
      span("crm.lookup_customer", trace::SpanKind::client, id, root.span_id, 10, 50);
  crm.status_code = trace::StatusCode::error;
  crm.status_message = "upstream returned 503";
  trace::SpanData jwks =
      span("auth.jwks.lookup", trace::SpanKind::internal, id, auth.span_id, 4, 2);
  trace::Resource acme;
  acme.set("service.name", "acme-helpdesk");
  t.server_spans.push_back({acme, {{{}, {root, crm, auth, jwks}, {}}}, {}});
  t.report = {.requested = true, .present = true, .accepted_span_count = 4};
  t.report.server_policy = {{"detailed", true}, {"redactedAttributeCount", 2}};
  return t;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

TEST(Waterfall, TreeWithServicesBarsAndErrors) {
  std::string text = render_waterfall(stitched(), {.colour = false, .width = 120});
  auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 7u) << text;
  EXPECT_NE(lines[0].find("trace "), std::string::npos);
  EXPECT_NE(lines[0].find("100.0 ms"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("tools/call search_tickets"), std::string::npos);
  EXPECT_NE(lines[1].find("support-agent"), std::string::npos);
  EXPECT_NE(lines[2].find("└─ tools/call search_tickets"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("acme-helpdesk"), std::string::npos);
  // Children by start time, the grandchild indented under its parent.
  EXPECT_NE(lines[3].find("   ├─ auth.validate"), std::string::npos) << text;
  EXPECT_NE(lines[4].find("   │  └─ auth.jwks.lookup"), std::string::npos) << text;
  EXPECT_NE(lines[5].find("   └─ crm.lookup_customer"), std::string::npos) << text;
  EXPECT_NE(lines[5].find("✗ upstream returned 503"), std::string::npos);
  EXPECT_NE(lines[6].find("4 server spans"), std::string::npos) << lines[6];
  EXPECT_NE(lines[6].find("2 attributes redacted"), std::string::npos) << lines[6];
  // The client's bar spans the whole line; crm's starts a tenth of the way and is half as long.
  auto bar = [](const std::string& line) {  // (column where the bar starts, its length)
    std::size_t first = line.find("█");
    std::size_t column = 0;
    for (std::size_t i = 0; i < first; ++i)
      column += (static_cast<unsigned char>(line[i]) & 0xc0) != 0x80;
    std::size_t count = 0;
    for (std::size_t i = first; i != std::string::npos && line.compare(i, 3, "█") == 0; i += 3)
      ++count;
    return std::make_pair(column, count);
  };
  auto [client_at, client_len] = bar(lines[1]);
  auto [crm_at, crm_len] = bar(lines[5]);
  EXPECT_GT(client_len, 20u);
  EXPECT_NEAR(static_cast<double>(crm_len), client_len * 0.5, 2.0);
  EXPECT_NEAR(static_cast<double>(crm_at - client_at), client_len * 0.1, 2.0);
  EXPECT_EQ(text.find("\x1b["), std::string::npos);  // no colour unless asked
}

TEST(Waterfall, ColourWhenAskedAndReportsWhatPassbackDid) {
  mcp::StitchedTrace t = stitched();
  std::string coloured = render_waterfall(t, {.colour = true});
  EXPECT_NE(coloured.find("\x1b[31;1m"), std::string::npos);  // the error in red

  mcp::StitchedTrace black_box;
  black_box.client_span = t.client_span;
  std::string text = render_waterfall(black_box);
  EXPECT_NE(text.find("black box"), std::string::npos) << text;

  mcp::StitchedTrace discarded = black_box;
  discarded.report = {.requested = true,
                      .present = true,
                      .discarded = true,
                      .reason = "passback has more than 1000 spans"};
  EXPECT_NE(render_waterfall(discarded).find("discarded: passback has more than 1000 spans"),
            std::string::npos);
}

TEST(Waterfall, ReportsWhatAServerWithoutAPolicyReportWithheld) {
  // Arcade MCP sends droppedSpanCount beside resourceSpans and no policy (docs/arcade.md).
  mcp::StitchedTrace t = stitched();
  t.report.server_policy = {};
  t.report.server_dropped_span_count = 3;
  std::string text = render_waterfall(t);
  EXPECT_NE(text.find("passback: 4 server spans stitched under the client span, 3 withheld by "
                      "the server\n"),
            std::string::npos)
      << text;
  t.report.server_dropped_span_count = 0;
  EXPECT_EQ(render_waterfall(t).find("withheld"), std::string::npos);
}

TEST(Waterfall, NoColourUnderNoColorOrWithoutATerminal) {
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(colour_enabled(1));
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(colour_enabled(-1));  // not a terminal
}

}  // namespace
}  // namespace glassbox::cli
