"""The official Python SDK's client (mcp 2.3.0, which speaks MCP 2026-07-28) against glassbox's
server (`glassbox serve everything`) in 2026-07-28, over stdio and Streamable HTTP, pinned to the
revision (`mode="2026-07-28"`, no probe) and in auto mode (a `server/discover` probe). The reverse
direction (glassbox's client against the SDK's server) is test_python_sdk_revisions.py.

Covered: the negotiated revision and the discover result, tools/list and tools/call,
resources/read, a multi round-trip call (`input_required` with an elicitation) answered by the
SDK's own elicitation callback, subscriptions/listen with a resource update, passback asked per
request in the extension form, and an unknown tool's error.
"""

import asyncio

import anyio
import mcp_types as types
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.subscriptions import ResourceUpdated
from mcp.shared.exceptions import MCPError

from peers import GlassboxHttpServer, glassbox_bin

EXTENSION = "io.modelcontextprotocol/server-execution-telemetry"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
MODES = ["2026-07-28", "auto"]


async def elicit(_context, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"name": f"Ada (asked: {params.message})"})


def new_client(server, mode: str) -> Client:
    return Client(server, mode=mode, elicitation_callback=elicit, read_timeout_seconds=30)


def server_spans(traces: dict) -> list[dict]:
    return [s for rs in traces["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]
            if s["kind"] == 2]


def attribute(span: dict, key: str):
    return next((a["value"].get("stringValue") for a in span["attributes"] if a["key"] == key), None)


async def exercise(client: Client, mode: str):
    assert client.protocol_version == "2026-07-28"
    if mode == "auto":
        # covers S1 (the extension form): passback is listed in the probe's server/discover.
        discover = client.session.discover_result
        assert discover is not None
        assert "2026-07-28" in discover.supported_versions
        assert EXTENSION in (discover.capabilities.extensions or {})
        assert client.server_info is not None and client.server_info.name == "glassbox-everything"

    tools = await client.list_tools()
    names = {t.name for t in tools.tools}
    assert {"test_simple_text", "test_input_required_result_elicitation"} <= names

    simple = await client.call_tool("test_simple_text", {})
    assert not simple.is_error
    assert simple.content[0].text == "This is a simple text response for testing."

    read = await client.read_resource("test://static-text")
    assert read.contents[0].uri == "test://static-text"
    assert read.contents[0].text

    # The server answers input_required; the SDK runs the elicitation callback and retries with
    # inputResponses and the sealed requestState.
    asked = await client.call_tool("test_input_required_result_elicitation", {})
    assert asked.content[0].text == "Hello, Ada (asked: What is your name?)!"

    # Passback asked per request, the extension form (no handshake).
    # covers S2 (request: true answers with spans) S3 S4 (one SERVER span, parented to the
    # traceparent's span) S8 (the resource names the server)
    traced = await client.call_tool(
        "test_simple_text", {},
        meta={"traceparent": TRACEPARENT, "otel": {"traces": {"request": True}}})
    traces = traced.meta["otel"]["traces"]
    [span] = server_spans(traces)
    assert span["name"] == "tools/call test_simple_text"
    assert (span["traceId"], span["parentSpanId"]) == (TRACE_ID, PARENT_SPAN)
    assert attribute(span, "mcp.protocol.version") == "2026-07-28"
    assert attribute(span, "mcp.session.id") is None  # no session in 2026-07-28
    service = {a["key"]: a["value"]["stringValue"]
               for a in traces["resourceSpans"][0]["resource"]["attributes"]}["service.name"]
    assert service
    # covers S2: without request: true, no _meta.otel comes back.
    plain = await client.call_tool("test_simple_text", {}, meta={"traceparent": TRACEPARENT})
    assert "otel" not in (plain.meta or {})

    # An unknown tool is a protocol error (-32602), not a tool result.
    with pytest.raises(MCPError) as unknown:
        await client.call_tool("no_such_tool", {})
    assert unknown.value.code == types.INVALID_PARAMS
    assert "no_such_tool" in unknown.value.error.message

    # subscriptions/listen: the update tool notifies the watched resource's listeners.
    async with client.listen(resource_subscriptions=["test://watched-resource"]) as sub:
        assert list(sub.honored.resource_subscriptions or []) == ["test://watched-resource"]
        await client.call_tool("update_watched_resource", {})
        with anyio.fail_after(20):
            event = await sub.__anext__()
        assert isinstance(event, ResourceUpdated)
        assert event.uri == "test://watched-resource"


@pytest.mark.parametrize("mode", MODES)
def test_stdio(mode):
    async def run():
        params = StdioServerParameters(command=glassbox_bin(), args=["serve", "everything", "--stdio"])
        async with new_client(params, mode) as client:
            await exercise(client, mode)

    asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_http(mode):
    async def run():
        with GlassboxHttpServer("everything") as server:
            async with new_client(server.url, mode) as client:
                await exercise(client, mode)

    asyncio.run(run())
