// The server's registry API, one rule for every kind: add_* replaces by key and notifies,
// remove_* removes and notifies; typed prompts and typed tool results; the session handle.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"

#include <gtest/gtest.h>
#include <boost/describe.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

struct Point {
  double x;
  double y;
};
BOOST_DESCRIBE_STRUCT(Point, (), (x, y))

enum class Quadrant { origin, first, second, third, fourth };
BOOST_DESCRIBE_ENUM(Quadrant, origin, first, second, third, fourth)

struct Located {
  Quadrant quadrant;
  std::vector<std::string> labels;
  std::optional<std::string> note;  // left out of structuredContent when empty
  std::int64_t distance_squared;
};
BOOST_DESCRIBE_STRUCT(Located, (), (quadrant, labels, note, distance_squared))

struct ReviewArgs {
  std::string code;
  std::optional<std::string> language;
};
BOOST_DESCRIBE_STRUCT(ReviewArgs, (), (code, language))

// The notifications a client received, in order, waited on (never slept on).
struct Notifications {
  ClientOptions options() {
    // On a 2025-11-25 session: list_changed notifications reach a session's client unasked (in
    // 2026-07-28 they need subscriptions/listen).
    return {.revision = ProtocolRevision::k2025_11_25,
            .on_notification = [this](const std::string& method, const json::object&) {
              std::lock_guard lock(mutex);
              seen.push_back(method);
              cv.notify_all();
            }};
  }
  // The next notification after the ones already taken; empty after 5 s without one.
  std::string next() {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, 5s, [&] { return seen.size() > taken; })) return {};
    return seen[taken++];
  }
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> seen;
  std::size_t taken = 0;
};

struct Connected {
  Connected() : client(notifications.options()) {
    auto [c, s] = transport::make_memory_pair();
    session = server.connect(s);
    client.connect(c);
  }
  Notifications notifications;
  Server server;
  std::optional<ServerSession> session;
  Client client;
};

ToolHandler says(std::string text) {
  return [text](const json::object&, RequestContext&) { return CallToolResult::text(text); };
}
ResourceHandler contains(std::string text) {
  return [text](const std::string& uri, RequestContext&) {
    return std::vector<ResourceContents>{{uri, "text/plain", text, {}}};
  };
}
ResourceTemplateHandler templated(std::string text) {
  return
      [text](const std::string& uri, const std::map<std::string, std::string>&, RequestContext&) {
        return std::vector<ResourceContents>{{uri, "text/plain", text, {}}};
      };
}
PromptHandler prompts(std::string text) {
  return [text](const std::map<std::string, std::string>&, RequestContext&) {
    return GetPromptResult{"", {{"user", content::text(text)}}};
  };
}
std::string text_of(const CallToolResult& r) {
  return std::string(r.content.at(0).at("text").as_string());
}
std::string text_of(const GetPromptResult& r) {
  return std::string(r.messages.at(0).content.at("text").as_string());
}

TEST(ServerRegistry, EveryAddReplacesByKeyInPlace) {
  Connected c;
  Server& s = c.server;
  s.add_tool({.name = "a"}, says("a1"));
  s.add_tool({.name = "b"}, says("b"));
  s.add_tool({.name = "a", .description = "second"}, says("a2"));
  s.add_resource({.uri = "test://a", .name = "a"}, contains("a1"));
  s.add_resource({.uri = "test://b", .name = "b"}, contains("b"));
  s.add_resource({.uri = "test://a", .name = "a2"}, contains("a2"));
  s.add_resource_template({.uri_template = "test://t/{id}", .name = "t"}, templated("t1"));
  s.add_resource_template({.uri_template = "test://t/{id}", .name = "t2"}, templated("t2"));
  s.add_prompt({.name = "p"}, prompts("p1"));
  s.add_prompt({.name = "q"}, prompts("q"));
  s.add_prompt({.name = "p", .description = "second"}, prompts("p2"));

  std::vector<Tool> tools = c.client.list_all_tools();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].name, "a");  // replaced where it was: the order clients page through holds
  EXPECT_EQ(tools[0].description, "second");
  EXPECT_EQ(text_of(c.client.call_tool("a")), "a2");

  std::vector<Resource> resources = c.client.list_all_resources();
  ASSERT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources[0].name, "a2");
  EXPECT_EQ(c.client.read_resource("test://a").contents.at(0).text, "a2");

  std::vector<ResourceTemplate> templates = c.client.list_all_resource_templates();
  ASSERT_EQ(templates.size(), 1u);
  EXPECT_EQ(templates[0].name, "t2");
  EXPECT_EQ(c.client.read_resource("test://t/7").contents.at(0).text, "t2");

  std::vector<Prompt> all_prompts = c.client.list_all_prompts();
  ASSERT_EQ(all_prompts.size(), 2u);
  EXPECT_EQ(all_prompts[0].description, "second");
  EXPECT_EQ(text_of(c.client.get_prompt("p")), "p2");
}

// A tool "a", a resource "test://a", a template "test://t/{id}" and a prompt "p".
void add_one_of_each(Server& s) {
  s.add_tool({.name = "a"}, says("a"));
  s.add_resource({.uri = "test://a", .name = "a"}, contains("a"));
  s.add_resource_template({.uri_template = "test://t/{id}", .name = "t"}, templated("t"));
  s.add_prompt({.name = "p"}, prompts("p"));
}

TEST(ServerRegistry, EveryAddAndRemoveSendsItsListChanged) {
  Connected c;
  Server& s = c.server;
  add_one_of_each(s);
  EXPECT_TRUE(s.remove_tool("a"));
  EXPECT_TRUE(s.remove_resource("test://a"));
  EXPECT_TRUE(s.remove_resource_template("test://t/{id}"));
  EXPECT_TRUE(s.remove_prompt("p"));
  for (const char* expected :
       {"notifications/tools/list_changed", "notifications/resources/list_changed",
        "notifications/resources/list_changed", "notifications/prompts/list_changed",
        "notifications/tools/list_changed", "notifications/resources/list_changed",
        "notifications/resources/list_changed", "notifications/prompts/list_changed"}) {
    EXPECT_EQ(c.notifications.next(), expected);
  }
}

TEST(ServerRegistry, RemovingAnUnknownKeyChangesNothingAndNotifiesNobody) {
  Connected c;
  Server& s = c.server;
  s.add_tool({.name = "a"}, says("a"));
  ASSERT_EQ(c.notifications.next(), "notifications/tools/list_changed");
  EXPECT_FALSE(s.remove_tool("nope"));
  EXPECT_FALSE(s.remove_resource("test://nope"));
  EXPECT_FALSE(s.remove_resource_template("test://nope/{id}"));
  EXPECT_FALSE(s.remove_prompt("nope"));
  // The session sends in order: had a removal notified, it would come before this one.
  s.add_prompt({.name = "marker"}, prompts("m"));
  EXPECT_EQ(c.notifications.next(), "notifications/prompts/list_changed");
  EXPECT_EQ(c.client.list_all_tools().size(), 1u);
}

TEST(ServerRegistry, RemovedEntriesAreGoneFromListsAndCalls) {
  Connected c;
  Server& s = c.server;
  add_one_of_each(s);
  ASSERT_TRUE(s.remove_tool("a"));
  ASSERT_TRUE(s.remove_resource("test://a"));
  ASSERT_TRUE(s.remove_resource_template("test://t/{id}"));
  ASSERT_TRUE(s.remove_prompt("p"));
  EXPECT_TRUE(c.client.list_all_tools().empty());
  EXPECT_TRUE(c.client.list_all_resources().empty());
  EXPECT_TRUE(c.client.list_all_resource_templates().empty());
  EXPECT_TRUE(c.client.list_all_prompts().empty());
  auto code_of = [](auto&& call) {
    try {
      call();
    } catch (const ProtocolError& e) {
      return e.error().code;
    }
    return 0;
  };
  EXPECT_EQ(code_of([&] { c.client.call_tool("a"); }), jsonrpc::error_code::kInvalidParams);
  EXPECT_EQ(code_of([&] { c.client.read_resource("test://a"); }),
            jsonrpc::error_code::kResourceNotFound);
  EXPECT_EQ(code_of([&] { c.client.read_resource("test://t/1"); }),
            jsonrpc::error_code::kResourceNotFound);
  EXPECT_EQ(code_of([&] { c.client.get_prompt("p"); }), jsonrpc::error_code::kInvalidParams);
}

TEST(TypedTools, TheResultTypeGivesOutputSchemaStructuredContentAndText) {
  Connected c;
  c.server.add_tool<Point, Located>({.name = "locate"}, [](const Point& p, RequestContext&) {
    Located out{Quadrant::origin, {}, std::nullopt, 0};
    if (p.x > 0 && p.y > 0) out.quadrant = Quadrant::first;
    if (p.x < 0 && p.y > 0) out.quadrant = Quadrant::second;
    if (p.x != 0 || p.y != 0) out.labels = {"off-origin"};
    if (p.x == 0 && p.y == 0) out.note = "at the origin";
    out.distance_squared = static_cast<std::int64_t>(p.x * p.x + p.y * p.y);
    return out;
  });
  std::vector<Tool> tools = c.client.list_all_tools();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(
      json::serialize(tools[0].input_schema),
      R"({"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]})");
  ASSERT_TRUE(tools[0].output_schema);
  EXPECT_EQ(
      json::serialize(*tools[0].output_schema),
      R"({"type":"object","properties":{"quadrant":{"type":"string","enum":["origin","first","second","third","fourth"]},"labels":{"type":"array","items":{"type":"string"}},"note":{"type":"string"},"distance_squared":{"type":"integer"}},"required":["quadrant","labels","distance_squared"]})");

  CallToolResult r = c.client.call_tool("locate", {{"x", -3}, {"y", 4}});
  EXPECT_FALSE(r.is_error);
  ASSERT_TRUE(r.structured_content);
  const char* expected = R"({"quadrant":"second","labels":["off-origin"],"distance_squared":25})";
  EXPECT_EQ(json::serialize(*r.structured_content), expected);
  // The same JSON as text, for clients that read only content.
  ASSERT_EQ(r.content.size(), 1u);
  EXPECT_EQ(r.content[0].at("type"), "text");
  EXPECT_EQ(text_of(r), expected);
  // The structured result satisfies the schema the tool advertises.
  EXPECT_EQ(validate(*r.structured_content, *tools[0].output_schema, "result"), std::nullopt);

  CallToolResult origin = c.client.call_tool("locate", {{"x", 0}, {"y", 0}});
  EXPECT_EQ(json::serialize(*origin.structured_content),
            R"({"quadrant":"origin","labels":[],"note":"at the origin","distance_squared":0})");
}

TEST(TypedTools, ATypedResultToolStillReportsBadArgumentsAndThrowsAsIsError) {
  Connected c;
  c.server.add_tool<Point, Point>({.name = "mirror"}, [](const Point& p, RequestContext&) {
    if (p.x > 1000) throw std::runtime_error("too far");
    return Point{-p.x, -p.y};
  });
  CallToolResult bad = c.client.call_tool("mirror", {{"x", "left"}, {"y", 1}});
  EXPECT_TRUE(bad.is_error);
  EXPECT_FALSE(bad.structured_content);
  EXPECT_EQ(text_of(bad), "invalid arguments: arguments.x: expected number");
  CallToolResult thrown = c.client.call_tool("mirror", {{"x", 5000}, {"y", 1}});
  EXPECT_TRUE(thrown.is_error);
  EXPECT_EQ(text_of(thrown), "too far");
  CallToolResult ok = c.client.call_tool("mirror", {{"x", 1.5}, {"y", 2}});
  EXPECT_EQ(json::serialize(*ok.structured_content), R"({"x":-1.5E0,"y":-2E0})");
}

TEST(TypedPrompts, ArgumentsAreDerivedValidatedAndConverted) {
  Connected c;
  c.server.add_prompt<ReviewArgs>(
      {.name = "review",
       .description = "Reviews code",
       .arguments = {{"code", "The code to review", false}}},
      [](const ReviewArgs& args, RequestContext&) {
        std::string language = args.language.value_or("unknown");
        return GetPromptResult{
            "A review", {{"user", content::text("Review this " + language + ": " + args.code)}}};
      });
  std::vector<Prompt> listed = c.client.list_all_prompts();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(
      json::serialize(listed[0].to_json()),
      R"({"name":"review","description":"Reviews code","arguments":[{"name":"code","description":"The code to review","required":true},{"name":"language"}]})");

  EXPECT_EQ(text_of(c.client.get_prompt("review", {{"code", "x++"}, {"language", "C"}})),
            "Review this C: x++");
  EXPECT_EQ(text_of(c.client.get_prompt("review", {{"code", "x++"}})), "Review this unknown: x++");
  try {
    c.client.get_prompt("review", {{"language", "C"}});
    FAIL() << "a missing required argument must fail";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kInvalidParams);
    EXPECT_EQ(e.error().message, "missing required argument: code");
  }
}

TEST(ServerSessionHandle, WaitReturnsOnceThePeerClosedAndCloseEndsTheClientsCalls) {
  {
    Connected c;
    c.client.ping();
    c.client.close();
    auto waited = std::async(std::launch::async, [&] { c.session->wait(); });
    EXPECT_EQ(waited.wait_for(10s), std::future_status::ready);
  }
  {
    Connected c;
    c.session->close();
    EXPECT_THROW(c.client.ping(), ProtocolError);
  }
}

}  // namespace
}  // namespace glassbox::mcp
