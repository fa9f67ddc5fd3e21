"""A server made with the official Python SDK (mcp 2.x), which makes a SERVER span for each request
itself, continuing the `traceparent` in `_meta` (SEP-414), with OpenTelemetry configured to export
to OTEL_EXPORTER_OTLP_ENDPOINT under service.name python-sdk-inventory. It does not implement
passback: its spans reach the trace through its own exporter only.

    python python_sdk_server.py            # stdio
"""

import atexit

from mcp.server.mcpserver import MCPServer
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "python-sdk-inventory"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))  # endpoint from the env
trace.set_tracer_provider(provider)
atexit.register(provider.shutdown)
tracer = trace.get_tracer("inventory")

server = MCPServer("python-sdk-inventory")


@server.tool()
def check_stock(sku: str) -> str:
    """Checks the stock of one SKU; answers with the trace id it ran in."""
    with tracer.start_as_current_span("inventory.lookup") as span:
        span.set_attribute("inventory.sku", sku)
        trace_id = format(span.get_span_context().trace_id, "032x")
    return f"sku {sku}: 3 in stock; trace {trace_id}"


if __name__ == "__main__":
    server.run("stdio")
