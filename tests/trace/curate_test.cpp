// Passback curation: top level or whole tree (S6), redaction (S11), bounds (S12), the policy
// report (S15), OTLP JSON output (S7, S8).
#include "glassbox/trace/curate.hpp"

#include "glassbox/trace/otlp.hpp"
#include "glassbox/trace/tracer.hpp"
#include "json/spare_text.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace glassbox::trace {
namespace {

// root -> a -> a1 -> a11, root -> b; plus a stray span of another tree.
struct Tree {
  TraceId trace = generate_trace_id();
  std::vector<SpanData> spans;
  SpanId root, a, a1, a11, b, stray;

  SpanData& add(std::string name, SpanId parent, std::uint64_t start) {
    SpanData s;
    s.name = std::move(name);
    s.trace_id = trace;
    s.span_id = generate_span_id();
    s.parent_span_id = parent;
    s.start_time_unix_nano = start;
    s.end_time_unix_nano = start + 10;
    spans.push_back(s);
    return spans.back();
  }
  Tree() {
    root = add("root", SpanId(), 100).span_id;
    a = add("a", root, 110).span_id;
    a1 = add("a1", a, 120).span_id;
    a11 = add("a11", a1, 130).span_id;
    b = add("b", root, 140).span_id;
    stray = add("stray", generate_span_id(), 150).span_id;
  }
};

std::vector<std::string> names(const json::object& payload) {
  std::vector<std::string> out;
  std::string error;
  auto decoded = decode_otlp_json(json::value(payload), {}, &error);
  EXPECT_TRUE(decoded) << error;
  if (!decoded) return out;
  for (const auto& s : decoded->resource_spans.at(0).scope_spans.at(0).spans) out.push_back(s.name);
  return out;
}

const SpanData& only_span(const json::object& payload) {
  static SpanData kept;
  auto decoded = decode_otlp_json(json::value(payload));
  kept = decoded->resource_spans.at(0).scope_spans.at(0).spans.at(0);
  return kept;
}

Resource resource() {
  return Resource{}.set("service.name", "mail-server").set("service.version", "1.0");
}

// The spans of the whole tree under t.root as they leave (detailed), read back.
std::vector<SpanData> curate_whole_tree(const Tree& t, CurationReport& report) {
  json::object payload =
      curate_to_otlp_json(t.spans, t.root, resource(), {}, {.detailed = true}, &report);
  auto decoded = decode_otlp_json(json::value(payload));
  EXPECT_TRUE(decoded);
  if (!decoded) return {};
  return decoded->resource_spans.at(0).scope_spans.at(0).spans;
}

// covers S6, S15
TEST(CurateTest, TopLevelByDefault) {
  Tree t;
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), {}, {}, &report);
  EXPECT_EQ(names(payload), (std::vector<std::string>{"root", "a", "b"}));
  EXPECT_FALSE(report.detailed);
  EXPECT_EQ(report.dropped_span_count, 3u);  // a1, a11, stray
  EXPECT_EQ(report.filtered_span_count, 2u);
  EXPECT_EQ(
      json::serialize(report.to_json())
          .find(
              R"({"detailed":false,"droppedSpanCount":3,"redactedAttributeCount":0,"truncatedAttributeCount":0,"reason":)"),
      0u);
}

// covers S15: the report written as text (the passback response's) is the tree's text, with and
// without a reason, whatever the reason holds
TEST(CurateTest, PolicyReportTextIsTheTreesText) {
  std::vector<CurationReport> reports(4);
  reports[1] = {.detailed = true,
                .dropped_span_count = 12345678901234ull,
                .redacted_attribute_count = 7,
                .truncated_attribute_count = 1};
  reports[2].reason = "byte limit 65536; \"quoted\" \\ \n\t\x01 é";
  reports[3] = {.detailed = false,  // the longest members: every count at its widest
                .dropped_span_count = SIZE_MAX,
                .redacted_attribute_count = SIZE_MAX,
                .truncated_attribute_count = SIZE_MAX};
  for (const CurationReport& report : reports) {
    std::string text = "prefix";
    report.append_json(text);
    EXPECT_EQ(text, "prefix" + json::serialize(report.to_json()));
  }
}

// covers S6
TEST(CurateTest, DetailedReturnsWholeTree) {
  Tree t;
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), {}, {.detailed = true}, &report);
  EXPECT_EQ(names(payload), (std::vector<std::string>{"root", "a", "b", "a1", "a11"}));
  EXPECT_TRUE(report.detailed);
  EXPECT_EQ(report.dropped_span_count, 1u);  // the stray one
}

// covers S6, S15
TEST(CurateTest, DetailedForbiddenByPolicySaysSo) {
  Tree t;
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), {},
                                     {.detailed = true, .allow_detailed = false}, &report);
  EXPECT_EQ(names(payload).size(), 3u);
  EXPECT_FALSE(report.detailed);
  EXPECT_NE(report.reason.find("policy"), std::string::npos);
  EXPECT_EQ(report.to_json().at("reason").as_string().find("detailed passback is disabled"), 0u);
}

// covers S7, S8
TEST(CurateTest, OutputIsOtlpJsonWithResourceAndScope) {
  Tree t;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), InstrumentationScope{}, {});
  const auto& rs = payload.at("resourceSpans").as_array().at(0).as_object();
  EXPECT_EQ(
      json::serialize(rs.at("resource")),
      R"({"attributes":[{"key":"service.name","value":{"stringValue":"mail-server"}},{"key":"service.version","value":{"stringValue":"1.0"}}]})");
  const auto& ss = rs.at("scopeSpans").as_array().at(0).as_object();
  EXPECT_EQ(json::serialize(ss.at("scope")), R"({"name":"glassbox","version":"0.1.0"})");
  const auto& root = ss.at("spans").as_array().at(0).as_object();
  EXPECT_EQ(root.at("traceId").as_string(), t.trace.to_hex());
  EXPECT_TRUE(root.at("startTimeUnixNano").is_string());
}

TEST(CurateTest, MissingRootUsesTopLevelSpans) {
  Tree t;
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, generate_span_id(), resource(), {}, {}, &report);
  EXPECT_FALSE(report.root_found);
  auto n = names(payload);
  EXPECT_EQ(std::set<std::string>(n.begin(), n.end()),
            (std::set<std::string>{"root", "a", "b", "stray"}));
}

TEST(CurateTest, CyclesAreOutsideTheTree) {
  Tree t;
  t.spans[2].parent_span_id = t.a11;  // a1 <-> a11
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), {}, {.detailed = true}, &report);
  EXPECT_EQ(names(payload), (std::vector<std::string>{"root", "a", "b"}));
}

// covers S6, S12: the tree reads the same for a few spans (parents looked through in turn),
// more than 16 (parents found in a sorted index) and more than 64 (the depths and order off the
// stack): a cycle and a stray are outside, a parent id two spans share is the first one's, the
// root may come last, and children come out by depth, then start time.
TEST(CurateTest, TreeIsTheSameAtEverySize) {
  for (int extra : {0, 20, 100}) {
    Tree t;
    t.spans[2].parent_span_id = t.a11;     // a1 <-> a11: a cycle, outside
    t.add("twin", t.b, 90).span_id = t.b;  // b's id again: a child of the first b, not itself
    t.add("under b", t.b, 95);             // a child of the first b too
    for (int i = 0; i < extra; ++i) t.add("late", t.root, 1000 - static_cast<std::uint64_t>(i));
    std::swap(t.spans.front(), t.spans.back());  // the root last
    CurationReport report;
    auto payload =
        curate_to_otlp_json(t.spans, t.root, resource(), {}, {.detailed = true}, &report);
    // Depth 1 by start time: a (110), b (140), the late ones (from 1001 - extra); depth 2.
    std::vector<std::string> expected = {"root", "a", "b"};
    for (int i = 0; i < extra; ++i) expected.push_back("late");
    expected.insert(expected.end(), {"twin", "under b"});
    EXPECT_EQ(names(payload), expected) << extra;
    EXPECT_EQ(report.kept_span_count, expected.size()) << extra;
    EXPECT_EQ(report.dropped_span_count, 3u) << extra;  // a1, a11, stray
    EXPECT_NE(report.reason.find("outside"), std::string::npos) << extra;
  }
}

SpanData span_with(Attributes attributes) {
  SpanData s;
  s.name = "root";
  s.trace_id = generate_trace_id();
  s.span_id = generate_span_id();
  s.attributes = std::move(attributes);
  return s;
}

const AttributeValue& attr(const SpanData& s, std::string_view key) {
  const AttributeValue* v = find_attribute(s.attributes, key);
  EXPECT_NE(v, nullptr) << key;
  static AttributeValue none;
  return v ? *v : none;
}

std::string str(const SpanData& s, std::string_view key) {
  const std::string* v = attr(s, key).if_string();
  return v ? *v : "<not a string>";
}

// covers S11: default rules on keys and values
TEST(CurateTest, RedactsCredentialsByDefault) {
  SpanData s = span_with({
      {"http.request.header.authorization", "whatever"},
      {"http.request.header.cookie", "a=b"},
      {"http.response.header.set-cookie", "sid=1"},
      {"user.password", "hunter2"},
      {"db.passwd", 1234},
      {"client_secret", "x"},
      {"X-Api-Key", "k"},
      {"openaiApiKey", "k"},
      {"accessToken", "t"},
      {"refresh_token", "t"},
      {"private_key", "k"},
      {"aws.credentials", "c"},
      {"note", "sent Authorization: Bearer abcdefgh12345678 upstream"},
      {"basic", "Basic dXNlcjpwYXNzd29yZA=="},
      {"jwt",
       "token "
       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
       "XgL0n3I9PlFUP0THsR8U"},
      {"openai", "sk-proj-abcdefghijklmnopqrstuvwxyz012345"},
      {"aws", "AKIAIOSFODNN7EXAMPLE"},
      {"github", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
      {"pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIB...\n-----END RSA PRIVATE KEY-----"},
      {"list", ArrayValue{{"fine", "Bearer abcdefgh12345678"}}},
      {"map", KvlistValue{{{"password", "p"}, {"ok", "v"}}}},
      // Must survive:
      {"gen_ai.usage.input_tokens", 12},
      {"gen_ai.request.max_tokens", 100},
      {"http.route", "/users/{id}"},
      {"message", "a basic example of bearer tokens"},
      {"basic_auth_enabled", true},
      {"skill", "sk-short"},
      {"description", "Basic configuration done"},
  });
  CurationReport report;
  CurationOptions options{.detailed = true};
  const SpanData& out =
      only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, options, &report));
  for (const char* key :
       {"http.request.header.authorization", "http.request.header.cookie",
        "http.response.header.set-cookie", "user.password", "db.passwd", "client_secret",
        "X-Api-Key", "openaiApiKey", "accessToken", "refresh_token", "private_key",
        "aws.credentials", "note", "basic", "jwt", "openai", "aws", "github", "pem"}) {
    EXPECT_EQ(str(out, key), "[REDACTED]") << key;
  }
  const auto& list = attr(out, "list").if_array()->values;
  EXPECT_EQ(*list[0].if_string(), "fine");
  EXPECT_EQ(*list[1].if_string(), "[REDACTED]");
  const auto& map = attr(out, "map").if_kvlist()->values;
  EXPECT_EQ(*map[0].value.if_string(), "[REDACTED]");
  EXPECT_EQ(*map[1].value.if_string(), "v");
  EXPECT_EQ(*attr(out, "gen_ai.usage.input_tokens").if_int(), 12);
  EXPECT_EQ(*attr(out, "gen_ai.request.max_tokens").if_int(), 100);
  EXPECT_EQ(str(out, "http.route"), "/users/{id}");
  EXPECT_EQ(str(out, "message"), "a basic example of bearer tokens");
  EXPECT_EQ(*attr(out, "basic_auth_enabled").if_bool(), true);
  EXPECT_EQ(str(out, "skill"), "sk-short");
  EXPECT_EQ(str(out, "description"), "Basic configuration done");
  EXPECT_EQ(report.redacted_attribute_count, 21u);
}

// covers S11: curation remembers the last clean texts and the last key's verdict (siblings
// repeat them); a secret next to, between or after them is still redacted every time, at the
// 31 and 32 bytes around what it remembers, and a repeated masked text is masked each time.
TEST(CurateTest, RepeatedTextsAreJudgedEachTime) {
  Tree t;
  t.spans.resize(1);                                            // the root alone
  const std::string jwt31 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.x";  // 31 bytes, a JWT
  const std::string jwt32 = jwt31 + "y";
  ASSERT_EQ(jwt31.size(), 31u);
  const std::string clean31 = "eyJhbGciOiJIUzI1NiJ9-eyJzdWIi-x";  // the same size, no JWT
  const std::vector<std::string> names = {"echo.stage", "echo.stage", clean31, jwt31, "echo.stage",
                                          jwt32,        jwt31,        clean31, jwt31, "echo.stage"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    SpanData& s = t.add(names[i], t.root, 200 + i);
    s.attributes = {{"stage.index", static_cast<std::int64_t>(i)},
                    {i % 2 ? "password" : "stage.note", "db postgres://admin:pw@db"},
                    {"stage.index", "Bearer abcdefgh12345678"}};
  }
  CurationReport report;
  const std::vector<SpanData> out = curate_whole_tree(t, report);
  ASSERT_EQ(out.size(), names.size() + 1);
  for (std::size_t i = 1; i < out.size(); ++i) {
    const std::string& name = names[i - 1];
    EXPECT_EQ(out[i].name, name == jwt31 || name == jwt32 ? "[REDACTED]" : name) << i;
    ASSERT_EQ(out[i].attributes.size(), 3u);
    EXPECT_EQ(*out[i].attributes[0].value.if_int(), static_cast<std::int64_t>(i - 1));
    EXPECT_EQ(*out[i].attributes[1].value.if_string(),
              i % 2 ? "db postgres://admin:[REDACTED]@db" : "[REDACTED]")
        << i;
    EXPECT_EQ(*out[i].attributes[2].value.if_string(), "[REDACTED]") << i;
  }
}

// covers S11: spans in a row with the same name and keys (a loop's) come out as each would
// alone, and are counted alike, whatever the rules did to the one before: kept, redacted (here
// into a replacement the rules deny again), masked or cut.
TEST(CurateTest, NamesAndKeysRepeatedInARowComeOutAsEachAlone) {
  const std::string bearer = "Bearer abcdefgh12345678";
  const std::vector<std::string> names = {"echo.stage",
                                          "echo.stage",
                                          bearer,
                                          bearer,
                                          "db postgres://admin:pw@db",
                                          "db postgres://admin:pw@db",
                                          std::string(40, 'n'),
                                          std::string(40, 'n'),
                                          "echo.stage"};
  CurationOptions options{.detailed = true, .max_attribute_value_length = 32};
  options.redaction.replacement = bearer;
  auto add_child = [&](Tree& t, std::size_t i) {
    t.add(names[i], t.root, 200 + i).attributes = {{i % 4 < 2 ? "password" : "stage.note", "x"},
                                                   {"stage.index", static_cast<std::int64_t>(i)}};
  };
  auto curate = [&](const Tree& t, CurationReport& report) {
    std::string text =
        curate_to_otlp_json_string(t.spans, t.root, resource(), {}, options, &report);
    auto decoded = decode_otlp_json(*json::parse(text));
    EXPECT_TRUE(decoded) << text;
    return decoded ? decoded->resource_spans.at(0).scope_spans.at(0).spans
                   : std::vector<SpanData>{};
  };
  Tree together;
  together.spans.resize(1);  // the root alone
  for (std::size_t i = 0; i < names.size(); ++i) add_child(together, i);
  CurationReport report;
  const std::vector<SpanData> out = curate(together, report);
  ASSERT_EQ(out.size(), names.size() + 1);
  std::size_t redacted = 0, truncated = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    Tree alone;
    alone.spans.resize(1);
    add_child(alone, i);
    CurationReport alone_report;
    const std::vector<SpanData> one = curate(alone, alone_report);
    ASSERT_EQ(one.size(), 2u);
    EXPECT_EQ(out[i + 1].name, one[1].name) << i;
    EXPECT_EQ(out[i + 1].attributes, one[1].attributes) << i;
    redacted += alone_report.redacted_attribute_count;
    truncated += alone_report.truncated_attribute_count;
  }
  EXPECT_EQ(report.redacted_attribute_count, redacted);
  EXPECT_EQ(report.truncated_attribute_count, truncated);
  EXPECT_EQ(out[3].name, bearer);
  EXPECT_EQ(out[5].name, ("db postgres://admin:" + bearer).substr(0, 32));
  EXPECT_EQ(out[7].name.size(), 32u);
}

// covers S11: texts shorter than any credential (under 10 bytes) are not looked up in the
// remembered verdicts, yet a secret after a key in them is still masked, a span name among them
// too, and the shortest credential (10 bytes) is still redacted whole.
TEST(CurateTest, ShortTextsAreStillMasked) {
  Tree t;
  t.spans.resize(1);
  for (int round = 0; round < 2; ++round) {
    SpanData& s = t.add("pwd=abc", t.root, 200 + round);
    s.attributes = {{"note", "pwd=1"},      {"id", "1"},
                    {"pair", "a=b"},        {"url", "x://u:p@h"},
                    {"auth", "Basic YTpi"}, {"short", "Basic YTp"}};
  }
  CurationReport report;
  const std::vector<SpanData> out = curate_whole_tree(t, report);
  ASSERT_EQ(out.size(), 3u);
  for (std::size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].name, "pwd=[REDACTED]");
    ASSERT_EQ(out[i].attributes.size(), 6u);
    EXPECT_EQ(*out[i].attributes[0].value.if_string(), "pwd=[REDACTED]");
    EXPECT_EQ(*out[i].attributes[1].value.if_string(), "1");
    EXPECT_EQ(*out[i].attributes[2].value.if_string(), "a=b");
    EXPECT_EQ(*out[i].attributes[3].value.if_string(), "x://u:[REDACTED]@h");
    EXPECT_EQ(*out[i].attributes[4].value.if_string(), "[REDACTED]");  // "a:b", 10 bytes
    EXPECT_EQ(*out[i].attributes[5].value.if_string(), "Basic YTp");
  }
  EXPECT_EQ(report.redacted_attribute_count, 8u);
}

// covers S11: events, links and the status message are redacted too
TEST(CurateTest, RedactsEventsLinksAndStatus) {
  SpanData s = span_with({});
  s.events.push_back(
      {"exception", 1, {{"exception.message", "bad header Bearer abcdefgh12345678"}}, 0});
  s.links.push_back(
      {SpanContext{generate_trace_id(), generate_span_id(), 0, "", true}, {{"token", "t"}}, 0});
  s.status_code = StatusCode::error;
  s.status_message = "auth failed for sk-ant-api03-abcdefghijklmnopqrstuvwxyz";
  CurationReport report;
  const SpanData& out = only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, {}, &report));
  EXPECT_EQ(*out.events[0].attributes[0].value.if_string(), "[REDACTED]");
  EXPECT_EQ(*out.links[0].attributes[0].value.if_string(), "[REDACTED]");
  EXPECT_EQ(out.status_message, "[REDACTED]");
  EXPECT_EQ(report.redacted_attribute_count, 3u);
}

// covers S11: owner deny rules
TEST(CurateTest, OwnerDenyRules) {
  SpanData s = span_with({{"db.statement", "SELECT 1"},
                          {"customer.ssn", "123-45-6789"},
                          {"note", "ticket INTERNAL-42"},
                          {"passwordless", "yes"},
                          {"keep", "x"}});
  CurationOptions options{.redaction = {.deny_keys = {"db statement", "ssn", "passw*"},
                                        .deny_values = {std::regex("INTERNAL-[0-9]+")}}};
  CurationReport report;
  const SpanData& out =
      only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, options, &report));
  EXPECT_EQ(str(out, "db.statement"), "[REDACTED]");
  EXPECT_EQ(str(out, "customer.ssn"), "[REDACTED]");
  EXPECT_EQ(str(out, "note"), "[REDACTED]");
  EXPECT_EQ(str(out, "passwordless"), "[REDACTED]");
  EXPECT_EQ(str(out, "keep"), "x");
  EXPECT_EQ(report.redacted_attribute_count, 4u);
}

// covers S11: allow-list mode
TEST(CurateTest, AllowListMode) {
  SpanData s = span_with({{"http.route", "/x"},
                          {"mcp.method.name", "tools/call"},
                          {"user.email", "a@b.c"},
                          {"mcp.session.token", "t"},
                          {"mcp.note", "Bearer abcdefgh12345678"}});
  CurationOptions options{
      .redaction = {.allow_keys = std::vector<std::string>{"http.route", "mcp.*"}}};
  CurationReport report;
  const SpanData& out =
      only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, options, &report));
  EXPECT_EQ(str(out, "http.route"), "/x");
  EXPECT_EQ(str(out, "mcp.method.name"), "tools/call");
  EXPECT_EQ(str(out, "user.email"), "[REDACTED]");
  EXPECT_EQ(str(out, "mcp.session.token"), "[REDACTED]");  // deny rules still apply
  EXPECT_EQ(str(out, "mcp.note"), "[REDACTED]");           // and value rules
  EXPECT_EQ(report.redacted_attribute_count, 3u);
}

TEST(CurateTest, PredicateAndReplacement) {
  SpanData s = span_with({{"a", "secret-ish"}, {"b", "fine"}});
  CurationOptions options{.redaction = {.predicate =
                                            [](std::string_view, std::string_view v) {
                                              return v.find("ish") != std::string_view::npos;
                                            },
                                        .replacement = "***"}};
  const SpanData& out = only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, options));
  EXPECT_EQ(str(out, "a"), "***");
  EXPECT_EQ(str(out, "b"), "fine");
}

TEST(CurateTest, DefaultRulesCanBeTurnedOff) {
  SpanData s = span_with({{"password", "p"}});
  CurationOptions options{.redaction = {.default_rules = false}};
  const SpanData& out = only_span(curate_to_otlp_json({s}, s.span_id, resource(), {}, options));
  EXPECT_EQ(str(out, "password"), "p");
  EXPECT_TRUE(should_redact_key("password", {}));
  EXPECT_FALSE(should_redact_key("password", {.default_rules = false}));
  EXPECT_TRUE(looks_like_credential("Authorization: Bearer abcdefgh12345678"));
  EXPECT_FALSE(looks_like_credential("hello world"));
}

// covers S12: a 10 MB attribute is cut and counted
TEST(CurateTest, LongValuesAreCutAndCounted) {
  std::string big(10 * 1024 * 1024, 'x');
  big.replace(1022, 3, "\xe2\x82\xac");  // a multi-byte character across the cut
  SpanData s =
      span_with({{"big", big},
                 {"bytes", BytesValue{std::string(5000, 'b')}},
                 {"arr", ArrayValue{std::vector<AttributeValue>(1000, AttributeValue(1))}}});
  CurationReport report;
  auto payload = curate_to_otlp_json({s}, s.span_id, resource(), {}, {}, &report);
  const SpanData& out = only_span(payload);
  EXPECT_EQ(str(out, "big").size(), 1022u);  // cut before the euro sign, not inside it
  EXPECT_EQ(attr(out, "bytes").if_bytes()->data.size(), 1024u);
  EXPECT_EQ(attr(out, "arr").if_array()->values.size(), 128u);
  EXPECT_EQ(report.truncated_attribute_count, 3u);
  EXPECT_LT(json::serialize(payload).size(), 8000u);
}

// covers S12: span count bound, deepest/latest dropped first, root kept
TEST(CurateTest, SpanCountBound) {
  Tree t;
  for (int i = 0; i < 100000; ++i) t.add("child", t.root, 1000 + static_cast<std::uint64_t>(i));
  std::swap(t.spans.front(), t.spans.back());  // the root is not first in the input
  CurationReport report;
  auto payload = curate_to_otlp_json(t.spans, t.root, resource(), {}, {.detailed = true}, &report);
  auto n = names(payload);
  ASSERT_EQ(n.size(), 256u);
  EXPECT_EQ(n[0], "root");
  EXPECT_EQ(n[1], "a");
  EXPECT_EQ(n[2], "b");
  EXPECT_EQ(report.dropped_span_count, t.spans.size() - 256);
  EXPECT_TRUE(report.truncated);
  EXPECT_NE(report.reason.find("span count limit"), std::string::npos);
}

// covers S12: byte bound; the root survives even when it alone is too big
TEST(CurateTest, ByteBound) {
  Tree t;
  for (int i = 0; i < 200; ++i) {
    SpanData& c = t.add("child", t.root, 1000 + static_cast<std::uint64_t>(i));
    for (int k = 0; k < 20; ++k)
      c.attributes.push_back({"k" + std::to_string(k), std::string(900, 'v')});
  }
  CurationReport report;
  auto payload =
      curate_to_otlp_json(t.spans, t.root, resource(), {}, {.max_bytes = 64 * 1024}, &report);
  EXPECT_LE(json::serialize(payload).size(), 64u * 1024);
  EXPECT_TRUE(report.truncated);
  EXPECT_NE(report.reason.find("byte limit"), std::string::npos);
  EXPECT_EQ(names(payload)[0], "root");

  SpanData& root = t.spans[0];
  for (int i = 0; i < 100; ++i) root.events.push_back({"e", 1, {{"v", std::string(1000, 'e')}}, 0});
  payload = curate_to_otlp_json(t.spans, t.root, resource(), {}, {.max_bytes = 10 * 1024}, &report);
  const SpanData& out = only_span(payload);
  EXPECT_EQ(out.name, "root");
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(out.dropped_events_count, 100u);
}

// covers S12: the byte bound is on the text that leaves, to the byte: every bound from below the
// root's own size up to the whole payload gives a text no longer than the bound (a root alone
// over it excepted), and one byte more never keeps fewer spans.
TEST(CurateTest, ByteBoundIsExactOnTheText) {
  Tree t;
  for (int i = 0; i < 12; ++i)
    t.add("child", t.root, 1000 + static_cast<std::uint64_t>(i))
        .attributes.push_back({"k", std::string(static_cast<std::size_t>(40 + i * 7), 'v')});
  const CurationOptions whole{.detailed = true};
  const std::size_t full =
      curate_to_otlp_json_string(t.spans, t.root, resource(), {}, whole).size();
  CurationReport root_only;
  const std::size_t root_size =
      curate_to_otlp_json_string(t.spans, t.root, resource(), {}, {.max_bytes = 1}, &root_only)
          .size();
  EXPECT_EQ(root_only.kept_span_count, 1u);
  std::size_t previous_kept = 0;
  for (std::size_t bound = root_size - 20; bound <= full + 2; ++bound) {
    CurationOptions options = whole;
    options.max_bytes = bound;
    CurationReport report;
    std::string text =
        curate_to_otlp_json_string(t.spans, t.root, resource(), {}, options, &report);
    if (bound >= root_size) {
      ASSERT_LE(text.size(), bound) << "bound " << bound;
    } else {
      EXPECT_EQ(report.kept_span_count, 1u);
    }
    ASSERT_GE(report.kept_span_count, previous_kept) << "bound " << bound;
    previous_kept = report.kept_span_count;
    EXPECT_EQ(report.truncated, bound < full) << "bound " << bound;
  }
  EXPECT_EQ(previous_kept, 17u);  // the whole tree: 5 spans and 12 children (not the stray)
}

// Curation writes into a spare text of its thread (json::take_spare_text): a small text written
// in the room of a large one given back is the same text a fresh thread writes (nothing of the
// earlier text shows).
TEST(CurateTest, ReusedRoomGivesTheSameTextAsAFreshThread) {
  Tree big;
  for (int i = 0; i < 30; ++i)
    big.add("child", big.root, 2000 + static_cast<std::uint64_t>(i))
        .attributes.push_back({"k", std::string(300, 'v')});
  Tree small;
  const CurationOptions whole{.detailed = true};
  std::string fresh;
  std::thread([&] {
    fresh = curate_to_otlp_json_string(small.spans, small.root, resource(), {}, whole);
  }).join();
  std::string large = curate_to_otlp_json_string(big.spans, big.root, resource(), {}, whole);
  ASSERT_GT(large.size(), 3 * fresh.size());
  const char* room = large.data();
  json::give_back_spare_text(std::move(large));
  std::string reused = curate_to_otlp_json_string(small.spans, small.root, resource(), {}, whole);
  EXPECT_EQ(reused.data(), room);
  EXPECT_EQ(reused, fresh);
  EXPECT_EQ(curate_to_otlp_json_string(small.spans, small.root, resource(), {}, whole), fresh);
}

// Curation gives a request's span storage back to its thread (the recorder's vector and the
// attribute lists); the next request's spans there start from it and hold only their own.
TEST(CurateTest, SpanStorageKeptPerThreadHoldsNothingOfTheLastRequest) {
  auto provider = std::make_shared<TracerProvider>();
  auto request = [&](int n, const std::string& value, std::size_t extra) {
    auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
    Span root = start_root_span(recorder, "root", SpanKind::server, std::nullopt);
    root.set_attribute("only." + std::to_string(n), value);
    for (std::size_t i = 0; i < extra; ++i) root.set_attribute("extra." + std::to_string(i), 1);
    {
      ContextScope scope(root);
      Span child = start_span("child");
      child.set_attribute("index", n);
    }
    SpanId id = root.context().span_id;
    root.end();
    return std::pair{recorder->take(), id};
  };
  const CurationOptions whole{.detailed = true};
  for (int n = 1; n <= 3; ++n) {
    auto [spans, root] = request(n, std::string(40, 'a'), 20);
    curate_to_otlp_json_string(std::move(spans), root, resource(), {}, whole);
  }
  auto [spans, root] = request(4, "b", 0);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "child");
  EXPECT_EQ(spans[0].attributes, (Attributes{{"index", 4}}));
  EXPECT_EQ(spans[1].name, "root");
  EXPECT_EQ(spans[1].attributes, (Attributes{{"only.4", "b"}}));
}

// A recorder's spans curated where they ended (Recorder::take_in_place, passback's path) give
// the text and report of the same spans taken out, redacted and bounded alike; their States
// then serve the next request's spans on this thread, which hold only their own.
TEST(CurateTest, SpansCuratedWhereTheyEndedAreTheTakenSpansAndLeaveNothingBehind) {
  auto provider = std::make_shared<TracerProvider>(TracerProviderOptions{.resource = resource()});
  auto request = [&](int n, bool full) {
    auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
    Span root =
        start_root_span(recorder, "root " + std::to_string(n), SpanKind::server, std::nullopt);
    root.set_attribute("only." + std::to_string(n), std::string(40, 'a'));
    if (full) {
      root.set_attribute("password", "hunter2");
      for (int i = 0; i < 20; ++i) root.set_attribute("extra." + std::to_string(i), i);
      root.add_event("event", {{"k", "v"}});
      root.add_link(root.context(), {{"why", "test"}});
      root.set_status(StatusCode::error, "failed");
    }
    {
      ContextScope scope(root);
      for (int i = 0; i < 3; ++i) {
        Span child = start_span("child");
        child.set_attribute("index", n * 10 + i);
        ContextScope below(child);
        start_span("grandchild").end();
      }
    }
    SpanId id = root.context().span_id;
    root.end();
    return std::pair{recorder, id};
  };
  const CurationOptions options{
      .detailed = true, .max_spans = 5, .max_attribute_value_length = 16, .max_events = 0};
  for (int n = 1; n <= 3; ++n) {
    auto [recorder, root] = request(n, true);
    std::vector<SpanData> copies = recorder->snapshot();
    ASSERT_EQ(copies.size(), 7u);
    CurationReport in_place_report, taken_report;
    std::string in_place = curate_to_otlp_json_string(recorder->take_in_place(), root, *provider,
                                                      options, &in_place_report);
    EXPECT_EQ(recorder->size(), 0u);
    EXPECT_EQ(in_place, curate_to_otlp_json_string(std::move(copies), root, provider->resource(),
                                                   provider->scope(), options, &taken_report));
    EXPECT_NE(in_place.find("[REDACTED]"), std::string::npos);
    std::string in_place_json, taken_json;
    in_place_report.append_json(in_place_json);
    taken_report.append_json(taken_json);
    EXPECT_EQ(in_place_json, taken_json);
    EXPECT_TRUE(in_place_report.truncated);
  }
  auto [recorder, root] = request(4, false);
  std::vector<SpanData> spans = recorder->snapshot();
  ASSERT_EQ(spans.size(), 7u);
  for (const SpanData& span : spans) {
    EXPECT_TRUE(span.events.empty() && span.links.empty()) << span.name;
    EXPECT_EQ(span.status_code, StatusCode::unset) << span.name;
    EXPECT_EQ(span.status_message, "") << span.name;
    EXPECT_EQ(span.dropped_attributes_count + span.dropped_events_count, 0u) << span.name;
    if (span.name == "root 4") {
      EXPECT_EQ(span.attributes, (Attributes{{"only.4", std::string(40, 'a')}}));
      EXPECT_FALSE(span.parent_span_id.is_valid());
    } else if (span.name == "child") {
      ASSERT_EQ(span.attributes.size(), 1u);
      EXPECT_EQ(span.attributes[0].key, "index");
      EXPECT_EQ(span.parent_span_id, root);
    } else {
      EXPECT_EQ(span.name, "grandchild");
      EXPECT_TRUE(span.attributes.empty());
      EXPECT_TRUE(span.parent_span_id.is_valid());
      EXPECT_NE(span.parent_span_id, root);
    }
  }
}

// Keys longer than a string's small buffer reuse the strings given back with the last
// request's spans: each request's spans hold its own keys and values, nothing of the last.
TEST(CurateTest, LongKeysReusedPerThreadHoldTheirOwnText) {
  auto provider = std::make_shared<TracerProvider>();
  const CurationOptions whole{.detailed = true};
  for (int n = 1; n <= 4; ++n) {
    auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = provider});
    Span root = start_root_span(recorder, "root", SpanKind::server, std::nullopt);
    const std::string key = "a.rather.long.attribute.key." + std::string(n * 7, 'k');
    root.set_attribute(key, std::string(20 + n, 'v'));
    root.set_attribute("gen_ai.operation.name", "execute_tool");
    SpanId id = root.context().span_id;
    root.end();
    std::vector<SpanData> spans = recorder->take();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].attributes, (Attributes{{key, std::string(20 + n, 'v')},
                                               {"gen_ai.operation.name", "execute_tool"}}))
        << n;
    curate_to_otlp_json_string(std::move(spans), id, resource(), {}, whole);
  }
}

// covers S7: each thread keeps the resource and scope text of the last call; a call with
// another resource or scope (or the same values again after another) gets its own.
TEST(CurateTest, ResourceAndScopeTextFollowEachCall) {
  Tree t;
  const Resource mail = resource();
  Resource other = resource();
  other.set("service.version", "2.0");
  const InstrumentationScope scope{.name = "glassbox", .version = "0.1.0"};
  const InstrumentationScope renamed{.name = "mine", .version = ""};
  struct Case {
    const Resource& resource;
    const InstrumentationScope& scope;
  };
  for (const Case& c : {Case{mail, scope}, Case{other, scope}, Case{other, renamed},
                        Case{mail, scope}, Case{mail, scope}}) {
    std::string text = curate_to_otlp_json_string(t.spans, t.root, c.resource, c.scope, {});
    auto decoded = decode_otlp_json(*json::parse(text));
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(decoded->resource_spans.at(0).resource, c.resource) << text;
    EXPECT_EQ(decoded->resource_spans.at(0).scope_spans.at(0).scope, c.scope) << text;
  }
}

// The same through providers (a recorder's spans curated where they ended), whose resource and
// scope are known by the provider: each call gets its provider's, between calls of another
// provider or of a caller's values.
TEST(CurateTest, ResourceAndScopeTextFollowEachProvider) {
  Resource other = resource();
  other.set("service.version", "2.0");
  auto mail = std::make_shared<TracerProvider>(TracerProviderOptions{.resource = resource()});
  auto renamed = std::make_shared<TracerProvider>(
      TracerProviderOptions{.resource = other, .scope = {.name = "mine", .version = ""}});
  auto curate = [](const TracerProvider* provider, const Resource& resource) {
    auto recorder = std::make_shared<Recorder>(RecorderOptions{.provider = nullptr});
    SpanData span;
    span.name = "root";
    span.trace_id = generate_trace_id();
    span.span_id = generate_span_id();
    recorder->record(std::move(span), true);
    const SpanId root = recorder->snapshot().at(0).span_id;
    return provider ? curate_to_otlp_json_string(recorder->take_in_place(), root, *provider, {})
                    : curate_to_otlp_json_string(recorder->take(), root, resource, {}, {});
  };
  struct Case {
    const TracerProvider* provider;
    const Resource& resource;
    const InstrumentationScope& scope;
  };
  const InstrumentationScope glassbox;
  for (const Case& c :
       {Case{mail.get(), mail->resource(), mail->scope()},
        Case{renamed.get(), renamed->resource(), renamed->scope()},
        Case{mail.get(), mail->resource(), mail->scope()}, Case{nullptr, other, glassbox},
        Case{mail.get(), mail->resource(), mail->scope()},
        Case{mail.get(), mail->resource(), mail->scope()}}) {
    std::string text = curate(c.provider, c.resource);
    auto decoded = decode_otlp_json(*json::parse(text));
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(decoded->resource_spans.at(0).resource, c.resource) << text;
    EXPECT_EQ(decoded->resource_spans.at(0).scope_spans.at(0).scope, c.scope) << text;
  }
}

// The text and the tree are the same payload; the text is what the streaming encoder writes for
// the kept spans (one writer for both).
TEST(CurateTest, TextIsTheStreamingEncodersOutput) {
  Tree t;
  t.spans[0].attributes.push_back({"password", "hunter2"});
  t.spans[1].attributes.push_back({"ratio", 0.25});
  CurationReport report;
  std::string text = curate_to_otlp_json_string(t.spans, t.root, resource(), {}, {}, &report);
  EXPECT_EQ(report.redacted_attribute_count, 1u);
  auto decoded = decode_otlp_json(std::string_view(text));
  ASSERT_TRUE(decoded);
  const auto& kept = decoded->resource_spans.at(0).scope_spans.at(0).spans;
  ASSERT_EQ(kept.size(), 3u);  // root, a, b
  EXPECT_EQ(text, encode_otlp_json_string(kept, resource(), InstrumentationScope{}));
  EXPECT_EQ(json::value(curate_to_otlp_json(t.spans, t.root, resource(), {}, {})),
            json::parse(text).value());
}

}  // namespace
}  // namespace glassbox::trace
