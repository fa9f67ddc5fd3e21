// The server and client against each other over the in-memory pair: every protocol feature
// from both sides.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"
#include "mcp/test_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

namespace glassbox::mcp {
namespace {

using namespace std::chrono_literals;

// These suites are MCP 2025-11-25's session: the initialize handshake, server-to-client requests,
// logging/setLevel, subscriptions. A client left on auto would speak 2026-07-28 to this server
// (tests/mcp/stateless_test.cpp and client_stateless_test.cpp cover that revision).
ClientOptions on_a_2025_session(ClientOptions options) {
  if (!options.revision) options.revision = ProtocolRevision::k2025_11_25;
  return options;
}

struct Connected {
  explicit Connected(ClientOptions client_options = {}, ServerOptions server_options = {})
      : server(std::move(server_options)), client(on_a_2025_session(std::move(client_options))) {
    testing::add_test_fixtures(server);
    auto [c, s] = transport::make_memory_pair();
    server.connect(s);
    client.connect(c);
  }
  Server server;
  Client client;
};

TEST(Lifecycle, InitializeNegotiatesTheLatestVersionAndCapabilities) {
  Connected c;
  const InitializeResult& init = c.client.initialize_result();
  EXPECT_EQ(init.protocol_version, "2025-11-25");
  EXPECT_EQ(init.server_info.name, "glassbox-server");
  EXPECT_TRUE(init.capabilities.contains("tools"));
  EXPECT_TRUE(init.capabilities.contains("resources"));
  EXPECT_TRUE(init.capabilities.contains("prompts"));
  EXPECT_TRUE(init.capabilities.contains("logging"));
  EXPECT_TRUE(init.capabilities.contains("completions"));
  c.client.ping();
}

TEST(Lifecycle, OlderSupportedVersionsAreEchoed) {
  for (const char* version : {"2025-06-18", "2025-03-26"}) {
    Connected c({.protocol_version = version});
    EXPECT_EQ(c.client.initialize_result().protocol_version, version);
  }
}

TEST(Lifecycle, UnknownVersionGetsTheLatestWhichAnOldClientRefuses) {
  Server server;
  auto [c, s] = transport::make_memory_pair();
  server.connect(s);
  Client client(on_a_2025_session({.protocol_version = "2024-01-01"}));
  // The server answers with its latest version, which this client does speak: accepted.
  EXPECT_EQ(client.connect(c).protocol_version, "2025-11-25");
}

TEST(Tools, ListWithPagination) {
  Connected c({}, {.page_size = 3});
  ListToolsResult first = c.client.list_tools();
  ASSERT_EQ(first.tools.size(), 3u);
  ASSERT_TRUE(first.next_cursor);
  std::vector<Tool> all = c.client.list_all_tools();
  EXPECT_EQ(all.size(), 9u);
  EXPECT_EQ(all[0].name, "echo");
  EXPECT_THROW(c.client.list_tools("not-a-cursor"), ProtocolError);
}

TEST(Tools, TypedToolHasADerivedSchema) {
  Connected c;
  for (const Tool& t : c.client.list_all_tools()) {
    if (t.name != "add") continue;
    EXPECT_EQ(
        json::serialize(t.input_schema),
        R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"note":{"type":"string"}},"required":["a","b"]})");
    return;
  }
  FAIL() << "add not listed";
}

TEST(Tools, CallRawAndTyped) {
  Connected c;
  CallToolResult echo = c.client.call_tool("echo", {{"message", "hi"}});
  EXPECT_FALSE(echo.is_error);
  EXPECT_EQ(echo.content.at(0).at("text").as_string(), "Echo: hi");
  CallToolResult add = c.client.call_tool("add", {{"a", 2}, {"b", 40}});
  EXPECT_EQ(add.content.at(0).at("text").as_string(), "42");
  EXPECT_EQ(add.structured_content->at("sum").as_int64(), 42);
}

TEST(Tools, ArgumentsFailingTheSchemaGiveAnIsErrorResult) {
  Connected c;
  CallToolResult r = c.client.call_tool("add", {{"a", "two"}, {"b", 1}});
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.content.at(0).at("text").as_string(),
            "invalid arguments: arguments.a: expected integer");
  r = c.client.call_tool("echo", {});
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.content.at(0).at("text").as_string(),
            "invalid arguments: arguments: missing required property 'message'");
}

TEST(Tools, AThrowingToolBecomesAnIsErrorResult) {
  Connected c;
  CallToolResult r = c.client.call_tool("throws");
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "boom");
  EXPECT_TRUE(c.client.call_tool("fail").is_error);
}

TEST(Tools, ProtocolErrorsKeepTheirCodeAndData) {
  Connected c;
  try {
    c.client.call_tool("protocol_error");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kInvalidParams);
    EXPECT_EQ(e.error().data.at("policy").as_string(), "p1");
  }
  try {
    c.client.call_tool("no_such_tool");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kInvalidParams);
  }
  try {
    c.client.request("no/such/method", {});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kMethodNotFound);
  }
}

TEST(Tools, ListChangedIsNotifiedToConnectedClients) {
  std::promise<std::string> seen;
  std::once_flag once;
  Connected c({.on_notification = [&](const std::string& method, const json::object&) {
    std::call_once(once, [&] { seen.set_value(method); });
  }});
  c.server.add_tool({.name = "late"},
                    [](const json::object&, RequestContext&) { return CallToolResult::text("x"); });
  auto f = seen.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), "notifications/tools/list_changed");
}

TEST(Concurrency, ASlowToolNeverDelaysPingOrAnotherCall) {
  Connected c;
  auto slow = std::async(std::launch::async, [&] {
    return c.client.call_tool("slow", {{"ms", 3000}});
  });
  auto start = std::chrono::steady_clock::now();
  c.client.ping();
  EXPECT_EQ(c.client.call_tool("echo", {{"message", "fast"}}).content.at(0).at("text").as_string(),
            "Echo: fast");
  // Behaviour, not timing: the slow call is still running when the fast ones came back.
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);
  (void)start;
  EXPECT_EQ(slow.get().content.at(0).at("text").as_string(), "done");
}

TEST(Concurrency, TwoHundredCallsInFlightAllAnsweredCorrectly) {
  Connected c;
  std::vector<std::future<CallToolResult>> calls;
  for (int i = 0; i < 200; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return c.client.call_tool("add", {{"a", i}, {"b", 1000}});
    }));
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(calls[i].get().structured_content->at("sum").as_int64(), i + 1000);
  }
}

TEST(Cancellation, TheHandlerSeesItAndNoResponseIsSent) {
  Connected c({.request_timeout = 200ms});
  auto start = std::chrono::steady_clock::now();
  try {
    c.client.call_tool("slow", {{"ms", 10000}});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kRequestTimeout);
  }
  // The client's timeout sent notifications/cancelled; the handler stopped well before 10 s,
  // and the connection still works.
  c.client.ping();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 9s);
}

TEST(Progress, NotificationsCarryTheRequestsToken) {
  Connected c;
  std::vector<ProgressUpdate> updates;
  std::mutex m;
  CallToolResult r =
      c.client.call_tool("progress", {}, {.on_progress = [&](const ProgressUpdate& u) {
                           std::lock_guard lock(m);
                           updates.push_back(u);
                         }});
  EXPECT_EQ(r.content.at(0).at("text").as_string(), "progressed");
  std::lock_guard lock(m);
  ASSERT_EQ(updates.size(), 3u);  // sent before the response, on the same ordered connection
  EXPECT_EQ(updates[2].progress, 3);
  EXPECT_EQ(*updates[2].total, 3);
  EXPECT_EQ(updates[2].message, "step 3");
}

TEST(Logging, SetLevelFiltersNotifications) {
  std::vector<LogMessage> logs;
  std::mutex m;
  Connected c({.on_log = [&](const LogMessage& l) {
    std::lock_guard lock(m);
    logs.push_back(l);
  }});
  c.client.call_tool("log");
  c.client.set_logging_level(LogLevel::warning);
  c.client.call_tool("log");
  std::lock_guard lock(m);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].level, LogLevel::debug);
  EXPECT_EQ(logs[2].level, LogLevel::warning);
  EXPECT_EQ(logs[2].logger, "test");
  EXPECT_EQ(logs[2].data.as_string(), "a warning");
}

TEST(Sampling, ServerToClientRoundTrip) {
  Connected c({.sampling_handler = [](const json::object& params) -> json::value {
    EXPECT_EQ(params.at("maxTokens").as_int64(), 10);
    return json::object{{"role", "assistant"},
                        {"content", {{"type", "text"}, {"text", "4"}}},
                        {"model", "test-model"}};
  }});
  EXPECT_EQ(c.client.call_tool("sample").content.at(0).at("text").as_string(), "model said: 4");
}

TEST(Sampling, AClientWithoutTheCapabilityAnswersMethodNotFound) {
  Connected c;
  try {
    c.client.call_tool("sample");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kMethodNotFound);
  }
}

TEST(Resources, ListReadTemplatesAndNotFound) {
  Connected c;
  auto resources = c.client.list_all_resources();
  ASSERT_EQ(resources.size(), 1u);
  EXPECT_EQ(resources[0].uri, "test://hello");
  EXPECT_EQ(c.client.read_resource("test://hello").contents.at(0).text.value(), "hello world");
  auto templates = c.client.list_all_resource_templates();
  ASSERT_EQ(templates.size(), 1u);
  EXPECT_EQ(c.client.read_resource("test://items/42/data").contents.at(0).text.value(),
            R"({"id":"42"})");
  try {
    c.client.read_resource("test://items/4/2/data");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kResourceNotFound);
    EXPECT_EQ(e.error().data.at("uri").as_string(), "test://items/4/2/data");
  }
}

TEST(Resources, SubscribersGetUpdatesOthersDoNot) {
  std::promise<std::string> updated;
  Connected c({.on_notification = [&](const std::string& method, const json::object& params) {
    if (method == "notifications/resources/updated")
      updated.set_value(std::string(params.at("uri").as_string()));
  }});
  c.server.notify_resource_updated("test://hello");  // not subscribed yet: nothing
  c.client.subscribe("test://hello");
  c.server.notify_resource_updated("test://hello");
  auto f = updated.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), "test://hello");
  c.client.unsubscribe("test://hello");
}

TEST(Prompts, GetWithArgumentsAndMissingRequiredArgument) {
  Connected c;
  auto prompts = c.client.list_all_prompts();
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_TRUE(prompts[0].arguments.at(0).required);
  GetPromptResult r = c.client.get_prompt("greet", {{"name", "Ada"}});
  EXPECT_EQ(r.messages.at(0).content.at("text").as_string(), "Hello, Ada");
  EXPECT_THROW(c.client.get_prompt("greet"), ProtocolError);
  EXPECT_THROW(c.client.get_prompt("nope"), ProtocolError);
}

TEST(Completion, ValuesForAPrefix) {
  Connected c;
  CompletionResult r =
      c.client.complete({{{"type", "ref/prompt"}, {"name", "greet"}}, "name", "al", {}});
  EXPECT_EQ(r.values, (std::vector<std::string>{"alice", "albert"}));
  EXPECT_EQ(*r.total, 2);
}

TEST(Completion, TheWireShapeCapsValuesAt100AndAlwaysSaysHasMore) {
  CompletionResult none;
  EXPECT_EQ(json::serialize(none.to_json()), R"({"completion":{"values":[],"hasMore":false}})");
  CompletionResult many;
  for (int i = 0; i < 150; ++i) many.values.push_back("v" + std::to_string(i));
  many.total = 150;
  json::object wire = many.to_json();
  const json::object& completion = wire.at("completion").as_object();
  EXPECT_EQ(completion.at("values").as_array().size(), 100u);
  EXPECT_EQ(completion.at("values").as_array().back().as_string(), "v99");
  EXPECT_EQ(completion.at("total").as_int64(), 150);
  EXPECT_TRUE(completion.at("hasMore").as_bool());
  // Read back as the client reads a response: non-string values are skipped.
  json::value with_junk = wire;
  with_junk.at("completion").at("values").as_array().emplace_back(7);
  CompletionResult read = CompletionResult::from_json(with_junk);
  EXPECT_EQ(read.values.size(), 100u);
  EXPECT_EQ(read.total, 150);
  EXPECT_TRUE(read.has_more);
  EXPECT_TRUE(CompletionResult::from_json(json::object{}).values.empty());
}

TEST(Middleware, WrapsEveryRequestOutermostFirst) {
  Server server;
  testing::add_test_fixtures(server);
  std::vector<std::string> order;
  std::mutex m;
  server.use([&](RequestContext& ctx, const MethodHandler& next) {
    {
      std::lock_guard lock(m);
      order.push_back("outer:" + ctx.method());
    }
    Outcome o = next(ctx);
    outcome_meta(o)["outer"] = true;
    return o;
  });
  server.use([&](RequestContext& ctx, const MethodHandler& next) {
    {
      std::lock_guard lock(m);
      order.push_back("inner:" + ctx.method());
    }
    return next(ctx);
  });
  auto [c, s] = transport::make_memory_pair();
  server.connect(s);
  Client client({.revision = ProtocolRevision::k2025_11_25});  // the initialize handshake
  client.connect(c);
  CallToolResult r = client.call_tool("echo", {{"message", "x"}});
  EXPECT_TRUE(r.meta.at("outer").as_bool());
  std::lock_guard lock(m);
  EXPECT_EQ(order, (std::vector<std::string>{"outer:initialize", "inner:initialize",
                                             "outer:tools/call", "inner:tools/call"}));
}

TEST(Connection, ClosingFailsPendingCallsInsteadOfHanging) {
  Connected c;
  // The call is closed under while its handler runs: the handler says when it has started.
  std::promise<void> started;
  c.server.add_tool({.name = "held"}, [&](const json::object&, RequestContext& ctx) {
    started.set_value();
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ctx.cancelled() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);  // polling the cancellation flag, not ordering events
    }
    return CallToolResult::text("done");
  });
  auto slow = std::async(std::launch::async, [&] { return c.client.call_tool("held"); });
  ASSERT_EQ(started.get_future().wait_for(10s), std::future_status::ready);
  c.client.close();
  try {
    slow.get();
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kConnectionClosed);
  }
}

}  // namespace
}  // namespace glassbox::mcp
