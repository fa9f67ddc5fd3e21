"""glassbox's client against Arcade MCP's passback middleware (the reference implementation of
SEP-2448), over stdio and Streamable HTTP, with the stitched trace sent to Jaeger as OTLP JSON and
protobuf and read back from Jaeger's query API. Arcade's differences from the SEP and what
glassbox does about each: docs/arcade.md."""

import socket
import subprocess
import sys

import pytest

from peers import (HERE, Jaeger, assert_connected, children, free_port, run_glassbox, trace_id_of,
                   wait_until)

TOOL = "ArcadeOrders_LookupOrder"  # Arcade names tools <App>_<Function>
SERVER_SPAN = f"tools/call {TOOL}"
STAGES = {"orders.validate", "orders.query", "orders.format"}


@pytest.fixture(scope="module")
def jaeger():
    with Jaeger() as j:
        yield j


@pytest.fixture(scope="module")
def arcade_http():
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "arcade_server.py"), "http", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={"ARCADE_USAGE_TRACKING": "0", "PATH": "/usr/bin:/bin"})

    def listening():
        assert server.poll() is None, f"the Arcade server exited:\n{server.stderr.read().decode()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(listening, "the Arcade server's HTTP port", timeout=60)
    yield f"http://127.0.0.1:{port}/mcp"
    server.terminate()
    server.wait(10)


def target(transport: str, url: str) -> list[str]:
    if transport == "stdio":
        return ["--", sys.executable, str(HERE / "arcade_server.py"), "stdio"]
    return ["--url", url]


@pytest.mark.parametrize("protocol", ["json", "protobuf"])
@pytest.mark.parametrize("detailed", [False, True], ids=["top_level", "detailed"])
@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_arcade_spans_stitched_under_the_client_span(jaeger, arcade_http, transport, detailed,
                                                     protocol):
    # covers C4 C5 C7 (against the reference implementation)
    url = arcade_http if transport == "http" else ""
    r = run_glassbox("call", TOOL, "order_id=A-17", "--json-output", "--otlp", jaeger.otlp_url,
                     "--otlp-protocol", protocol, *(["--detailed"] if detailed else []),
                     *target(transport, url))
    assert r.returncode == 0, r.stderr
    assert '"status": "shipped"' in r.stdout or '"status":"shipped"' in r.stdout, r.stdout
    server_spans = 5 if detailed else 4  # the SERVER span, three stages, and db.fetch if detailed
    assert f"passback: {server_spans} server spans stitched under the client span" in r.stderr, r.stderr
    if not detailed:
        # Arcade's own count of what its top-level filter left out (droppedSpanCount: 1)
        assert "1 withheld by the server" in r.stderr, r.stderr

    spans = jaeger.trace(trace_id_of(r.stderr), 1 + server_spans)
    root = assert_connected(spans)
    assert len(spans) == 1 + server_spans, [s.name for s in spans.values()]
    assert (root.service, root.kind, root.name) == ("glassbox", "client", SERVER_SPAN)
    [server] = children(spans, root.span_id)
    # C5: Arcade's spans keep Arcade's resource; Jaeger files them under its service.name
    assert (server.service, server.kind, server.name) == ("arcade-orders", "server", SERVER_SPAN)
    assert server.tags["mcp.tool"] == TOOL  # Arcade's attribute names arrive untouched
    assert server.tags["otel.scope.name"] == "mcp-telemetry-passback"
    stages = children(spans, server.span_id)
    assert {s.name for s in stages} == STAGES
    assert all(s.service == "arcade-orders" for s in stages)
    [query] = [s for s in stages if s.name == "orders.query"]
    nested = children(spans, query.span_id)
    assert [s.name for s in nested] == (["db.fetch"] if detailed else [])


def test_no_passback_leaves_one_span(jaeger):
    # covers C1: with --no-passback the traceparent still goes, Arcade hands nothing back, and
    # the trace in Jaeger is the client's span alone
    before = jaeger.trace_ids("glassbox")
    r = run_glassbox("call", TOOL, "order_id=A-18", "--no-passback", "--otlp", jaeger.otlp_url,
                     *target("stdio", ""))
    assert r.returncode == 0, r.stderr
    assert "passback:" not in r.stderr, r.stderr
    [new] = wait_until(lambda: jaeger.trace_ids("glassbox") - before, "the client's trace")
    spans = jaeger.trace(new, 1)
    assert [(s.name, s.service, s.kind) for s in spans.values()] == [
        (SERVER_SPAN, "glassbox", "client")]
