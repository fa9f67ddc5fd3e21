"""`glassbox proxy` as a gateway into Jaeger (P2): a host that knows nothing of passback (the official
Python SDK's client, no OpenTelemetry configured) calls `glassbox serve demo` through the proxy. The
host gets a plain result; Jaeger gets the stitched trace: the proxy's CLIENT span, the server's SERVER
span under it (with the server's own service.name), and the server's stages under that."""

import asyncio
import os

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from peers import Jaeger, assert_connected, children, glassbox_bin, wait_until


def test_gateway_stitched_trace_reaches_jaeger():
    # covers P2 C5 C7
    with Jaeger() as jaeger:
        params = StdioServerParameters(
            command=glassbox_bin(),
            args=["proxy", "--otlp", jaeger.otlp_url, "--otlp-protocol", "protobuf", "--",
                  glassbox_bin(), "serve", "demo", "--stdio"],
            env={"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"})

        async def call():
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await session.call_tool(
                        "search_tickets", {"customer": "acme-corp", "query": "login"})

        result = asyncio.run(call())
        assert not result.is_error
        assert "otel" not in (result.meta or {}), "the host did not ask: no _meta.otel"
        assert "acme-corp" in result.content[0].text

        [trace_id] = wait_until(lambda: jaeger.trace_ids("glassbox-proxy") or None,
                                "the proxy's trace in Jaeger")
        spans = jaeger.trace(trace_id, 3)
        root = assert_connected(spans)
        assert (root.service, root.kind, root.name) == (
            "glassbox-proxy", "client", "tools/call search_tickets")
        [server] = children(spans, root.span_id)
        assert (server.service, server.kind, server.name) == (
            "acme-helpdesk", "server", "tools/call search_tickets")
        stages = {s.name for s in children(spans, server.span_id)}
        assert {"auth.validate", "kb.search"} <= stages, stages
