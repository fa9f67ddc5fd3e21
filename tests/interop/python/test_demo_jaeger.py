"""glassbox's client and `glassbox demo` into Jaeger, the backend of the SEP's own demo: the
stitched trace, as OTLP JSON and protobuf, read back from Jaeger's query API as a tree; and no
link that `glassbox demo` prints is dead once it has ended."""

import re
import subprocess
import urllib.request

import pytest

from peers import (Jaeger, assert_connected, children, glassbox_bin, http_get_json, run_glassbox,
                   trace_id_of, wait_until)

ACTS = ["act 1, the black box", "act 2, the glass box", "act 3, detailed", "the denied call"]


@pytest.fixture(scope="module")
def jaeger():
    with Jaeger() as j:
        yield j


@pytest.mark.parametrize("protocol", ["json", "protobuf"])
def test_glassbox_call_into_jaeger(jaeger, protocol):
    # covers C5 C6 C7
    r = run_glassbox("call", "search_tickets", "customer=acme-corp", "query=login", "--otlp",
                     jaeger.otlp_url, "--otlp-protocol", protocol, "--", glassbox_bin(), "serve",
                     "demo", "--stdio")
    assert r.returncode == 0, r.stderr
    kept = int(re.search(r"passback: (\d+) server spans stitched", r.stderr).group(1))
    spans = jaeger.trace(trace_id_of(r.stderr), 1 + kept)
    assert len(spans) == 1 + kept
    root = assert_connected(spans)
    assert (root.service, root.kind, root.name) == ("glassbox", "client", "tools/call search_tickets")
    [server] = children(spans, root.span_id)
    assert (server.service, server.kind, server.name) == (
        "acme-helpdesk", "server", "tools/call search_tickets")
    # C6: the CLIENT span names the JSON-RPC request and the server's root span
    assert root.tags["mcp.server.root_span_id"] == server.span_id
    assert root.tags["jsonrpc.request.id"] != ""
    stages = children(spans, server.span_id)
    assert {"auth.validate", "kb.search"} <= {s.name for s in stages}
    assert all(s.service == "acme-helpdesk" for s in stages)
    # S16: the knowledge base (a nested MCP server) hangs under the help desk's CLIENT span.
    kb = [s for s in spans.values() if s.service == "acme-kb"]
    [kb_root] = [s for s in kb if s.kind == "server"]
    nested_client = spans[kb_root.parent_id]
    assert (nested_client.service, nested_client.kind) == ("acme-helpdesk", "client")
    assert spans[nested_client.parent_id].name == "kb.search"
    # Top level at each hop: the stages, the nested CLIENT span, the knowledge base's top level.
    assert len(stages) + 2 + len(kb) == kept


def parse_acts(stdout: str) -> dict[str, str]:
    acts = {}
    for title in ACTS:
        m = re.search(re.escape(title) + r"\s+(?:\S*/trace/)?([0-9a-f]{32})", stdout)
        assert m, f"no trace id for {title} in:\n{stdout}"
        acts[title] = m.group(1)
    return acts


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_demo_sends_every_act_to_jaeger(jaeger, how):
    args, env = ["demo", "--no-wait"], {}
    if how == "flag":
        args += ["--otlp", jaeger.otlp_url, "--otlp-protocol", "json"]
    else:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = jaeger.otlp_url
    r = run_glassbox(*args, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "collector " not in r.stdout, "the embedded collector stays off with an endpoint"
    acts = parse_acts(r.stdout)
    counts = {}
    for title, trace_id in acts.items():
        minimum = 1 if title == ACTS[0] else 3
        spans = jaeger.trace(trace_id, minimum)
        root = assert_connected(spans)
        assert (root.service, root.kind) == ("support-agent", "client"), title
        counts[title] = len(spans)
        if title != ACTS[0]:
            [server] = children(spans, root.span_id)
            assert (server.service, server.kind) == ("acme-helpdesk", "server"), title
    assert counts[ACTS[0]] == 1  # the black box: the agent's span only
    assert counts[ACTS[2]] > counts[ACTS[1]] > 1  # detailed shows more than the top level
    print("spans per act in Jaeger:", counts)


def test_demo_prints_no_dead_links(tmp_path):
    db = tmp_path / "traces.db"
    r = run_glassbox("demo", "--no-wait", "--db", str(db), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    # The collector stopped with the demo: no URL may be printed, only the way back to them.
    assert not re.findall(r"https?://\S+", r.stdout), r.stdout
    assert f"glassbox collector --db {db}" in r.stdout
    acts = parse_acts(r.stdout)
    assert f"/trace/{acts[ACTS[1]]}" in r.stdout

    # The printed command serves them again, and the printed paths answer on it.
    collector = subprocess.Popen([glassbox_bin(), "collector", "--db", str(db), "--listen",
                                  "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
    try:
        base = wait_until(lambda: re.search(r"viewer\s+(http://\S+)/", collector.stderr.readline()),
                          "the collector's address").group(1)
        for trace_id in acts.values():
            with urllib.request.urlopen(f"{base}/trace/{trace_id}", timeout=5) as page:
                assert page.status == 200
        listed = http_get_json(f"{base}/api/traces")
        assert set(acts.values()) <= {t["traceId"] for t in listed["traces"]}
    finally:
        collector.terminate()
        collector.wait(10)
