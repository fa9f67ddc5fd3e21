// Bad-input catalogue (docs/bad-input.md), redaction rows B103-B104 (S11): secrets a tool puts
// in span names and attribute values, read from the passback on the wire of a real stdio server.
#include "hardening/bad_input_util.hpp"

namespace glassbox::hardening {
namespace {

std::string call_line(int id, const std::string& tool) {
  json::object request{
      {"jsonrpc", "2.0"},
      {"id", id},
      {"method", "tools/call"},
      {"params", {{"name", tool}, {"_meta", {{"otel", {{"traces", {{"request", true}}}}}}}}}};
  return json::serialize(request);
}

std::string string_attribute(const json::object& span, std::string_view key) {
  const json::array* attributes = json::find_array(span, "attributes");
  for (const auto& a : attributes ? *attributes : json::array{}) {
    if (a.at("key").as_string() == key)
      return std::string(a.at("value").at("stringValue").as_string());
  }
  return "<missing>";
}

// The span whose name starts with `prefix` (the passback's order is not the tree's).
json::object span_named(const std::vector<json::object>& spans, std::string_view prefix) {
  for (const auto& s : spans) {
    if (s.at("name").as_string().starts_with(prefix)) return s;
  }
  ADD_FAILURE() << "no span named " << prefix << "...";
  return {};
}

// Each shape that passed in clear before, and what leaves now: a URL or a key=value loses only
// its secret part; a credential that is the whole value goes whole.
const std::vector<std::pair<std::string, std::string>> kShapes = {
    {"login failed: password=hunter2 (retrying)", "login failed: password=[REDACTED] (retrying)"},
    {"postgres://admin:secret@db:5432/app", "postgres://admin:[REDACTED]@db:5432/app"},
    {"GET https://admin:pw@host/path", "GET https://admin:[REDACTED]@host/path"},
    {"https://api.example.com/v1/items?access_token=abc123def&page=2",
     "https://api.example.com/v1/items?access_token=[REDACTED]&page=2"},
    {"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA+/==;"
     "EndpointSuffix=core.windows.net",
     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];"
     "EndpointSuffix=core.windows.net"},
    {"npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "[REDACTED]"},
    {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "[REDACTED]"},
    {"api_key: 123e4567-e89b-12d3-a456-426614174000", "api_key: [REDACTED]"},
    {R"({"password": "hunter2", "user": "ann"})", R"({"password": "[REDACTED]", "user": "ann"})"},
    // Not secrets: left alone.
    {"https://example.com/search?q=token&page=2", "https://example.com/search?q=token&page=2"},
    {"mail ann@example.com at 10:30", "mail ann@example.com at 10:30"},
    {"commit 3f786850e387550fdab836ed7e6dc881de23001b",
     "commit 3f786850e387550fdab836ed7e6dc881de23001b"},
    {"max_tokens=100", "max_tokens=100"},
};

}  // namespace

TEST(Redaction, B103_ASpanNameIsCheckedWithTheValueRules) {  // covers S11
  StdioWire wire;
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
      "XgL0n3I9PlFUP0THsR8U";
  // An unknown tool still gets its SERVER span, named after the tool.
  json::object answer = wire.call(call_line(103, "Bearer " + jwt));
  const json::object* traces = passback_of(answer);
  ASSERT_NE(traces, nullptr) << json::serialize(answer);
  EXPECT_EQ(json::serialize(*traces).find(jwt.substr(0, 20)), std::string::npos)
      << json::serialize(*traces);
  std::vector<json::object> spans = spans_of(*traces);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].at("name"), "[REDACTED]");
  EXPECT_EQ(string_attribute(spans[0], "gen_ai.tool.name"), "[REDACTED]");
  // A name with a secret part loses that part only.
  wire.server().add_tool({.name = "connect"}, [](const json::object&, mcp::RequestContext& ctx) {
    trace::Span span = ctx.span("connect postgres://admin:secret@db:5432/app");
    return mcp::CallToolResult::text("connected");
  });
  std::vector<json::object> named = spans_of(*passback_of(wire.call(call_line(104, "connect"))));
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(span_named(named, "connect ").at("name"),
            "connect postgres://admin:[REDACTED]@db:5432/app");
  wire.expect_alive();
}

TEST(Redaction, B104_SecretsInsideValuesAreMaskedEachShape) {  // covers S11
  StdioWire wire;
  wire.server().add_tool({.name = "leaky"}, [](const json::object&, mcp::RequestContext& ctx) {
    trace::Span span = ctx.span("stage");
    for (std::size_t i = 0; i < kShapes.size(); ++i)
      span.set_attribute("note." + std::to_string(i), kShapes[i].first);
    return mcp::CallToolResult::text("leaked?");
  });
  json::object answer = wire.call(call_line(105, "leaky"));
  const json::object* traces = passback_of(answer);
  ASSERT_NE(traces, nullptr) << json::serialize(answer);
  std::vector<json::object> spans = spans_of(*traces);
  ASSERT_EQ(spans.size(), 2u);
  json::object stage = span_named(spans, "stage");
  for (std::size_t i = 0; i < kShapes.size(); ++i) {
    EXPECT_EQ(string_attribute(stage, "note." + std::to_string(i)), kShapes[i].second)
        << kShapes[i].first;
  }
  // Nine shapes masked or redacted, counted in the policy report.
  EXPECT_EQ(traces->at("policy").at("redactedAttributeCount").as_int64(), 9);
  wire.expect_alive();
}

}  // namespace glassbox::hardening
