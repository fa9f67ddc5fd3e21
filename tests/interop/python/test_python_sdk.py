"""The official Python SDK (mcp 2.x) against glassbox, both ways, with Jaeger as the backend.

- An agent written with the SDK's client, behaving like the SEP's reference agent: it detects the
  capability, sends `traceparent` (the SDK's own CLIENT span), `request: true` and `detailed`,
  calls `glassbox serve demo` over stdio and Streamable HTTP, POSTs `_meta.otel.traces` exactly as
  received to Jaeger's OTLP/HTTP endpoint (S7), and decodes it with `opentelemetry-proto`, an
  independent decoder in a second language.
- The SDK's own server, OpenTelemetry configured, called by glassbox's client with `traceparent`:
  its spans land in the same trace through its own exporter (SEP-414 without passback).
"""

import asyncio

import anyio
import base64
import json
import re
import sys
import urllib.request

import pytest
from google.protobuf import json_format
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import JSONRPCResponse
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from peers import (HERE, GlassboxHttpServer, Jaeger, assert_connected, children, glassbox_bin,
                   run_glassbox)

CAPABILITY = "serverExecutionTelemetry"
SEARCH = {"customer": "acme-corp", "query": "login"}


@pytest.fixture(scope="module")
def jaeger():
    with Jaeger() as j:
        yield j


@pytest.fixture(scope="module")
def agent_tracer(jaeger):
    # The agent's own telemetry, as the reference agent sets it up: its spans to the backend.
    provider = TracerProvider(resource=Resource.create({"service.name": "python-agent"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{jaeger.otlp_url}/v1/traces")))
    trace.set_tracer_provider(provider)
    yield provider.get_tracer("python-agent")
    provider.shutdown()


def advertised(capabilities: dict) -> bool:
    return CAPABILITY in capabilities or (
        "io.modelcontextprotocol/server-execution-telemetry" in (capabilities.get("extensions") or {}))


def tee_capabilities(read, task_group, seen: dict):
    """The SDK's ServerCapabilities model drops keys it does not know (serverExecutionTelemetry
    among them), so the agent reads the capabilities off the wire: a pass-through of the read
    stream that keeps the raw `initialize` result's capabilities."""
    send, receive = anyio.create_memory_object_stream(64)

    async def forward():
        async with send:
            async for item in read:
                message = getattr(item, "message", None)
                if isinstance(message, JSONRPCResponse) and isinstance(message.result, dict):
                    seen.update(message.result.get("capabilities") or {})
                await send.send(item)

    task_group.start_soon(forward)
    return receive


async def agent_call(streams, tracer):
    seen = {}
    async with anyio.create_task_group() as tg:
        read = tee_capabilities(streams[0], tg, seen)
        try:
            return await agent_session(read, streams[1], tracer, seen)
        finally:
            tg.cancel_scope.cancel()


async def agent_session(read, write, tracer, seen):
    async with ClientSession(read, write) as session:
        await session.initialize()
        assert advertised(seen), seen
        with tracer.start_as_current_span("agent.handle_ticket") as agent_span:
            # The SDK puts its own CLIENT span's traceparent into _meta (SEP-414).
            result = await session.call_tool(
                "search_tickets", SEARCH,
                meta={"otel": {"traces": {"request": True, "detailed": True}}})
            trace_id = format(agent_span.get_span_context().trace_id, "032x")
    return result, trace_id


def to_proto_json(traces: dict) -> dict:
    """OTLP JSON's hex ids as protobuf JSON's base64 bytes, everything else untouched."""
    out = json.loads(json.dumps({"resourceSpans": traces["resourceSpans"]}))
    for rs in out["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if s.get(key):
                        s[key] = base64.b64encode(bytes.fromhex(s[key])).decode()
                for link in s.get("links", []):
                    for key in ("traceId", "spanId"):
                        link[key] = base64.b64encode(bytes.fromhex(link[key])).decode()
    return out


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_python_agent_posts_glassbox_passback_to_jaeger(jaeger, agent_tracer, transport):
    # covers S1 S4 S6 S7 S8 (with a client nobody here wrote)
    async def run():
        if transport == "stdio":
            params = StdioServerParameters(command=glassbox_bin(), args=["serve", "demo", "--stdio"])
            async with stdio_client(params) as streams:
                return await agent_call(streams, agent_tracer)
        with GlassboxHttpServer("demo") as server:
            async with streamable_http_client(server.url) as streams:
                return await agent_call(streams, agent_tracer)

    result, trace_id = asyncio.run(run())
    assert not result.is_error
    traces = result.meta["otel"]["traces"]
    raw = json.dumps(traces).encode()

    # S7: the payload POSTs as-is to an OTLP/HTTP receiver.
    request = urllib.request.Request(f"{jaeger.otlp_url}/v1/traces", data=raw,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    # The independent decoder: every field is a known OTLP field of the right type.
    decoded = json_format.ParseDict(to_proto_json(traces), ExportTraceServiceRequest())
    server_spans = [s for rs in decoded.resource_spans for ss in rs.scope_spans for s in ss.spans]
    resource = {kv.key: kv.value.string_value for kv in decoded.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "acme-helpdesk"
    assert all(s.trace_id.hex() == trace_id for s in server_spans)
    # SPAN_KIND_SERVER: the help desk's, and its knowledge base's (a nested MCP call, S16)
    [root] = [s for s in server_spans if s.kind == 2 and s.name == "tools/call search_tickets"]
    assert root.name == "tools/call search_tickets"

    # Jaeger: the agent's span, the SDK's CLIENT spans, the server's tree under tools/call.
    spans = jaeger.trace(trace_id, 3 + len(server_spans))
    top = assert_connected(spans)
    assert (top.service, top.name) == ("python-agent", "agent.handle_ticket")
    # The SDK lists the tools before the call (to validate structured output): two CLIENT spans.
    under_agent = {s.name: s for s in children(spans, top.span_id)}
    assert set(under_agent) == {"MCP send tools/list", "MCP send tools/call search_tickets"}
    sdk_client = under_agent["MCP send tools/call search_tickets"]
    assert (sdk_client.service, sdk_client.kind) == ("python-agent", "client")
    assert sdk_client.span_id == root.parent_span_id.hex()  # the traceparent the SDK sent
    [server] = children(spans, sdk_client.span_id)
    assert (server.service, server.kind, server.name) == (
        "acme-helpdesk", "server", "tools/call search_tickets")
    detailed_only = [s for s in spans.values() if s.service == "acme-helpdesk"
                     and s.parent_id not in (server.span_id, sdk_client.span_id)]
    assert detailed_only, "detailed passback carries grandchildren of the SERVER span"
    assert len([s for s in spans.values()
                if s.service in ("acme-helpdesk", "acme-kb")]) == len(server_spans)


def test_glassbox_client_into_python_sdk_server_trace(jaeger):
    # covers C1 (SEP-414 with a server that does not implement passback)
    r = run_glassbox("call", "check_stock", "sku=B-42", "--json-output", "--otlp", jaeger.otlp_url,
                     "--otlp-protocol", "json", "--",
                     sys.executable, str(HERE / "python_sdk_server.py"),
                     env={"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_url})
    assert r.returncode == 0, r.stderr
    m = re.search(r"trace ([0-9a-f]{32})", r.stdout)
    assert m, r.stdout
    trace_id = m.group(1)
    spans = jaeger.trace(trace_id, 3)
    top = assert_connected(spans)
    assert (top.service, top.kind, top.name) == ("glassbox", "client", "tools/call check_stock")
    [server] = children(spans, top.span_id)
    assert (server.service, server.kind, server.name) == (
        "python-sdk-inventory", "server", "tools/call check_stock")
    assert server.tags["mcp.method.name"] == "tools/call"
    [lookup] = children(spans, server.span_id)
    assert (lookup.service, lookup.name) == ("python-sdk-inventory", "inventory.lookup")
