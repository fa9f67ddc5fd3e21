// Bad-input catalogue (docs/bad-input.md), client rows B90-B99: what a hostile or broken server
// sends back to glassbox's client, over the real wire bytes of stdio and Streamable HTTP. The
// tool result comes back at once with hostile telemetry dropped while read (C8); a reply that
// cannot be recovered fails its call at once, never by timeout, and the connection serves on.
#include "hardening/bad_input_util.hpp"

#include "glassbox/jsonrpc/envelope.hpp"

#include <cmath>
#include <limits>

namespace glassbox::hardening {
namespace {

using Clock = std::chrono::steady_clock;

// Generous: the point is "at once", not after the client's 30 s timeout.
constexpr auto kAtOnce = 10s;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One span under the caller, with the given attributes.
json::value one_span(const trace::SpanContext& caller, json::array attributes) {
  json::object span = span_json(caller.trace_id.to_hex(), new_span_id(), caller.span_id.to_hex());
  span["attributes"] = std::move(attributes);
  return envelope(json::array{std::move(span)});
}

// Arrays nested `levels` deep around an empty one: [[[...]]].
json::value nested_arrays(std::size_t levels) {
  json::value v = json::array{};
  for (std::size_t i = 1; i < levels; ++i) v = json::array{std::move(v)};
  return v;
}

// An OTLP attribute value nested `levels` JSON levels deep (arrayValue.values[...], 3 a step).
json::value nested_attribute_value(std::size_t levels) {
  json::value v = json::object{{"stringValue", "bottom"}};
  for (std::size_t i = 0; i < levels / 3; ++i)
    v = json::object{{"arrayValue", json::object{{"values", json::array{std::move(v)}}}}};
  return v;
}

struct Hostile {
  const char* what;
  Forge forge;
};

std::vector<Hostile> hostile_passbacks() {
  return {
      {"one 20 MB attribute",
       [](const trace::SpanContext& caller) {
         return one_span(caller, json::array{json::object{
                                     {"key", "blob"},
                                     {"value", {{"stringValue", std::string(20'000'000, 'x')}}}}});
       }},
      {"50,000 spans",
       [](const trace::SpanContext& caller) {
         json::array spans;
         for (int i = 0; i < 50'000; ++i) {
           spans.push_back(
               span_json(caller.trace_id.to_hex(), new_span_id(), caller.span_id.to_hex()));
         }
         return json::value(envelope(std::move(spans)));
       }},
      {"resourceSpans nested 5,000 levels",
       [](const trace::SpanContext&) {
         return json::value(json::object{{"resourceSpans", nested_arrays(5000)}});
       }},
      {"an attribute value nested 5,000 levels",
       [](const trace::SpanContext& caller) {
         return one_span(caller, json::array{json::object{
                                     {"key", "deep"}, {"value", nested_attribute_value(5000)}}});
       }},
  };
}

void expect_result_at_once_and_telemetry_dropped(Wire wire) {
  for (const Hostile& h : hostile_passbacks()) {
    SCOPED_TRACE(h.what);
    ForgingServer s(h.forge, {}, wire);
    Clock::time_point start = Clock::now();
    mcp::StitchedTrace t = s.call_and_expect_result_intact();
    double took = seconds_since(start);
    EXPECT_LT(took, std::chrono::duration<double>(kAtOnce).count());
    EXPECT_TRUE(t.report.discarded);
    EXPECT_TRUE(t.server_spans.empty());
    // Which bound: bytes for the first two, nesting for the others (dropped while read; a
    // smaller payload would reach the ingest's own bounds, C3).
    EXPECT_NE(t.report.reason.find("dropped while read"), std::string::npos) << t.report.reason;
    std::printf("[ measure ] %s: result in %.2f s; %s\n", h.what, took, t.report.reason.c_str());
    // The connection goes on: the next call is answered as usual.
    s.call_and_expect_result_intact();
  }
}

}  // namespace

TEST(Client, B90_HostilePassbackIsDroppedWhileReadOverStdio) {  // covers C3, C8
  expect_result_at_once_and_telemetry_dropped(Wire::stdio);
}

TEST(Client, B91_HostilePassbackIsDroppedWhileReadOverHttp) {  // covers C3, C8
  expect_result_at_once_and_telemetry_dropped(Wire::http);
}

namespace {

// A server that speaks in raw lines over stdio, for answers no glassbox server writes: `answer`
// gives the line for each request but initialize and ping (which it answers itself), with the
// request's id as JSON text. Every line the client sent is kept.
class RawLineServer {
 public:
  using Answer = std::function<std::string(const std::string& method, const std::string& id)>;

  explicit RawLineServer(Answer answer) : answer_(std::move(answer)) {
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(to_client_), 0);
    thread_ = std::thread([this] { serve(); });
    client_ = std::make_unique<mcp::Client>(mcp::ClientOptions{.request_timeout = 30s});
    client_->connect(
        transport::make_stdio_transport({.read_fd = to_client_[0], .write_fd = to_server_[1]}));
  }
  ~RawLineServer() {
    client_.reset();
    ::close(to_server_[1]);  // the server sees end of input
    thread_.join();
    for (int fd : {to_server_[0], to_client_[0], to_client_[1]}) ::close(fd);
  }

  mcp::Client& client() { return *client_; }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    std::string buffer;
    char chunk[64 * 1024];
    for (;;) {
      ssize_t n = ::read(to_server_[0], chunk, sizeof chunk);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        answer(line);
      }
    }
  }

  void answer(const std::string& line) {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    std::optional<json::value> v = json::parse(line);
    if (!v || !v->is_object() || !v->get_object().contains("id")) return;
    const json::object& o = v->get_object();
    std::string id = json::serialize(o.at("id"));
    const json::string* method = json::find_string(o, "method");
    if (method == nullptr) return;
    std::string reply;
    if (*method == "initialize") {
      reply = R"({"jsonrpc":"2.0","id":)" + id +
              R"(,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},)"
              R"("serverInfo":{"name":"raw","version":"1.0"}}})";
    } else if (*method == "ping") {
      reply = R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":{}})";
    } else {
      reply = answer_(std::string(*method), id);
    }
    reply += '\n';
    for (std::size_t done = 0; done < reply.size();) {
      ssize_t n = ::write(to_client_[1], reply.data() + done, reply.size() - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  Answer answer_;
  int to_server_[2] = {-1, -1};
  int to_client_[2] = {-1, -1};
  std::thread thread_;
  std::unique_ptr<mcp::Client> client_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Calls a tool and expects it to fail at once with a ProtocolError whose message has `needle`;
// then the connection serves a ping.
void expect_call_fails_at_once(mcp::Client& client, const std::string& needle) {
  Clock::time_point start = Clock::now();
  try {
    client.call_tool("work");
    ADD_FAILURE() << "the call did not fail";
  } catch (const mcp::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    std::printf("[ measure ] failed in %.3f s: %s\n", seconds_since(start), e.what());
  }
  EXPECT_LT(seconds_since(start), std::chrono::duration<double>(kAtOnce).count());
  client.ping();
}

std::string result_line(const std::string& id, const std::string& result) {
  return R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":)" + result + "}";
}

}  // namespace

TEST(Client, B92_AReplyTooDeepOutsideItsTelemetryFailsItsCallAtOnceOverStdio) {  // covers C8
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  RawLineServer s([&](const std::string&, const std::string& id) {
    return result_line(id, R"({"content":[],"structuredContent":{"v":)" + deep + "}}");
  });
  expect_call_fails_at_once(s.client(), "invalid response: parse error");
}

TEST(Client, B93_AReplyTooLargeOutsideItsTelemetryFailsItsCallAtOnceOverStdio) {  // covers C8
  RawLineServer s([](const std::string&, const std::string& id) {
    return result_line(id, R"({"content":[{"type":"text","text":")" +
                               std::string(5 * 1024 * 1024, 'x') + R"("}]})");
  });
  expect_call_fails_at_once(s.client(), "exceeds the limit of 4194304 bytes");
}

TEST(Client, B94_AReplyTooLargeOrTooDeepFailsItsCallAtOnceOverHttp) {  // covers C8
  ForgingServer s([](const trace::SpanContext&) { return json::value(json::object{}); }, {},
                  Wire::http);
  s.server().add_tool({.name = "huge"}, [](const json::object&, mcp::RequestContext&) {
    return mcp::CallToolResult::text(std::string(5 * 1024 * 1024, 'x'));
  });
  s.server().add_tool({.name = "deep"}, [](const json::object&, mcp::RequestContext&) {
    mcp::CallToolResult r = mcp::CallToolResult::text("deep");
    r.structured_content = json::object{{"v", nested_arrays(5000)}};
    return r;
  });
  for (const char* tool : {"huge", "deep"}) {
    Clock::time_point start = Clock::now();
    try {
      s.client().call_tool(tool);
      ADD_FAILURE() << tool << " did not fail";
    } catch (const mcp::ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid response"), std::string::npos) << e.what();
      std::printf("[ measure ] %s over HTTP failed in %.3f s: %s\n", tool, seconds_since(start),
                  e.what());
    }
    EXPECT_LT(seconds_since(start), std::chrono::duration<double>(kAtOnce).count());
    s.call_and_expect_result_intact();
  }
}

TEST(Client, B95_MalformedResultsFailTheirCallAtOnceNamingTheProblem) {
  struct Case {
    std::string answer;  // {id} is the request's id
    std::string needle;
  };
  std::vector<Case> cases = {
      {R"({"jsonrpc":"2.0","id":{id},"result":null})", "the result of tools/call is null"},
      {R"({"jsonrpc":"2.0","id":{id},"result":{"content":"a string"}})",
       "has content that is a string, not an array"},
      {R"({"jsonrpc":"2.0","id":{id},"result":{"content":[42]}})",
       "has content[0] that is a number, not an object"},
      {R"({"jsonrpc":"2.0","id":{id},"result":{"content":[],"isError":"yes"}})",
       "has isError that is a string, not a boolean"},
      {R"({"jsonrpc":"2.0","id":{id},"result":{"content":[]},"error":{"code":1,"message":"x"}})",
       "exactly one of result and error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer);
    RawLineServer s([&](const std::string&, const std::string& id) {
      std::string line = c.answer;
      line.replace(line.find("{id}"), 4, id);
      return line;
    });
    expect_call_fails_at_once(s.client(), c.needle);
  }
}

TEST(Client, B96_TheClientNeverSendsANonFiniteNumber) {
  RawLineServer s([](const std::string&, const std::string& id) {
    return result_line(id, R"({"content":[]})");
  });
  double inf = std::numeric_limits<double>::infinity();
  for (json::value bad :
       {json::value(inf), json::value(-inf), json::value(std::numeric_limits<double>::quiet_NaN()),
        json::value(json::array{1, json::object{{"x", inf}}})}) {
    try {
      s.client().call_tool("add", {{"a", bad}, {"b", 1}});
      ADD_FAILURE() << "sent";
    } catch (const mcp::ProtocolError& e) {
      EXPECT_EQ(e.error().code, jsonrpc::error_code::kInvalidParams);
      // The path names the number itself, inside arrays and objects too.
      const char* path = bad.is_array() ? "params.arguments.a[1].x is" : "params.arguments.a is";
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
    }
  }
  s.client().ping();
  // What went out on the wire: initialize, initialized, the ping; no tools/call, no Infinity.
  for (const std::string& line : s.lines()) {
    EXPECT_EQ(line.find("tools/call"), std::string::npos) << line;
    EXPECT_EQ(line.find("Infinity"), std::string::npos) << line;
    EXPECT_TRUE(json::parse(line)) << line;
  }
}

TEST(Client, B97_AServerNeverWritesANonFiniteNumber) {
  StdioWire wire;
  wire.server().add_tool(
      {.name = "add_numbers"}, [](const json::object& args, mcp::RequestContext&) {
        double sum =
            json::find_number(args, "a").value_or(0) + json::find_number(args, "b").value_or(0);
        mcp::CallToolResult r = mcp::CallToolResult::text("summed");
        r.structured_content = json::object{{"sum", sum}};
        return r;
      });
  wire.server().set_method("test/infinite", [](mcp::RequestContext&) -> mcp::Outcome {
    return json::object{{"v", json::array{std::numeric_limits<double>::infinity()}}};
  });
  // 1e308 + 1e308: the tool's result overflows. Mapped to an isError result.
  wire.send(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_numbers","arguments":{"a":1e308,"b":1e308}}})");
  std::optional<std::string> line = wire.next_line();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->find("Infinity"), std::string::npos) << *line;
  std::optional<json::value> answer = json::parse(*line);
  ASSERT_TRUE(answer) << *line;
  EXPECT_EQ(answer->at("result").at("isError"), true);
  EXPECT_EQ(json::serialize(answer->at("result").at("content")),
            R"([{"type":"text","text":"the tool's result holds a non-finite number at )"
            R"(structuredContent.sum, which JSON cannot carry"}])");
  // Any other method's result: -32603.
  json::object other = wire.call(R"({"jsonrpc":"2.0","id":2,"method":"test/infinite"})");
  EXPECT_EQ(error_code(other), -32603);
  EXPECT_EQ(error_message(other),
            "the result holds a non-finite number at v[0], which JSON cannot carry");
  // A progressToken of 1e400 reads as an infinity: refused where it enters, never echoed.
  wire.send(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":1e400}}})");
  line = wire.next_line();
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, R"({"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":)"
                   R"("_meta.progressToken must be a string or a finite number"}})");
  wire.expect_alive();
}

TEST(Client, B98_TheEnvelopeReaderBoundsTelemetryAndRecoversTheId) {  // covers C8
  // Split anywhere, the same message reads the same: telemetry over 64 bytes dropped, the rest
  // kept, in any chunking.
  std::string text =
      R"({"jsonrpc":"2.0","id":"a\"b","result":{"content":[],"_meta":{"otel":{"traces":{"x":")" +
      std::string(100, 'y') + R"("}},"keep":1}}})";
  jsonrpc::EnvelopeLimits limits{.max_message_bytes = 1024, .max_telemetry_bytes = 64};
  for (std::size_t split = 0; split <= text.size(); ++split) {
    jsonrpc::EnvelopeReader reader(limits);
    reader.feed(std::string_view(text).substr(0, split));
    reader.feed(std::string_view(text).substr(split));
    jsonrpc::Received r = reader.finish();
    ASSERT_TRUE(r.message) << split;
    auto* response = std::get_if<jsonrpc::Response>(&*r.message);
    ASSERT_TRUE(response) << split;
    EXPECT_EQ(std::get<std::string>(response->id), "a\"b");
    EXPECT_EQ(json::serialize(response->result),
              R"({"content":[],"_meta":{"otel":{"traces":{"glassbox.discarded":)"
              R"("telemetry of 119 bytes exceeds the bound of 64 bytes; dropped while read"}},)"
              R"("keep":1}})")
        << split;
  }
  // An answer too large elsewhere: refused to the peer (id null, as any oversize line) and
  // delivered as an error for its id, which was read although it came last.
  jsonrpc::Received big = jsonrpc::EnvelopeReader::read(
      R"({"jsonrpc":"2.0","result":{"t":")" + std::string(2000, 'z') + R"("},"id":77})", limits);
  ASSERT_TRUE(big.reply);
  EXPECT_FALSE(big.reply->id);
  ASSERT_TRUE(big.message);
  auto* error = std::get_if<jsonrpc::ErrorResponse>(&*big.message);
  ASSERT_TRUE(error);
  EXPECT_EQ(std::get<std::int64_t>(*error->id), 77);
  EXPECT_EQ(error->error.message,
            "invalid response: message of 2043 bytes exceeds the limit of 1024 bytes");
  // A request too large is only refused: there is no call of ours to fail.
  jsonrpc::Received request = jsonrpc::EnvelopeReader::read(
      R"({"jsonrpc":"2.0","id":5,"method":"x","params":{"t":")" + std::string(2000, 'z') + "\"}}",
      limits);
  EXPECT_TRUE(request.reply);
  EXPECT_FALSE(request.message);
}

}  // namespace glassbox::hardening
