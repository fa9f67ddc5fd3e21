"""An Arcade MCP server with Arcade's own passback middleware (the reference implementation of
SEP-2448), for glassbox's client to call. One tool, `lookup_order`, in three stages (validate,
query, format); the query stage has a nested child span (db.fetch), so that top-level passback
leaves it out and detailed passback carries it.

    python arcade_server.py stdio
    python arcade_server.py http PORT       # Streamable HTTP on 127.0.0.1:PORT/mcp
"""

import os
import sys
import warnings
from typing import Annotated

os.environ.setdefault("ARCADE_USAGE_TRACKING", "0")  # no analytics calls out of the test machine
warnings.simplefilter("ignore", FutureWarning)  # the middleware warns that the SEP is a draft

from arcade_mcp_server import MCPApp  # noqa: E402
from arcade_mcp_server.middleware.telemetry import TelemetryPassbackMiddleware  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

SERVICE = "arcade-orders"

provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
passback = TelemetryPassbackMiddleware(service_name=SERVICE, tracer_provider=provider)
tracer = provider.get_tracer("arcade-orders.tool")

app = MCPApp(name="arcade_orders", version="1.0.0", middleware=[passback])


@app.tool
async def lookup_order(order_id: Annotated[str, "The order to look up"]) -> Annotated[dict, "The order"]:
    """Looks an order up in three stages."""
    with tracer.start_as_current_span("orders.validate") as span:
        span.set_attribute("order.id", order_id)
    with tracer.start_as_current_span("orders.query") as span:
        with tracer.start_as_current_span("db.fetch") as child:
            child.set_attribute("db.rows", 1)
        span.set_attribute("orders.found", True)
    with tracer.start_as_current_span("orders.format"):
        pass
    return {"order_id": order_id, "status": "shipped"}


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        app.run(transport="stdio")
    else:
        app.run(transport="http", host="127.0.0.1", port=int(sys.argv[2]))
