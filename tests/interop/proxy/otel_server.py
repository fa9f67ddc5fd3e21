"""An MCP server that knows nothing of passback: the official Python SDK's MCPServer over stdio,
under the OpenTelemetry Python SDK (a BatchSpanProcessor and the OTLP/HTTP protobuf exporter,
configured by the standard OTEL_* variables). The SDK itself makes the SERVER span of each request,
continuing the caller's _meta.traceparent; the tool adds its own spans beneath it.

Tools: lookup {id, ms}: "db.query" (records a bearer token) > "db.row", waiting `ms` inside.
"""

import asyncio

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "python-otel-server"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("otel-server-test")

from mcp.server.mcpserver import MCPServer  # noqa: E402  (after the provider is set)

server = MCPServer("python-otel-server")


@server.tool()
async def lookup(id: str, ms: int = 0) -> str:
    """Looks a record up (two spans under the SDK's own)."""
    with tracer.start_as_current_span(
        "db.query",
        attributes={
            "db.system": "postgresql",
            "http.request.header.authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            "record.id": id,
        },
    ) as query:
        await asyncio.sleep(ms / 1000)
        with tracer.start_as_current_span("db.row", attributes={"record.id": id}):
            pass
        trace_id = format(query.get_span_context().trace_id, "032x")
    return f"{id}:{trace_id}"


try:
    server.run("stdio")
finally:
    provider.shutdown()  # exports what is left
