// The client in MCP 2026-07-28 against a scripted peer: what it sends, byte for byte where it
// matters (server/discover first, the per-request _meta, the headers of each message, the
// retried request of an input_required exchange), and how it falls back to initialize.
#include "glassbox/mcp/client.hpp"
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/transport/memory.hpp"
#include "mcp/param_headers.hpp"
#include "mcp/result_cache.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

namespace glassbox::mcp {
namespace {

using transport::HeaderList;

// The server end of an in-memory pair, answering each request with `reply` (a result, or an
// error; nullopt: no answer at all). Records every message and the headers each client message
// was sent with (the client end is wrapped to see its SendOptions).
class ScriptedPeer {
 public:
  using Reply = std::function<std::optional<Outcome>(const jsonrpc::Request&)>;

  explicit ScriptedPeer(Reply reply) : reply_(std::move(reply)) {
    auto [client_end, server_end] = transport::make_memory_pair();
    server_ = server_end;
    client_ = std::make_shared<Recording>(client_end, this);
    server_->start({.on_message =
                        [this](jsonrpc::Message m, transport::MessageContext) {
                          {
                            // Recorded before the answer goes out: once the client has its answer,
                            // the request is in received().
                            std::lock_guard lock(mutex_);
                            received_.push_back(m);
                          }
                          if (auto* r = std::get_if<jsonrpc::Request>(&m)) {
                            std::optional<Outcome> out = reply_(*r);
                            if (out && out->index() == 0) {
                              server_->send(jsonrpc::Response{r->id, std::get<0>(*out)});
                            } else if (out) {
                              server_->send(jsonrpc::ErrorResponse{r->id, std::get<1>(*out)});
                            }
                          }
                        },
                    .on_close = [this] { closed_.set_value(); }});
  }
  // Callbacks may run until on_close has returned: wait for it, so none outlives this object.
  ~ScriptedPeer() {
    server_->close();
    closed_future_.wait();
  }

  std::shared_ptr<transport::Transport> client_end() { return client_; }
  void notify(std::string method, json::object params) {
    server_->send(jsonrpc::Notification{std::move(method), std::move(params)});
  }

  std::vector<jsonrpc::Message> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<std::string> methods() {
    std::vector<std::string> out;
    for (auto& m : received()) {
      if (auto* r = std::get_if<jsonrpc::Request>(&m)) out.push_back(r->method);
      if (auto* n = std::get_if<jsonrpc::Notification>(&m)) out.push_back(n->method);
    }
    return out;
  }
  std::vector<jsonrpc::Request> requests(std::string_view method) {
    std::vector<jsonrpc::Request> out;
    for (auto& m : received())
      if (auto* r = std::get_if<jsonrpc::Request>(&m); r && r->method == method) out.push_back(*r);
    return out;
  }
  std::vector<HeaderList> headers() {
    std::lock_guard lock(mutex_);
    return headers_;
  }

 private:
  class Recording : public transport::Transport {
   public:
    Recording(std::shared_ptr<Transport> inner, ScriptedPeer* peer)
        : inner_(std::move(inner)), peer_(peer) {}
    void start(transport::Callbacks c) override { inner_->start(std::move(c)); }
    bool send(const jsonrpc::Message& m, const transport::SendOptions& o) override {
      {
        std::lock_guard lock(peer_->mutex_);
        peer_->headers_.push_back(o.headers);
      }
      return inner_->send(m, o);
    }
    void close() override { inner_->close(); }

   private:
    std::shared_ptr<Transport> inner_;
    ScriptedPeer* peer_;
  };

  Reply reply_;
  std::shared_ptr<transport::Transport> server_;
  std::shared_ptr<transport::Transport> client_;
  std::mutex mutex_;
  std::vector<jsonrpc::Message> received_;
  std::vector<HeaderList> headers_;
  std::promise<void> closed_;
  std::future<void> closed_future_ = closed_.get_future();
};

json::object discover_result() {
  return {{"resultType", "complete"},
          {"supportedVersions", json::array{"2026-07-28"}},
          {"capabilities",
           {{"tools", json::object{}},
            {"extensions", {{kServerExecutionTelemetryExtension, json::object{}}}}}},
          {"serverInfo", {{"name", "scripted"}, {"version", "9"}}},
          {"instructions", "be brief"}};
}

json::object text_result(std::string text) {
  return {{"resultType", "complete"},
          {"content", json::array{json::object{{"type", "text"}, {"text", std::move(text)}}}}};
}

std::optional<std::string> header(const HeaderList& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return std::nullopt;
}

const json::object& meta_of(const jsonrpc::Request& r) {
  return *json::find_object(json::as_object_or_empty(r.params), "_meta");
}

TEST(ClientStateless, DiscoversAndSendsPerRequestMetaWithoutInitialize) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    if (r.method == "tools/call") return text_result("ok");
    return jsonrpc::Error{-32601, "method not found", nullptr};
  });
  ClientOptions options{.name = "probe", .version = "1.2"};
  options.elicitation_handler = [](const json::object&) -> json::value { return {}; };
  Client client(options);
  const InitializeResult& init = client.connect(peer.client_end());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(init.protocol_version, "2026-07-28");
  EXPECT_EQ(init.server_info.name, "scripted");
  EXPECT_EQ(init.instructions, "be brief");
  EXPECT_TRUE(json::find_object(init.capabilities, "extensions")
                  ->contains(kServerExecutionTelemetryExtension));
  client.set_logging_level(LogLevel::warning);  // no request in 2026-07-28: it rides in _meta
  client.call_tool("echo", {{"message", "hi"}});
  EXPECT_EQ(peer.methods(), (std::vector<std::string>{"server/discover", "tools/call"}));

  for (const auto* method : {"server/discover", "tools/call"}) {
    const jsonrpc::Request request = peer.requests(method).at(0);
    const json::object& meta = meta_of(request);
    EXPECT_EQ(meta.at(kMetaProtocolVersion), "2026-07-28") << method;
    EXPECT_EQ(json::serialize(meta.at(kMetaClientInfo)), R"({"name":"probe","version":"1.2"})");
    EXPECT_EQ(json::serialize(meta.at(kMetaClientCapabilities)), R"({"elicitation":{}})");
  }
  EXPECT_FALSE(meta_of(peer.requests("server/discover").at(0)).contains(kMetaLogLevel));
  EXPECT_EQ(meta_of(peer.requests("tools/call").at(0)).at(kMetaLogLevel), "warning");

  // The headers of each message: version and method always, the tool's name on tools/call.
  auto headers = peer.headers();
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(header(headers[0], kHeaderProtocolVersion), "2026-07-28");
  EXPECT_EQ(header(headers[0], kHeaderMethod), "server/discover");
  EXPECT_EQ(header(headers[0], kHeaderName), std::nullopt);
  EXPECT_EQ(header(headers[1], kHeaderMethod), "tools/call");
  EXPECT_EQ(header(headers[1], kHeaderName), "echo");
}

// The constant members of _meta are kept from one call for the next (client_stateless.cpp): every
// request still carries them exactly, and nothing of an earlier call's own _meta.
TEST(ClientStateless, EveryRequestCarriesTheSameMetaAndNothingOfAnEarlierCall) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    return text_result("ok");
  });
  Client client({.name = "probe", .version = "1.2"});
  client.connect(peer.client_end());
  const std::string constant =
      R"({"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
      R"("io.modelcontextprotocol/clientCapabilities":{},)"
      R"("io.modelcontextprotocol/clientInfo":{"name":"probe","version":"1.2"}})";
  auto call_async = [&](const CallOptions& options) {
    std::promise<Client::CallToolOutcome> done;
    client.call_tool_async("echo", {}, options,
                           [&](Client::CallToolOutcome o) { done.set_value(std::move(o)); });
    EXPECT_EQ(done.get_future().get().index(), 0u);
  };
  client.call_tool("echo", {});
  client.call_tool("echo", {}, {.meta = {{"x", 1}}});
  call_async({});
  client.call_tool("echo", {}, {.on_progress = [](const ProgressUpdate&) {}});
  call_async({.meta = {{"y", 2}}});
  client.call_tool("echo", {});
  call_async({});
  client.set_logging_level(LogLevel::warning);
  client.call_tool("echo", {});
  std::vector<jsonrpc::Request> calls = peer.requests("tools/call");
  ASSERT_EQ(calls.size(), 8u);
  std::vector<std::string> metas;
  for (const jsonrpc::Request& r : calls) metas.push_back(json::serialize(meta_of(r)));
  for (std::size_t i : {0u, 2u, 5u, 6u}) EXPECT_EQ(metas[i], constant) << i;
  // A call's own members come first (merged before the constant ones), the progress token last.
  EXPECT_EQ(metas[1], R"({"x":1,)" + constant.substr(1));
  EXPECT_EQ(metas[3], constant.substr(0, constant.size() - 1) + R"(,"progressToken":4})");
  EXPECT_EQ(metas[4], R"({"y":2,)" + constant.substr(1));
  EXPECT_EQ(metas[7], constant.substr(0, constant.size() - 1) +
                          R"(,"io.modelcontextprotocol/logLevel":"warning"})");
}

TEST(ClientStateless, FallsBackToInitializeForA2025Server) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == "initialize") {
      return json::object{{"protocolVersion", "2025-11-25"},
                          {"capabilities", {{"tools", json::object{}}}},
                          {"serverInfo", {{"name", "old"}, {"version", "1"}}}};
    }
    if (r.method == "tools/call") return text_result("ok");
    return jsonrpc::Error{-32601, "method not found: " + r.method, nullptr};
  });
  Client client;
  client.connect(peer.client_end());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2025_11_25);
  client.call_tool("echo");
  EXPECT_EQ(peer.methods(), (std::vector<std::string>{"server/discover", "initialize",
                                                      "notifications/initialized", "tools/call"}));
  // Nothing of 2026-07-28 after the fallback: no _meta keys, no headers.
  EXPECT_FALSE(
      json::as_object_or_empty(peer.requests("tools/call").at(0).params).contains("_meta"));
  EXPECT_TRUE(peer.headers().back().empty());
}

// A 2025-era stdio server that exits on a method it does not know before initialize: the
// probe costs its life, so connect(factory) opens a second connection for initialize.
TEST(ClientStateless, AServerThatExitsOnTheProbeIsStartedAgainForInitialize) {
  auto [probe_client, probe_server] = transport::make_memory_pair();
  std::promise<std::string> probed;
  std::promise<void> exited;
  probe_server->start(
      {.on_message =
           [&, server = probe_server.get()](jsonrpc::Message m, transport::MessageContext) {
             if (auto* r = std::get_if<jsonrpc::Request>(&m)) probed.set_value(r->method);
             std::thread([server] { server->close(); }).detach();  // as if the process exited
           },
       .on_close = [&] { exited.set_value(); }});
  ScriptedPeer second([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == "initialize")
      return json::object{{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}};
    return text_result("ok");
  });
  int opened = 0;
  Client client;
  // Captured by name, not through the structured binding (which clang 14 cannot capture).
  client.connect([&, first = probe_client]() -> std::shared_ptr<transport::Transport> {
    ++opened;
    return opened == 1 ? first : second.client_end();
  });
  EXPECT_EQ(opened, 2);
  EXPECT_EQ(probed.get_future().get(), kMethodServerDiscover);
  EXPECT_EQ(client.revision(), ProtocolRevision::k2025_11_25);
  client.call_tool("echo");
  EXPECT_EQ(second.methods(),
            (std::vector<std::string>{"initialize", "notifications/initialized", "tools/call"}));
  exited.get_future().wait();
}

// A server that refuses the probe but stays up costs one connection only; so does a plain
// transport, which has no second one to give.
TEST(ClientStateless, ARefusedProbeKeepsTheConnection) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == "initialize")
      return json::object{{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}};
    return jsonrpc::Error{-32601, "method not found: " + r.method, nullptr};
  });
  int opened = 0;
  Client client;
  client.connect([&] {
    ++opened;
    return peer.client_end();
  });
  EXPECT_EQ(opened, 1);
  EXPECT_EQ(client.revision(), ProtocolRevision::k2025_11_25);
}

TEST(ClientStateless, AnUnansweredDiscoverFallsBackAfterTheProbeTimeout) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return std::nullopt;  // a server that ignores it
    if (r.method == "initialize")
      return json::object{{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}};
    return json::object{};
  });
  Client client({.discover_timeout = std::chrono::milliseconds(200)});
  auto started = std::chrono::steady_clock::now();
  client.connect(peer.client_end());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2025_11_25);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

TEST(ClientStateless, ALateDiscoverAnswerIsRecoveredWhenInitializeIsRefused) {
  // The first server/discover goes unanswered within the probe's time (a slow start); the server
  // answered it afterwards, now serves 2026-07-28 and refuses initialize with -32022.
  std::atomic<int> discovers{0};
  ScriptedPeer peer([&](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) {
      if (discovers++ == 0) return std::nullopt;
      return discover_result();
    }
    if (r.method == "initialize") {
      return jsonrpc::Error{kUnsupportedProtocolVersion,
                            "connection is serving the 2026-07-28 protocol", nullptr};
    }
    return text_result("ok");
  });
  Client client({.discover_timeout = std::chrono::milliseconds(200)});
  client.connect(peer.client_end());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(peer.methods(), (std::vector<std::string>{"server/discover", "notifications/cancelled",
                                                      "initialize", "server/discover"}));
}

TEST(ClientStateless, UnsupportedVersionListingOnlySessionVersionsFallsBackOrFailsWhenPinned) {
  auto reply = [](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) {
      return jsonrpc::Error{
          kUnsupportedProtocolVersion, "unsupported protocol version",
          json::object{{"supported", json::array{"2025-11-25"}}, {"requested", "2026-07-28"}}};
    }
    return json::object{{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}};
  };
  ScriptedPeer auto_peer(reply);
  Client automatic;
  automatic.connect(auto_peer.client_end());
  EXPECT_EQ(automatic.revision(), ProtocolRevision::k2025_11_25);

  ScriptedPeer pinned_peer(reply);
  Client pinned({.revision = ProtocolRevision::k2026_07_28});
  try {
    pinned.connect(pinned_peer.client_end());
    FAIL() << "a pinned 2026-07-28 client connected to a server that refuses it";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("2025-11-25"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pinned_peer.methods(), std::vector<std::string>{"server/discover"});
}

TEST(ClientStateless, RetriesDiscoverOnceWhenTheRefusalListsItsVersion) {
  int refusals = 0;
  ScriptedPeer peer([&](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (refusals++ == 0) {
      return jsonrpc::Error{kUnsupportedProtocolVersion, "unsupported",
                            json::object{{"supported", json::array{"2026-07-28"}}}};
    }
    if (r.method == kMethodServerDiscover) return discover_result();
    return json::object{};
  });
  Client client;
  client.connect(peer.client_end());
  EXPECT_EQ(client.revision(), ProtocolRevision::k2026_07_28);
  EXPECT_EQ(peer.requests(kMethodServerDiscover).size(), 2u);
}

TEST(ClientStateless, AnswersInputRequiredWithTheHandlersAndEchoesTheState) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    const json::object& p = json::as_object_or_empty(r.params);
    if (!p.contains(kInputResponsesField)) {
      return json::object{
          {"resultType", "input_required"},
          {"inputRequests",
           {{"confirm",
             {{"method", "elicitation/create"},
              {"params", {{"message", "sure?"}, {"requestedSchema", json::object{}}}}}},
            {"where", {{"method", "roots/list"}}},
            {"llm", {{"method", "sampling/createMessage"}, {"params", {{"maxTokens", 5}}}}}}},
          {"requestState", "opaque-1 {\"x\":1}"}};
    }
    return text_result("done");
  });
  ClientOptions options;
  options.elicitation_handler = [](const json::object& p) -> json::value {
    return json::object{{"action", "accept"}, {"content", {{"said", p.at("message")}}}};
  };
  options.roots_handler = [] { return std::vector<json::object>{{{"uri", "file:///w"}}}; };
  options.sampling_handler = [](const json::object&) -> json::value {
    return json::object{{"role", "assistant"}, {"model", "m"}};
  };
  Client client(options);
  client.connect(peer.client_end());
  CallToolResult result = client.call_tool("deploy", {{"env", "prod"}});
  EXPECT_EQ(json::serialize(result.to_json().at("content")), R"([{"type":"text","text":"done"}])");

  auto calls = peer.requests("tools/call");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[0].id, calls[1].id);  // a retry is a new request
  json::object retry = json::as_object_or_empty(calls[1].params);
  EXPECT_EQ(json::serialize(retry.at("arguments")), R"({"env":"prod"})");
  EXPECT_EQ(json::serialize(retry.at(kInputResponsesField)),
            R"({"confirm":{"action":"accept","content":{"said":"sure?"}},)"
            R"("where":{"roots":[{"uri":"file:///w"}]},)"
            R"("llm":{"role":"assistant","model":"m"}})");
  EXPECT_EQ(retry.at(kRequestStateField), "opaque-1 {\"x\":1}");  // byte for byte
  EXPECT_EQ(meta_of(calls[1]).at(kMetaProtocolVersion), "2026-07-28");
}

TEST(ClientStateless, InputRequiredRoundsAreBounded) {
  std::atomic<int> calls{0};
  ScriptedPeer peer([&](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    ++calls;
    return json::object{{"resultType", "input_required"}, {"requestState", "again"}};
  });
  Client client({.max_input_rounds = 3});
  client.connect(peer.client_end());
  try {
    client.call_tool("loop");
    FAIL() << "an endless input_required exchange ended";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("after 3 rounds"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls.load(), 4);  // the first request and three retries
  // Without requestState on a retry that asked for nothing, the state is not invented.
  auto retried = json::as_object_or_empty(peer.requests("tools/call").back().params);
  EXPECT_EQ(retried.at(kRequestStateField), "again");
  EXPECT_FALSE(retried.contains(kInputResponsesField));
}

// call_tool_async takes the same rounds, with the handlers on the thread of its completion, and
// the same bound.
TEST(ClientStateless, AnAsynchronousCallRunsTheSameInputRequiredRounds) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    const json::object& p = json::as_object_or_empty(r.params);
    if (json::find_string(p, "name") && *json::find_string(p, "name") == "loop")
      return json::object{{"resultType", "input_required"}, {"requestState", "again"}};
    if (!p.contains(kInputResponsesField)) {
      return json::object{{"resultType", "input_required"},
                          {"inputRequests",
                           {{"confirm",
                             {{"method", "elicitation/create"},
                              {"params", {{"message", "sure?"}, {"requestedSchema", {}}}}}}}},
                          {"requestState", "opaque-2"}};
    }
    return text_result("done");
  });
  ClientOptions options;
  options.max_input_rounds = 2;
  options.elicitation_handler = [](const json::object& p) -> json::value {
    return json::object{{"action", "accept"}, {"content", {{"said", p.at("message")}}}};
  };
  Client client(options);
  client.connect(peer.client_end());
  std::promise<Client::CallToolOutcome> deployed, looped;
  client.call_tool_async("deploy", {{"env", "prod"}}, {},
                         [&](Client::CallToolOutcome o) { deployed.set_value(std::move(o)); });
  client.call_tool_async("loop", {}, {},
                         [&](Client::CallToolOutcome o) { looped.set_value(std::move(o)); });
  auto deployed_outcome = deployed.get_future();
  auto looped_outcome = looped.get_future();
  ASSERT_EQ(deployed_outcome.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(looped_outcome.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Client::CallToolOutcome d = deployed_outcome.get();
  ASSERT_EQ(d.index(), 0u) << std::get<1>(d).message;
  EXPECT_EQ(json::serialize(std::get<0>(d).to_json().at("content")),
            R"([{"type":"text","text":"done"}])");
  Client::CallToolOutcome l = looped_outcome.get();
  ASSERT_EQ(l.index(), 1u);
  EXPECT_NE(std::get<1>(l).message.find("after 2 rounds"), std::string::npos);

  std::vector<jsonrpc::Request> retries;
  for (auto& call : peer.requests("tools/call")) {
    const json::object& p = json::as_object_or_empty(call.params);
    if (p.contains(kInputResponsesField)) retries.push_back(call);
  }
  ASSERT_EQ(retries.size(), 1u);
  json::object retry = json::as_object_or_empty(retries[0].params);
  EXPECT_EQ(json::serialize(retry.at("arguments")), R"({"env":"prod"})");
  EXPECT_EQ(json::serialize(retry.at(kInputResponsesField)),
            R"({"confirm":{"action":"accept","content":{"said":"sure?"}}})");
  EXPECT_EQ(retry.at(kRequestStateField), "opaque-2");
  EXPECT_EQ(meta_of(retries[0]).at(kMetaProtocolVersion), "2026-07-28");
  EXPECT_EQ(peer.requests("tools/call").size(), 2u + 3u);  // deploy twice, loop 1 + 2 rounds
}

TEST(ClientStateless, InputRequestWithoutAHandlerFailsTheCall) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    return json::object{{"resultType", "input_required"},
                        {"inputRequests", {{"a", {{"method", "sampling/createMessage"}}}}}};
  });
  Client client;
  client.connect(peer.client_end());
  try {
    client.call_tool("t");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.error().code, jsonrpc::error_code::kMethodNotFound);
  }
  EXPECT_EQ(peer.requests("tools/call").size(), 1u);
}

TEST(ClientStateless, HonoursTtlAndDropsWhatAListChangedMakesStale) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    if (r.method == "tools/list") {
      return json::object{{"resultType", "complete"},
                          {"ttlMs", 600000},
                          {"cacheScope", "private"},
                          {"tools", json::array{json::object{
                                        {"name", "a"}, {"inputSchema", {{"type", "object"}}}}}}};
    }
    if (r.method == "prompts/list") {  // ttlMs 0: never kept
      return json::object{{"resultType", "complete"}, {"ttlMs", 0}, {"prompts", json::array{}}};
    }
    return json::object{};
  });
  Client client;
  client.connect(peer.client_end());
  EXPECT_EQ(client.list_all_tools().size(), 1u);
  EXPECT_EQ(client.list_all_tools().size(), 1u);
  EXPECT_EQ(peer.requests("tools/list").size(), 1u);
  client.list_all_prompts();
  client.list_all_prompts();
  EXPECT_EQ(peer.requests("prompts/list").size(), 2u);

  // The server writes the notification before the ping's answer, and the client reads in
  // order: once ping() returns, the notification has reached the cache.
  peer.notify("notifications/tools/list_changed", {});
  client.ping();
  client.list_all_tools();
  EXPECT_EQ(peer.requests("tools/list").size(), 2u);
}

TEST(ClientStateless, MirrorsAnnotatedArgumentsAndLeavesOutToolsWithBrokenAnnotations) {
  ScriptedPeer peer([](const jsonrpc::Request& r) -> std::optional<Outcome> {
    if (r.method == kMethodServerDiscover) return discover_result();
    if (r.method == "tools/list") {
      auto prop = [](std::string type, std::string name) {
        return json::object{{"type", std::move(type)}, {"x-mcp-header", std::move(name)}};
      };
      json::array tools{
          json::object{{"name", "good"},
                       {"inputSchema",
                        {{"type", "object"},
                         {"properties",
                          {{"region", prop("string", "Region")},
                           {"n", prop("integer", "N")},
                           {"on", prop("boolean", "On")},
                           {"text", prop("string", "Text")},
                           {"plain", {{"type", "string"}}}}}}}},
          json::object{
              {"name", "number"},
              {"inputSchema", {{"type", "object"}, {"properties", {{"x", prop("number", "X")}}}}}},
          json::object{
              {"name", "twice"},
              {"inputSchema",
               {{"type", "object"},
                {"properties", {{"a", prop("string", "Same")}, {"b", prop("string", "same")}}}}}},
          json::object{{"name", "in_items"},
                       {"inputSchema",
                        {{"type", "object"},
                         {"properties",
                          {{"list", {{"type", "array"}, {"items", prop("string", "Item")}}}}}}}}};
      return json::object{{"resultType", "complete"}, {"tools", std::move(tools)}};
    }
    return text_result("ok");
  });
  Client client;
  client.connect(peer.client_end());
  auto tools = client.list_all_tools();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].name, "good");
  client.call_tool("good", {{"region", "us-west1"},
                            {"n", 42},
                            {"on", false},
                            {"text", " Hello, 世界"},
                            {"plain", "not mirrored"}});
  client.call_tool("good", {{"region", nullptr}, {"n", 1}});
  auto headers = peer.headers();
  const HeaderList& full = headers[headers.size() - 2];
  EXPECT_EQ(header(full, "Mcp-Param-Region"), "us-west1");
  EXPECT_EQ(header(full, "Mcp-Param-N"), "42");
  EXPECT_EQ(header(full, "Mcp-Param-On"), "false");
  EXPECT_EQ(header(full, "Mcp-Param-Text"), "=?base64?IEhlbGxvLCDkuJbnlYw=?=");
  EXPECT_EQ(header(full, "Mcp-Param-Plain"), std::nullopt);
  const HeaderList& partial = headers.back();
  EXPECT_EQ(header(partial, "Mcp-Param-Region"), std::nullopt);  // null: omitted
  EXPECT_EQ(header(partial, "Mcp-Param-N"), "1");
}

TEST(ParamHeaders, EncodesWhatAHeaderCannotCarryAndDecodesItBack) {
  EXPECT_EQ(encode_header_value("us west 1"), "us west 1");
  EXPECT_EQ(encode_header_value(""), "");
  EXPECT_EQ(encode_header_value("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
  EXPECT_EQ(encode_header_value("\tx"), "=?base64?CXg=?=");
  EXPECT_EQ(encode_header_value("x "), "=?base64?eCA=?=");
  // A literal shaped like the encoded form is encoded, so that it reads back as itself.
  EXPECT_EQ(decode_header_value(encode_header_value("=?base64?abc?=")), "=?base64?abc?=");
  EXPECT_EQ(decode_header_value("=?base64?IEhlbGxvLCDkuJbnlYw=?="), " Hello, 世界");
  EXPECT_EQ(decode_header_value("=?base64?***?="), std::nullopt);
  EXPECT_EQ(header_text(json::value(3.0)), "3");
  EXPECT_EQ(header_text(json::value(nullptr)), std::nullopt);
}

TEST(ParamHeaders, RefusesNamesThatAreNotTokens) {
  for (const char* bad : {"", "My Region", "Region:Primary", "Région", "Region\t1"}) {
    json::object schema{{"properties", {{"v", {{"type", "string"}, {"x-mcp-header", bad}}}}}};
    EXPECT_EQ(read_param_headers(schema).index(), 1u) << bad;
  }
  json::object nested{
      {"properties",
       {{"outer",
         {{"type", "object"},
          {"properties", {{"inner", {{"type", "string"}, {"x-mcp-header", "Inner"}}}}}}}}}};
  auto read = read_param_headers(nested);
  ASSERT_EQ(read.index(), 0u);
  EXPECT_EQ(std::get<0>(read).at(0).path, (std::vector<std::string>{"outer", "inner"}));
}

// The server's side of SEP-2243: a nested annotated argument is found through its path, header
// names ignore case, and the last header of a repeated name is the one compared.
TEST(ParamHeaders, ChecksHeadersAgainstNestedArguments) {
  std::vector<ParamHeader> annotations{{"Inner", {"outer", "inner"}}};
  json::object arguments{{"outer", {{"inner", true}}}};
  using Views = std::vector<std::pair<std::string_view, std::string_view>>;
  EXPECT_EQ(check_param_headers(annotations, arguments, Views{{"mcp-param-inner", "true"}}),
            std::nullopt);
  EXPECT_EQ(check_param_headers(annotations, arguments, Views{{"Mcp-Param-Inner", "1"}}),
            "Mcp-Param-Inner header does not match params.arguments");
  EXPECT_EQ(check_param_headers(annotations, arguments, Views{}),
            "missing Mcp-Param-Inner header (params.arguments has its value)");
  // An object or null argument has no header text: no header is expected, and none is allowed.
  EXPECT_EQ(check_param_headers(annotations, {{"outer", {{"inner", nullptr}}}}, Views{}),
            std::nullopt);
  EXPECT_EQ(check_param_headers(annotations, {{"outer", "flat"}}, Views{{"Mcp-Param-Inner", "x"}}),
            "Mcp-Param-Inner header has no value in params.arguments to agree with");
}

TEST(ResultCache, KeepsForTtlAndNotPastIt) {
  ResultCache cache(2);
  auto t0 = ResultCache::Clock::now();
  json::object result{{"ttlMs", 1000}, {"cacheScope", "public"}, {"tools", json::array{}}};
  cache.put("tools/list", {{"_meta", {{"k", 1}}}}, result, t0);
  // _meta is not part of the key.
  EXPECT_TRUE(cache.get("tools/list", {}, t0 + std::chrono::milliseconds(999)));
  EXPECT_FALSE(cache.get("tools/list", {}, t0 + std::chrono::milliseconds(1000)));
  cache.put("tools/call", {}, result, t0);  // not a cacheable method
  cache.put("tools/list", {}, json::object{{"ttlMs", 1000}, {"cacheScope", "shared"}}, t0);
  EXPECT_EQ(cache.size(), 0u);
  // Bounded: the third entry pushes out the one closest to expiry.
  cache.put("resources/read", {{"uri", "a"}}, json::object{{"ttlMs", 10}}, t0);
  cache.put("resources/read", {{"uri", "b"}}, json::object{{"ttlMs", 1000}}, t0);
  cache.put("resources/read", {{"uri", "c"}}, json::object{{"ttlMs", 1000}}, t0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get("resources/read", {{"uri", "a"}}, t0));
  cache.on_notification("notifications/resources/updated", {{"uri", "b"}});
  EXPECT_FALSE(cache.get("resources/read", {{"uri", "b"}}, t0));
  EXPECT_TRUE(cache.get("resources/read", {{"uri", "c"}}, t0));
}

}  // namespace
}  // namespace glassbox::mcp
