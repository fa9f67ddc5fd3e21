// Helpers for the bad-input catalogue (docs/bad-input.md): a stdio wire to a glassbox server
// (raw lines in, parsed lines out), the server every stdio row talks to, and a hostile server
// that forges `_meta.otel.traces` for the client-ingest rows.
#pragma once

#include "glassbox/mcp/client_telemetry.hpp"
#include "glassbox/mcp/passback.hpp"
#include "glassbox/mcp/server.hpp"
#include "glassbox/transport/http_client.hpp"
#include "glassbox/transport/http_server.hpp"
#include "glassbox/transport/memory.hpp"
#include "glassbox/transport/stdio.hpp"
#include "mcp/test_server.hpp"
#include "support/otlp_forgery.hpp"
#include "support/stdio_wire.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace glassbox::hardening {

using glassbox::testing::envelope;
using glassbox::testing::new_span_id;
using glassbox::testing::span_json;

using namespace std::chrono_literals;

// The server behind every stdio row: the protocol-test fixtures, passback, and a few tools that
// misbehave on purpose.
inline void add_hardening_fixtures(mcp::Server& server) {
  using namespace mcp;
  enable_passback(
      server,
      {.provider = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{})});
  testing::add_test_fixtures(server);
  server.add_tool({.name = "throws_int"},
                  [](const json::object&, RequestContext&) -> CallToolResult {
                    throw 42;  // not a std::exception
                  });
  server.add_tool({.name = "nested"}, [](const json::object&, RequestContext& ctx) {
    trace::Span child = ctx.span("child");
    trace::Span grandchild = ctx.span("grandchild");
    return CallToolResult::text("nested");
  });
  server.add_tool({.name = "flood"}, [](const json::object&, RequestContext& ctx) {
    for (int i = 0; i < 100'000; ++i) {
      trace::Span s = ctx.span("stage");
      s.set_attribute("i", static_cast<std::int64_t>(i));
    }
    return CallToolResult::text("flooded");
  });
  server.set_method("test/throws", [](RequestContext&) -> Outcome {
    throw std::runtime_error("handler exploded");
  });
}

// A glassbox server with the hardening fixtures on the far end of two pipes
// (support/stdio_wire.hpp).
class StdioWire : public glassbox::testing::StdioWire {
 public:
  explicit StdioWire(std::size_t max_message_bytes = 64 * 1024)
      : glassbox::testing::StdioWire({.name = "hardening", .version = "1.0"},
                                     add_hardening_fixtures, max_message_bytes) {}
};

// The JSON-RPC error code of an answer, or 0.
inline std::int64_t error_code(const json::object& answer) {
  const json::object* e = json::find_object(answer, "error");
  return e ? json::find_int(*e, "code").value_or(0) : 0;
}
inline std::string error_message(const json::object& answer) {
  const json::object* e = json::find_object(answer, "error");
  const json::string* m = e ? json::find_string(*e, "message") : nullptr;
  return m ? std::string(*m) : std::string();
}

// result._meta.otel.traces, or nullptr.
inline const json::object* passback_of(const json::object& answer) {
  const json::object* holder = json::find_object(answer, "result");
  if (holder == nullptr) {
    const json::object* e = json::find_object(answer, "error");
    holder = e ? json::find_object(*e, "data") : nullptr;
  }
  const json::object* meta = holder ? json::find_object(*holder, "_meta") : nullptr;
  const json::object* otel = meta ? json::find_object(*meta, "otel") : nullptr;
  return otel ? json::find_object(*otel, "traces") : nullptr;
}

// Every span of a passback payload, in order.
inline std::vector<json::object> spans_of(const json::object& traces) {
  std::vector<json::object> out;
  if (const json::array* rs = json::find_array(traces, "resourceSpans")) {
    for (const auto& r : *rs) {
      const json::array* ss = json::find_array(r.as_object(), "scopeSpans");
      for (const auto& s : ss ? *ss : json::array{}) {
        const json::array* spans = json::find_array(s.as_object(), "spans");
        for (const auto& span : spans ? *spans : json::array{}) out.push_back(span.as_object());
      }
    }
  }
  return out;
}

// ---- a hostile server, for the client-ingest rows -------------------------------------------

// What the forging server puts in `_meta.otel.traces`, given the caller's CLIENT span.
using Forge = std::function<json::value(const trace::SpanContext& caller)>;

// How the forging server and its client are connected: a memory pair (no bytes at all), or the
// real wire bytes of stdio (two pipes) or Streamable HTTP (127.0.0.1, a free port).
enum class Wire { memory, stdio, http };

// A server whose tools answer normally but whose `_meta.otel.traces` is forged, and a glassbox
// client with telemetry (passback always requested) connected to it.
class ForgingServer {
 public:
  explicit ForgingServer(Forge forge, mcp::ClientTelemetryOptions telemetry = {},
                         Wire wire = Wire::memory) {
    using namespace mcp;
    server_.use([forge = std::move(forge)](RequestContext& ctx,
                                           const MethodHandler& next) -> Outcome {
      Outcome outcome = invoke_handler(next, ctx);  // a ProtocolError becomes its error here
      if (ctx.method() != "tools/call") return outcome;
      const json::string* tp = json::find_string(ctx.meta(), "traceparent");
      std::optional<trace::SpanContext> caller = tp ? trace::parse_traceparent(*tp) : std::nullopt;
      outcome_meta(outcome)["otel"] =
          json::object{{"traces", forge(caller.value_or(trace::SpanContext{}))}};
      return outcome;
    });
    server_.add_tool({.name = "work"}, [](const json::object&, RequestContext&) {
      return CallToolResult::text("done");
    });
    server_.add_tool(
        {.name = "denied"}, [](const json::object&, RequestContext&) -> CallToolResult {
          throw ProtocolError({-32003, "denied by policy", json::object{{"ticket", 7}}});
        });
    telemetry.passback = PassbackMode::always;
    trace::TracerProviderOptions provider;
    provider.resource.set("service.name", "agent");
    telemetry.provider = std::make_shared<trace::TracerProvider>(std::move(provider));
    telemetry.on_trace = [this](const StitchedTrace& t) {
      std::lock_guard lock(mutex_);
      last_ = t;
    };
    // Well short of the 60 s default: a reply lost on the wire fails the test, not the budget.
    client_ = std::make_unique<Client>(ClientOptions{.request_timeout = 30s});
    telemetry_ = enable_client_telemetry(*client_, std::move(telemetry));
    if (wire == Wire::stdio) {
      EXPECT_EQ(::pipe(fds_.to_server), 0);
      EXPECT_EQ(::pipe(fds_.to_client), 0);
      server_.connect(transport::make_stdio_transport(
          {.read_fd = fds_.to_server[0], .write_fd = fds_.to_client[1]}));
      client_->connect(transport::make_stdio_transport(
          {.read_fd = fds_.to_client[0], .write_fd = fds_.to_server[1]}));
    } else if (wire == Wire::http) {
      // The server queues whole events for a slow reader: room for the hostile ones.
      http_ = std::make_unique<transport::HttpServer>(
          transport::HttpServerOptions{.max_stream_queue_bytes = 256 * 1024 * 1024},
          [this](std::shared_ptr<transport::Transport> t) { server_.connect(std::move(t)); });
      http_->start();
      client_->connect(transport::connect_http({.url = http_->url()}));
    } else {
      auto [c, s] = transport::make_memory_pair();
      server_.connect(s);
      client_->connect(c);
    }
  }

  mcp::Server& server() { return server_; }

  mcp::Client& client() { return *client_; }
  mcp::StitchedTrace last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

  // Calls "work": the result must be intact whatever came with it.
  mcp::StitchedTrace call_and_expect_result_intact() {
    mcp::CallToolResult r = client_->call_tool("work");
    EXPECT_FALSE(r.is_error);
    EXPECT_EQ(json::serialize(r.content), R"([{"type":"text","text":"done"}])");
    mcp::StitchedTrace t = last();
    EXPECT_TRUE(t.report.requested);
    EXPECT_TRUE(t.report.present);
    return t;
  }

 private:
  struct Pipes {  // closed last, when nothing reads them any more
    int to_server[2] = {-1, -1};
    int to_client[2] = {-1, -1};
    ~Pipes() {
      for (int fd : {to_server[0], to_server[1], to_client[0], to_client[1]})
        if (fd >= 0) ::close(fd);
    }
  };
  Pipes fds_;
  mcp::Server server_{{.name = "forger", .version = "6.6.6"}};
  std::unique_ptr<transport::HttpServer> http_;
  std::unique_ptr<mcp::Client> client_;
  std::shared_ptr<mcp::ClientTelemetry> telemetry_;
  std::mutex mutex_;
  mcp::StitchedTrace last_;
};

}  // namespace glassbox::hardening
