// The everything fixtures, in process: glassbox's Client against glassbox's Server over the
// in-memory transport pair, checking the wire shapes the conformance suite checks.

#include "everything_server.hpp"

#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/memory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace glassbox {
namespace {

using json::array;
using json::object;
using namespace std::chrono_literals;

// Collects what the client's callbacks see, from whichever thread they run on.
template <class T>
class Inbox {
 public:
  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    cv_.notify_all();
  }
  // Waits until there are at least n items (or the timeout) and returns a copy of them all.
  std::vector<T> wait_for(std::size_t n, std::chrono::milliseconds timeout = 2s) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return items_.size() >= n; });
    return items_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    items_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<T> items_;
};

class EverythingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    examples::add_everything_fixtures(server_);
    client_ = connect_client(default_client_options());
  }

  mcp::ClientOptions default_client_options() {
    mcp::ClientOptions options{.name = "everything-test", .version = "1.0"};
    options.sampling_handler = [this](const object& params) -> json::value {
      sampling_requests_.push(params);
      return object{{"role", "assistant"},
                    {"content", mcp::content::text("This is a test response from the client")},
                    {"model", "test-model"},
                    {"stopReason", "endTurn"}};
    };
    options.elicitation_handler = [this](const object& params) -> json::value {
      elicitation_requests_.push(params);
      return object{{"action", "accept"},
                    {"content", {{"username", "testuser"}, {"email", "test@example.com"}}}};
    };
    options.on_log = [this](const mcp::LogMessage& log) { logs_.push(log); };
    options.on_notification = [this](const std::string& method, const object& params) {
      notifications_.push({method, params});
    };
    return options;
  }

  std::unique_ptr<mcp::Client> connect_client(mcp::ClientOptions options) {
    auto [client_end, server_end] = transport::make_memory_pair();
    server_.connect(server_end);
    auto client = std::make_unique<mcp::Client>(std::move(options));
    client->connect(client_end);
    return client;
  }

  std::string first_text(const mcp::CallToolResult& result) {
    if (result.content.empty()) return {};
    const json::string* text =
        json::find_string(json::as_object_or_empty(result.content[0]), "text");
    return text ? std::string(*text) : std::string();
  }

  mcp::Server server_{examples::everything_server_options()};
  Inbox<object> sampling_requests_;
  Inbox<object> elicitation_requests_;
  Inbox<mcp::LogMessage> logs_;
  Inbox<std::pair<std::string, object>> notifications_;
  std::unique_ptr<mcp::Client> client_;  // last: closed before the inboxes go
  void TearDown() override { client_.reset(); }
};

TEST_F(EverythingTest, ListsEveryConformanceToolWithDescriptionAndSchema) {
  std::vector<mcp::Tool> tools = client_->list_all_tools();
  std::vector<std::string> names;
  for (const mcp::Tool& tool : tools) {
    names.push_back(tool.name);
    EXPECT_FALSE(tool.description.empty()) << tool.name;
    EXPECT_EQ(tool.input_schema.at("type"), "object") << tool.name;
  }
  for (const char* name :
       {"test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
        "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress",
        "test_error_handling", "test_sampling", "test_elicitation",
        "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums",
        "json_schema_2020_12_tool", "test_reconnection", "echo", "add"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST_F(EverythingTest, JsonSchema2020KeywordsSurviveTheListing) {
  for (const mcp::Tool& tool : client_->list_all_tools()) {
    if (tool.name != "json_schema_2020_12_tool") continue;
    EXPECT_EQ(tool.input_schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
    EXPECT_TRUE(tool.input_schema.at("$defs").as_object().contains("address"));
    EXPECT_EQ(tool.input_schema.at("additionalProperties"), false);
    return;
  }
  FAIL() << "json_schema_2020_12_tool not listed";
}

TEST_F(EverythingTest, SimpleText) {
  mcp::CallToolResult result = client_->call_tool("test_simple_text");
  EXPECT_FALSE(result.is_error);
  ASSERT_EQ(result.content.size(), 1u);
  EXPECT_EQ(result.content[0],
            json::value(mcp::content::text("This is a simple text response for testing.")));
}

TEST_F(EverythingTest, ImageAndAudio) {
  mcp::CallToolResult image = client_->call_tool("test_image_content");
  ASSERT_EQ(image.content.size(), 1u);
  EXPECT_EQ(image.content[0],
            json::value(object{
                {"type", "image"}, {"data", examples::kTinyPngBase64}, {"mimeType", "image/png"}}));
  mcp::CallToolResult audio = client_->call_tool("test_audio_content");
  ASSERT_EQ(audio.content.size(), 1u);
  EXPECT_EQ(audio.content[0],
            json::value(object{
                {"type", "audio"}, {"data", examples::kTinyWavBase64}, {"mimeType", "audio/wav"}}));
}

TEST_F(EverythingTest, EmbeddedResource) {
  mcp::CallToolResult result = client_->call_tool("test_embedded_resource");
  ASSERT_EQ(result.content.size(), 1u);
  EXPECT_EQ(result.content[0],
            json::value(object{{"type", "resource"},
                               {"resource",
                                {{"uri", "test://embedded-resource"},
                                 {"mimeType", "text/plain"},
                                 {"text", "This is an embedded resource content."}}}}));
}

TEST_F(EverythingTest, MultipleContentTypes) {
  mcp::CallToolResult result = client_->call_tool("test_multiple_content_types");
  ASSERT_EQ(result.content.size(), 3u);
  EXPECT_EQ(result.content[0].at("type"), "text");
  EXPECT_EQ(result.content[1].at("type"), "image");
  EXPECT_EQ(result.content[2].at("type"), "resource");
  const json::value& resource = result.content[2].at("resource");
  EXPECT_EQ(resource.at("mimeType"), "application/json");
  EXPECT_EQ(*json::parse(resource.at("text").as_string()),
            json::value(object{{"test", "data"}, {"value", 123}}));
}

TEST_F(EverythingTest, ErrorHandlingIsAToolError) {
  mcp::CallToolResult result = client_->call_tool("test_error_handling");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(first_text(result).find("This tool intentionally returns an error for testing"),
            std::string::npos)
      << first_text(result);
}

TEST_F(EverythingTest, LoggingSendsThreeInfoMessages) {
  client_->set_logging_level(mcp::LogLevel::info);
  mcp::CallToolResult result = client_->call_tool("test_tool_with_logging");
  EXPECT_EQ(first_text(result), "Tool with logging executed successfully");
  std::vector<mcp::LogMessage> logs = logs_.wait_for(3);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].data, "Tool execution started");
  EXPECT_EQ(logs[1].data, "Tool processing data");
  EXPECT_EQ(logs[2].data, "Tool execution completed");
  for (const mcp::LogMessage& log : logs) EXPECT_EQ(log.level, mcp::LogLevel::info);
}

TEST_F(EverythingTest, LoggingLevelFiltersMessages) {
  client_->set_logging_level(mcp::LogLevel::error);
  client_->call_tool("test_tool_with_logging");
  EXPECT_TRUE(logs_.wait_for(1, 200ms).empty());
}

TEST_F(EverythingTest, ProgressZeroFiftyHundred) {
  Inbox<mcp::ProgressUpdate> updates;
  mcp::CallToolResult result =
      client_->call_tool("test_tool_with_progress", {},
                         {.on_progress = [&](const mcp::ProgressUpdate& u) { updates.push(u); }});
  EXPECT_FALSE(result.is_error);
  std::vector<mcp::ProgressUpdate> got = updates.wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].progress, 0);
  EXPECT_EQ(got[1].progress, 50);
  EXPECT_EQ(got[2].progress, 100);
  for (const mcp::ProgressUpdate& u : got) EXPECT_EQ(u.total, 100);
}

TEST_F(EverythingTest, SamplingRoundTrip) {
  mcp::CallToolResult result =
      client_->call_tool("test_sampling", {{"prompt", "Test prompt for sampling"}});
  EXPECT_EQ(first_text(result), "LLM response: This is a test response from the client");
  std::vector<object> requests = sampling_requests_.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("maxTokens"), 100);
  EXPECT_EQ(requests[0].at("messages"),
            json::value(array{object{
                {"role", "user"}, {"content", mcp::content::text("Test prompt for sampling")}}}));
}

TEST_F(EverythingTest, SamplingWithoutTheCapabilityIsAToolError) {
  std::unique_ptr<mcp::Client> plain = connect_client({.name = "plain", .version = "1.0"});
  mcp::CallToolResult result = plain->call_tool("test_sampling", {{"prompt", "hi"}});
  EXPECT_TRUE(result.is_error);
}

TEST_F(EverythingTest, ElicitationRoundTrip) {
  mcp::CallToolResult result =
      client_->call_tool("test_elicitation", {{"message", "Please provide your information"}});
  EXPECT_EQ(
      first_text(result),
      R"(User response: action=accept, content={"username":"testuser","email":"test@example.com"})");
  std::vector<object> requests = elicitation_requests_.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("message"), "Please provide your information");
  const json::value& schema = requests[0].at("requestedSchema");
  EXPECT_EQ(schema.at("required"), json::value(array{"username", "email"}));
}

// The multi round-trip fixtures use the ordinary RequestContext calls: on a 2025-11-25 session
// they are server-to-client requests answered within the call.
TEST_F(EverythingTest, InputRequiredFixturesAskWithRequestsOnASession) {
  mcp::CallToolResult sampled = client_->call_tool("test_input_required_result_sampling");
  EXPECT_EQ(first_text(sampled), "The model said: This is a test response from the client");
  std::vector<object> requests = sampling_requests_.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("maxTokens"), 100);
}

TEST_F(EverythingTest, ElicitationSep1034Defaults) {
  client_->call_tool("test_elicitation_sep1034_defaults");
  std::vector<object> requests = elicitation_requests_.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  const json::value& p = requests[0].at("requestedSchema").at("properties");
  EXPECT_EQ(p.at("name").at("default"), "John Doe");
  EXPECT_EQ(p.at("age").at("type"), "integer");
  EXPECT_EQ(p.at("age").at("default"), 30);
  EXPECT_EQ(p.at("score").at("default"), 95.5);
  EXPECT_EQ(p.at("status").at("default"), "active");
  EXPECT_EQ(p.at("verified").at("default"), true);
}

TEST_F(EverythingTest, ElicitationSep1330Enums) {
  client_->call_tool("test_elicitation_sep1330_enums");
  std::vector<object> requests = elicitation_requests_.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  const json::object& p = requests[0].at("requestedSchema").at("properties").as_object();
  EXPECT_TRUE(p.at("untitledSingle").as_object().contains("enum"));
  EXPECT_TRUE(p.at("titledSingle").as_object().contains("oneOf"));
  EXPECT_EQ(p.at("legacyEnum").at("enumNames").as_array().size(),
            p.at("legacyEnum").at("enum").as_array().size());
  EXPECT_TRUE(p.at("untitledMulti").at("items").as_object().contains("enum"));
  EXPECT_TRUE(p.at("titledMulti").at("items").as_object().contains("anyOf"));
}

TEST_F(EverythingTest, EchoAndTypedAdd) {
  EXPECT_EQ(first_text(client_->call_tool("echo", {{"message", "hi"}})), "Echo: hi");
  mcp::CallToolResult sum = client_->call_tool("add", {{"a", 2}, {"b", 3}});
  EXPECT_EQ(first_text(sum), "The sum of 2 and 3 is 5");
  ASSERT_TRUE(sum.structured_content);
  EXPECT_EQ(*sum.structured_content, json::value(object{{"sum", 5}}));
  EXPECT_TRUE(client_->call_tool("add", {{"a", "two"}, {"b", 3}}).is_error);
}

TEST_F(EverythingTest, ReadsStaticTemplatedAndBinaryResources) {
  mcp::ReadResourceResult text = client_->read_resource("test://static-text");
  ASSERT_EQ(text.contents.size(), 1u);
  EXPECT_EQ(text.contents[0].mime_type, "text/plain");
  EXPECT_EQ(text.contents[0].text, "This is the content of the static text resource.");

  mcp::ReadResourceResult binary = client_->read_resource("test://static-binary");
  ASSERT_EQ(binary.contents.size(), 1u);
  EXPECT_EQ(binary.contents[0].blob, std::string(examples::kTinyPngBase64));

  mcp::ReadResourceResult templated = client_->read_resource("test://template/123/data");
  ASSERT_EQ(templated.contents.size(), 1u);
  EXPECT_EQ(templated.contents[0].uri, "test://template/123/data");
  EXPECT_EQ(
      *json::parse(*templated.contents[0].text),
      json::value(object{{"id", "123"}, {"templateTest", true}, {"data", "Data for ID: 123"}}));
}

TEST_F(EverythingTest, UnknownResourceIsResourceNotFound) {
  try {
    client_->read_resource("test://nothing");
    FAIL() << "expected ProtocolError";
  } catch (const mcp::ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kResourceNotFound);
  }
}

TEST_F(EverythingTest, SubscribedResourceUpdatesAreNotified) {
  // resources/subscribe is 2025-11-25's (2026-07-28 replaced it with subscriptions/listen).
  mcp::ClientOptions options = default_client_options();
  options.revision = mcp::ProtocolRevision::k2025_11_25;
  client_ = connect_client(std::move(options));
  client_->subscribe(examples::kWatchedResourceUri);
  client_->call_tool("update_watched_resource");
  auto got = notifications_.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "notifications/resources/updated");
  EXPECT_EQ(got[0].second.at("uri"), json::value(examples::kWatchedResourceUri));

  client_->unsubscribe(examples::kWatchedResourceUri);
  notifications_.clear();
  client_->call_tool("update_watched_resource");
  EXPECT_TRUE(notifications_.wait_for(1, 200ms).empty());
}

TEST_F(EverythingTest, Prompts) {
  std::vector<mcp::Prompt> prompts = client_->list_all_prompts();
  EXPECT_EQ(prompts.size(), 5u);  // the four of 0.1.16 and test_input_required_result_prompt
  for (const mcp::Prompt& prompt : prompts) EXPECT_FALSE(prompt.description.empty()) << prompt.name;

  mcp::GetPromptResult with_args =
      client_->get_prompt("test_prompt_with_arguments", {{"arg1", "hello"}, {"arg2", "world"}});
  ASSERT_EQ(with_args.messages.size(), 1u);
  EXPECT_EQ(with_args.messages[0].role, "user");
  EXPECT_EQ(json::value(with_args.messages[0].content),
            json::value(mcp::content::text("Prompt with arguments: arg1='hello', arg2='world'")));

  mcp::GetPromptResult embedded = client_->get_prompt("test_prompt_with_embedded_resource",
                                                      {{"resourceUri", "test://example-resource"}});
  ASSERT_EQ(embedded.messages.size(), 2u);
  EXPECT_EQ(embedded.messages[0].content.at("resource").at("uri"), "test://example-resource");

  mcp::GetPromptResult image = client_->get_prompt("test_prompt_with_image");
  ASSERT_EQ(image.messages.size(), 2u);
  EXPECT_EQ(image.messages[0].content.at("type"), "image");
}

TEST_F(EverythingTest, Completion) {
  mcp::CompletionResult prompt =
      client_->complete({.ref = {{"type", "ref/prompt"}, {"name", "test_prompt_with_arguments"}},
                         .argument_name = "arg1",
                         .argument_value = "par"});
  EXPECT_EQ(prompt.values, (std::vector<std::string>{"paris", "park", "party"}));
  mcp::CompletionResult id =
      client_->complete({.ref = {{"type", "ref/resource"}, {"uri", "test://template/{id}/data"}},
                         .argument_name = "id",
                         .argument_value = "1"});
  EXPECT_EQ(id.values, (std::vector<std::string>{"1", "123"}));
}

TEST_F(EverythingTest, ManyConcurrentCallsEachGetTheirOwnAnswer) {
  constexpr int kCalls = 200;
  std::vector<std::future<std::string>> answers;
  for (int i = 0; i < kCalls; ++i) {
    answers.push_back(std::async(std::launch::async, [this, i] {
      return first_text(client_->call_tool("echo", {{"message", "m" + std::to_string(i)}}));
    }));
  }
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(answers[i].get(), "Echo: m" + std::to_string(i));
}

}  // namespace
}  // namespace glassbox
