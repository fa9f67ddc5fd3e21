// Bad-input catalogue (docs/bad-input.md), client-ingest rows B34-B44: a hostile server forges
// `_meta.otel.traces` and a glassbox client with telemetry calls it. Standard: the hostile
// payload is discarded (or the offending spans dropped), counted and reported, and the tool
// result (or the JSON-RPC error) reaches the caller intact.
#include "hardening/bad_input_util.hpp"

namespace glassbox::hardening {
namespace {

void expect_discarded(const mcp::StitchedTrace& t, std::string_view reason) {
  EXPECT_TRUE(t.report.discarded);
  EXPECT_NE(t.report.reason.find(reason), std::string::npos) << t.report.reason;
  EXPECT_EQ(t.report.accepted_span_count, 0u);
  EXPECT_TRUE(t.server_spans.empty());
  EXPECT_FALSE(t.server_root_span_id);
}

TEST(ClientIngest, B34_TracesThatAreNotAnObjectAreDiscarded) {  // covers C8
  for (json::value forged : {json::value(42), json::value("spans"), json::value(json::array{1}),
                             json::value(nullptr), json::value(true)}) {
    ForgingServer s([forged](const trace::SpanContext&) { return forged; });
    expect_discarded(s.call_and_expect_result_intact(),
                     "malformed passback: otel.traces is not an object");
  }
}

TEST(ClientIngest, B35_ResourceSpansOfTheWrongTypeAreDiscarded) {  // covers C8
  std::vector<std::pair<json::value, std::string>> cases = {
      {json::object{{"resourceSpans", "lots"}}, "resourceSpans is not an array"},
      {json::object{{"resourceSpans", json::array{1, 2}}},
       "resourceSpans element is not an object"},
      {json::object{{"resourceSpans", json::array{json::object{{"scopeSpans", 7}}}}},
       "scopeSpans is not an array"},
      {json::object{
           {"resourceSpans",
            json::array{json::object{{"scopeSpans", json::array{json::object{{"spans", "x"}}}}}}}},
       "spans is not an array"},
  };
  for (const auto& [forged, reason] : cases) {
    ForgingServer s([forged = forged](const trace::SpanContext&) { return forged; });
    expect_discarded(s.call_and_expect_result_intact(), reason);
  }
}

TEST(ClientIngest, B36_SpansOfTheWrongShapeAreDiscarded) {  // covers C8
  std::vector<Forge> forges = {
      [](const trace::SpanContext&) {
        return json::value(envelope({"span", nullptr, 3.5}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["attributes"] = json::object{{"not", "a list"}};
        return json::value(envelope({s}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["startTimeUnixNano"] = json::array{};
        return json::value(envelope({s}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["kind"] = "server-ish";
        return json::value(envelope({s}));
      },
  };
  for (std::size_t i = 0; i < forges.size(); ++i) {
    SCOPED_TRACE(i);
    ForgingServer s(forges[i]);
    expect_discarded(s.call_and_expect_result_intact(), "malformed passback: ");
  }
}

TEST(ClientIngest, B37_MoreSpansThanTheBoundAreDiscardedWhole) {  // covers C3
  ForgingServer s([](const trace::SpanContext& c) {
    json::array spans;
    std::string root = new_span_id();
    spans.push_back(span_json(c.trace_id.to_hex(), root, c.span_id.to_hex()));
    for (int i = 0; i < 1000; ++i)
      spans.push_back(span_json(c.trace_id.to_hex(), new_span_id(), root));
    return json::value(envelope(std::move(spans)));
  });
  mcp::StitchedTrace t = s.call_and_expect_result_intact();
  expect_discarded(t, "passback has more than 1000 spans");
  EXPECT_GT(t.report.received_span_count, 1000u);
}

TEST(ClientIngest, B38_APayloadOverTheByteBoundIsDiscardedWhole) {  // covers C3
  ForgingServer s([](const trace::SpanContext& c) {
    json::object root = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
    root["attributes"] = json::array{json::object{
        {"key", "blob"}, {"value", {{"stringValue", std::string(2 * 1024 * 1024, 'x')}}}}};
    return json::value(envelope({root}));
  });
  expect_discarded(s.call_and_expect_result_intact(), "passback is larger than 1048576 bytes");
}

TEST(ClientIngest, B39_SpansOfAnotherTraceAreDroppedAndCounted) {  // covers C4
  ForgingServer s([](const trace::SpanContext& c) {
    std::string root = new_span_id();
    std::string other = trace::generate_trace_id().to_hex();
    return json::value(
        envelope({span_json(c.trace_id.to_hex(), root, c.span_id.to_hex(), "root"),
                  span_json(other, new_span_id(), c.span_id.to_hex(), "foreign.root"),
                  span_json(other, new_span_id(), root, "foreign.child")}));
  });
  mcp::StitchedTrace t = s.call_and_expect_result_intact();
  EXPECT_FALSE(t.report.discarded);
  EXPECT_EQ(t.report.accepted_span_count, 1u);
  EXPECT_EQ(t.report.foreign_trace_span_count, 2u);
  EXPECT_EQ(t.report.reason, "2 spans of another trace dropped");
  ASSERT_EQ(t.server_span_count(), 1u);
  EXPECT_EQ(t.server_spans[0].scope_spans[0].spans[0].name, "root");
}

TEST(ClientIngest, B40_SpansNotUnderTheClientSpanAndCyclesAreDropped) {  // covers C4
  ForgingServer s([](const trace::SpanContext& c) {
    std::string trace_id = c.trace_id.to_hex();
    std::string root = new_span_id(), a = new_span_id(), b = new_span_id();
    return json::value(envelope({
        span_json(trace_id, root, c.span_id.to_hex(), "root"),
        span_json(trace_id, new_span_id(), new_span_id(), "orphan"),  // parent nowhere
        span_json(trace_id, a, b, "cycle.a"),                         // a -> b -> a
        span_json(trace_id, b, a, "cycle.b"),
        span_json(trace_id, new_span_id(), "", "second.root"),  // no parent at all
    }));
  });
  mcp::StitchedTrace t = s.call_and_expect_result_intact();
  EXPECT_FALSE(t.report.discarded);
  EXPECT_EQ(t.report.accepted_span_count, 1u);
  EXPECT_EQ(t.report.unlinked_span_count, 4u);
  EXPECT_EQ(t.report.reason, "4 spans not under the client span dropped");
}

TEST(ClientIngest, B41_AttributeValuesNestedTooDeeplyAreDiscarded) {  // covers C8
  ForgingServer s([](const trace::SpanContext& c) {
    json::value v = json::object{{"stringValue", "bottom"}};
    for (int i = 0; i < 12; ++i) v = json::object{{"arrayValue", {{"values", json::array{v}}}}};
    json::object span = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
    span["attributes"] = json::array{json::object{{"key", "deep"}, {"value", v}}};
    return json::value(envelope({span}));
  });
  expect_discarded(s.call_and_expect_result_intact(), "nested too deeply");
}

TEST(ClientIngest, B42_InvalidIdsAreDiscarded) {  // covers C8
  std::vector<Forge> forges = {
      [](const trace::SpanContext& c) {
        return json::value(envelope({span_json("zz", new_span_id(), c.span_id.to_hex())}));
      },
      [](const trace::SpanContext& c) {
        return json::value(
            envelope({span_json(c.trace_id.to_hex(), "0000000000000000", c.span_id.to_hex())}));
      },
      [](const trace::SpanContext& c) {
        return json::value(envelope({span_json(c.trace_id.to_hex(), new_span_id(), "123")}));
      },
      [](const trace::SpanContext& c) {
        json::object s = span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex());
        s["spanId"] = 12345;
        return json::value(envelope({s}));
      },
  };
  for (std::size_t i = 0; i < forges.size(); ++i) {
    SCOPED_TRACE(i);
    ForgingServer s(forges[i]);
    expect_discarded(s.call_and_expect_result_intact(), "malformed passback: ");
  }
}

TEST(ClientIngest, B43_HostileTelemetryOnAJsonRpcErrorLeavesTheErrorIntact) {  // covers C8
  ForgingServer s([](const trace::SpanContext&) { return json::value("garbage"); });
  try {
    s.client().call_tool("denied");
    FAIL() << "expected the JSON-RPC error";
  } catch (const mcp::ProtocolError& e) {
    EXPECT_EQ(e.error().code, -32003);
    EXPECT_EQ(e.error().message, "denied by policy");
    EXPECT_EQ(json::find_int(json::as_object_or_empty(e.error().data), "ticket"), 7);
  }
  mcp::StitchedTrace t = s.last();
  EXPECT_TRUE(t.failed);
  expect_discarded(t, "otel.traces is not an object");
}

TEST(ClientIngest, B44_AHostilePolicyAndDroppedCountAreNotTrusted) {  // covers C3
  ForgingServer s([](const trace::SpanContext& c) {
    json::object traces =
        envelope({span_json(c.trace_id.to_hex(), new_span_id(), c.span_id.to_hex(), "root")});
    traces["policy"] = json::object{{"reason", std::string(10'000, 'p')}};
    traces["droppedSpanCount"] = -5;
    traces["truncated"] = "very";
    return json::value(std::move(traces));
  });
  mcp::StitchedTrace t = s.call_and_expect_result_intact();
  EXPECT_FALSE(t.report.discarded);
  EXPECT_EQ(t.report.accepted_span_count, 1u);
  EXPECT_TRUE(t.report.server_policy.empty());  // over its 4 KiB bound: not shown
  EXPECT_EQ(t.report.server_dropped_span_count, 0u);
}

}  // namespace
}  // namespace glassbox::hardening
