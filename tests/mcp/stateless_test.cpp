// MCP 2026-07-28 beside 2025-11-25, server side, over the in-memory transport: the exact wire of
// server/discover, the per-request _meta, resultType and cache hints, the errors, multi
// round-trip requests (InputRequiredResult) and subscriptions/listen.
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"
#include "support/inbox.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace glassbox::mcp {
namespace {

using json::object;
using testing::Inbox;

object meta_2026(object capabilities = {}) {
  return {{kMetaProtocolVersion, kProtocol2026_07_28},
          {kMetaClientCapabilities, std::move(capabilities)},
          {kMetaClientInfo, {{"name", "stateless-test"}, {"version", "1"}}}};
}

class Stateless : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.add_tool({.name = "greet"}, [](const object&, RequestContext& ctx) {
      json::value a =
          ctx.elicit({{"message", "Name?"},
                      {"requestedSchema",
                       {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}},
                     "user_name");
      return CallToolResult::text("Hello, " + std::string(a.at("content").at("name").as_string()) +
                                  "!");
    });
    server_.add_tool({.name = "two_steps"}, [](const object&, RequestContext& ctx) {
      json::value first = ctx.elicit({{"message", "first"}}, "step1");
      json::value second = ctx.elicit({{"message", "second"}}, "step2");
      return CallToolResult::text(json::serialize(first.at("content")) +
                                  json::serialize(second.at("content")));
    });
    server_.add_tool({.name = "log"}, [](const object&, RequestContext& ctx) {
      ctx.log(LogLevel::info, "ran", "t");
      return CallToolResult::text("logged");
    });
    server_.add_tool({.name = "ask_in_list"},
                     [](const object&, RequestContext&) { return CallToolResult::text("unused"); });
    auto [client_end, server_end] = transport::make_memory_pair();
    server_.connect(server_end);
    client_ = client_end;
    client_->start(inbox_.callbacks());
  }
  // The client end's close callback runs on its delivery thread: wait for it, so that it never
  // reaches inbox_ after the fixture is gone.
  void TearDown() override {
    client_->close();
    inbox_.wait_closed();
  }

  // Sends a request and returns its answer (Response or ErrorResponse).
  jsonrpc::Message call(std::string method, object params) {
    std::int64_t id = next_id_++;
    client_->send(jsonrpc::Request{id, std::move(method), json::value(std::move(params))}, {});
    auto answer = inbox_.answer(id);
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(jsonrpc::Message{});
  }
  object result(std::string method, object params) {
    jsonrpc::Message m = call(std::move(method), std::move(params));
    auto* r = std::get_if<jsonrpc::Response>(&m);
    EXPECT_NE(r, nullptr) << jsonrpc::serialize(m);
    return r ? json::as_object_or_empty(r->result) : object{};
  }
  jsonrpc::Error error(std::string method, object params) {
    jsonrpc::Message m = call(std::move(method), std::move(params));
    auto* e = std::get_if<jsonrpc::ErrorResponse>(&m);
    EXPECT_NE(e, nullptr) << jsonrpc::serialize(m);
    return e ? e->error : jsonrpc::Error{};
  }

  Server server_{{.name = "stateless-server", .version = "2.0", .instructions = "be brief"}};
  std::shared_ptr<transport::Transport> client_;
  Inbox inbox_;
  std::int64_t next_id_ = 1;
};

TEST_F(Stateless, DiscoverAnswersWithVersionsCapabilitiesIdentityAndCacheHints) {
  object r = result("server/discover", {{"_meta", meta_2026()}});
  EXPECT_EQ(r.at("resultType"), "complete");
  const json::array& versions = r.at("supportedVersions").as_array();
  ASSERT_GE(versions.size(), 2u);
  EXPECT_EQ(versions[0], "2026-07-28");
  EXPECT_NE(std::find(versions.begin(), versions.end(), json::value("2025-11-25")), versions.end());
  EXPECT_TRUE(r.at("capabilities").at("extensions").is_object());
  EXPECT_TRUE(r.at("capabilities").at("tools").is_object());
  EXPECT_EQ(r.at("instructions"), "be brief");
  EXPECT_EQ(r.at("_meta").at(kMetaServerInfo).at("name"), "stateless-server");
  EXPECT_EQ(r.at("ttlMs"), 0);
  EXPECT_EQ(r.at("cacheScope"), "private");
}

TEST_F(Stateless, EveryResultCarriesResultTypeAndListsCarryCacheHints) {
  object list = result("tools/list", {{"_meta", meta_2026()}});
  EXPECT_EQ(list.at("resultType"), "complete");
  EXPECT_EQ(list.at("ttlMs"), 0);
  EXPECT_EQ(list.at("cacheScope"), "private");
  object call = result("tools/call", {{"name", "log"}, {"_meta", meta_2026()}});
  EXPECT_EQ(call.at("resultType"), "complete");
  EXPECT_FALSE(call.contains("ttlMs"));  // not a cacheable result
  // The 2025-11-25 form on the same connection: no resultType.
  object legacy = result("tools/list", {});
  EXPECT_FALSE(legacy.contains("resultType"));
}

TEST_F(Stateless, UnknownVersionGetsUnsupportedProtocolVersionWithTheSupportedList) {
  object meta = meta_2026();
  meta[kMetaProtocolVersion] = "2099-01-01";
  jsonrpc::Error e = error("tools/list", {{"_meta", meta}});
  EXPECT_EQ(e.code, -32022);
  EXPECT_EQ(e.data.at("requested"), "2099-01-01");
  EXPECT_EQ(e.data.at("supported").as_array()[0], "2026-07-28");
}

TEST_F(Stateless, MissingClientCapabilitiesIsInvalidParams) {
  object meta = meta_2026();
  meta.erase(kMetaClientCapabilities);
  EXPECT_EQ(error("tools/list", {{"_meta", meta}}).code, jsonrpc::error_code::kInvalidParams);
}

TEST_F(Stateless, RemovedMethodsAreNotFoundInTheNewRevisionOnly) {
  for (const char* method : {"ping", "initialize", "logging/setLevel", "resources/subscribe"}) {
    EXPECT_EQ(error(method, {{"_meta", meta_2026()}}).code, jsonrpc::error_code::kMethodNotFound)
        << method;
  }
  EXPECT_TRUE(result("ping", {}).empty());  // 2025-11-25 keeps it
}

TEST_F(Stateless, ElicitationBecomesAnInputRequiredResultAndTheRetryCompletes) {
  object caps{{"elicitation", object{}}};
  object first = result("tools/call", {{"name", "greet"}, {"_meta", meta_2026(caps)}});
  EXPECT_EQ(first.at("resultType"), "input_required");
  const object& question = first.at("inputRequests").at("user_name").as_object();
  EXPECT_EQ(question.at("method"), "elicitation/create");
  EXPECT_EQ(question.at("params").at("message"), "Name?");
  ASSERT_TRUE(first.at("requestState").is_string());
  object answer{{"action", "accept"}, {"content", {{"name", "Ada"}}}};
  object done = result("tools/call", {{"name", "greet"},
                                      {"inputResponses", {{"user_name", answer}}},
                                      {"requestState", first.at("requestState")},
                                      {"_meta", meta_2026(caps)}});
  EXPECT_EQ(done.at("resultType"), "complete");
  EXPECT_EQ(done.at("content").at(0).at("text"), "Hello, Ada!");
}

TEST_F(Stateless, EarlierAnswersTravelInTheSealedStateAcrossRounds) {
  object caps{{"elicitation", object{}}};
  object r1 = result("tools/call", {{"name", "two_steps"}, {"_meta", meta_2026(caps)}});
  ASSERT_TRUE(r1.at("inputRequests").as_object().contains("step1"));
  object a1{{"action", "accept"}, {"content", {{"v", 1}}}};
  object r2 = result("tools/call", {{"name", "two_steps"},
                                    {"inputResponses", {{"step1", a1}}},
                                    {"requestState", r1.at("requestState")},
                                    {"_meta", meta_2026(caps)}});
  EXPECT_EQ(r2.at("resultType"), "input_required");
  ASSERT_TRUE(r2.at("inputRequests").as_object().contains("step2"));
  EXPECT_FALSE(r2.at("inputRequests").as_object().contains("step1"));
  object a2{{"action", "accept"}, {"content", {{"v", 2}}}};
  // Only step2's answer now: step1's comes back from the state.
  object r3 = result("tools/call", {{"name", "two_steps"},
                                    {"inputResponses", {{"step2", a2}}},
                                    {"requestState", r2.at("requestState")},
                                    {"_meta", meta_2026(caps)}});
  EXPECT_EQ(r3.at("content").at(0).at("text"), R"({"v":1}{"v":2})");
}

TEST_F(Stateless, TamperedForeignOrMalformedStateIsRefused) {
  object caps{{"elicitation", object{}}};
  object r1 = result("tools/call", {{"name", "two_steps"}, {"_meta", meta_2026(caps)}});
  object a1{{"action", "accept"}, {"content", {{"v", 1}}}};
  object r2 = result("tools/call", {{"name", "two_steps"},
                                    {"inputResponses", {{"step1", a1}}},
                                    {"requestState", r1.at("requestState")},
                                    {"_meta", meta_2026(caps)}});
  std::string state(r2.at("requestState").as_string());
  std::string tampered = state;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error("tools/call",
                  {{"name", "two_steps"}, {"requestState", tampered}, {"_meta", meta_2026(caps)}})
                .code,
            jsonrpc::error_code::kInvalidParams);
  // A genuine state, but for another tool.
  EXPECT_EQ(
      error("tools/call", {{"name", "greet"}, {"requestState", state}, {"_meta", meta_2026(caps)}})
          .code,
      jsonrpc::error_code::kInvalidParams);
  EXPECT_EQ(error("tools/call",
                  {{"name", "greet"}, {"requestState", "no-dot"}, {"_meta", meta_2026(caps)}})
                .code,
            jsonrpc::error_code::kInvalidParams);
  // An answer that is not an object.
  EXPECT_EQ(error("tools/call", {{"name", "greet"},
                                 {"inputResponses", {{"user_name", 12345}}},
                                 {"_meta", meta_2026(caps)}})
                .code,
            jsonrpc::error_code::kInvalidParams);
}

TEST_F(Stateless, AskingWithoutTheDeclaredCapabilityIsMissingRequiredClientCapability) {
  jsonrpc::Error e = error("tools/call", {{"name", "greet"}, {"_meta", meta_2026()}});
  EXPECT_EQ(e.code, -32021);
  EXPECT_TRUE(e.data.at("requiredCapabilities").at("elicitation").is_object());
}

TEST_F(Stateless, LogMessagesFollowThePerRequestLogLevel) {
  result("tools/call", {{"name", "log"}, {"_meta", meta_2026()}});
  object meta = meta_2026();
  meta[kMetaLogLevel] = "debug";
  result("tools/call", {{"name", "log"}, {"_meta", meta}});
  auto is_log = [](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/message";
  };
  // Only the second call asked for logs: exactly one message arrived before its answer.
  // (The transport keeps order: every log message of both calls is in before their answers.)
  std::vector<jsonrpc::Message> seen = inbox_.snapshot();
  EXPECT_EQ(std::count_if(seen.begin(), seen.end(), is_log), 1);
}

TEST_F(Stateless, ListenAcknowledgesFirstThenSendsOnlyWhatWasAskedTaggedWithItsId) {
  client_->send(jsonrpc::Request{jsonrpc::Id{std::int64_t{77}}, "subscriptions/listen",
                                 object{{"notifications", {{"toolsListChanged", true}}},
                                        {"_meta", meta_2026()}}},
                {});
  auto ack = inbox_.wait_for([](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/subscriptions/acknowledged";
  });
  ASSERT_TRUE(ack);
  const object& ack_params = std::get<jsonrpc::Notification>(*ack).params.as_object();
  EXPECT_EQ(ack_params.at("_meta").at(kMetaSubscriptionId), 77);
  EXPECT_EQ(ack_params.at("notifications").at("toolsListChanged"), true);
  EXPECT_FALSE(ack_params.at("notifications").as_object().contains("promptsListChanged"));
  server_.add_prompt({.name = "p"}, [](const auto&, RequestContext&) { return GetPromptResult{}; });
  server_.add_tool({.name = "new_tool"},
                   [](const object&, RequestContext&) { return CallToolResult::text("x"); });
  auto changed = inbox_.wait_for([](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/tools/list_changed";
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(std::get<jsonrpc::Notification>(*changed).params.at("_meta").at(kMetaSubscriptionId),
            77);
  // The prompt change went out first, on the same ordered stream, and was not asked for.
  std::vector<jsonrpc::Message> seen = inbox_.snapshot();
  EXPECT_EQ(std::count_if(seen.begin(), seen.end(),
                          [](const jsonrpc::Message& m) {
                            auto* n = std::get_if<jsonrpc::Notification>(&m);
                            return n && n->method == "notifications/prompts/list_changed";
                          }),
            0);
  // Cancelling ends the stream without an answer (MCP cancellation).
  client_->send(jsonrpc::Notification{"notifications/cancelled", object{{"requestId", 77}}}, {});
}

}  // namespace
}  // namespace glassbox::mcp
