"""glassbox's client against a server made with the official Python SDK (mcp 2.3.0, whose release
speaks MCP 2026-07-28 beside the 2025 era), over stdio and Streamable HTTP, with each
`--protocol`: 2026-07-28 (server/discover and the per-request _meta), 2025-11-25 (initialize), and
auto. (Which revision auto settles on with this peer is asserted in-process by
tests/mcp/client_ts2_peer_test.cpp for the TypeScript peer; the CLI does not print it.)
Also: a 2025-era stdio server that exits on the server/discover probe (exits_on_discover_server.py)
is started again for initialize.
"""

import socket
import subprocess
import sys

import pytest

from peers import HERE, free_port, run_glassbox, wait_until

SERVER = str(HERE / "python_sdk_echo_server.py")
PROTOCOLS = ["2026-07-28", "2025-11-25", "auto"]


@pytest.fixture(scope="module")
def http_url():
    port = free_port()
    child = subprocess.Popen([sys.executable, SERVER, str(port)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)

    def listening():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, "the Python SDK's HTTP server", timeout=120)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        child.terminate()
        child.wait(timeout=10)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stdio(protocol):
    target = ["--", sys.executable, SERVER]
    call = run_glassbox("call", "echo", "message=hi", "--protocol", protocol, *target)
    assert call.returncode == 0, call.stderr
    assert "Echo: hi" in call.stdout
    read = run_glassbox("read", "test://greeting", "--protocol", protocol, *target)
    assert read.returncode == 0, read.stderr
    assert "hello from python" in read.stdout


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_http(http_url, protocol):
    tools = run_glassbox("tools", "--protocol", protocol, "--url", http_url)
    assert tools.returncode == 0, tools.stderr
    assert "echo" in tools.stdout
    call = run_glassbox("call", "echo", "message=hi", "--protocol", protocol, "--url", http_url)
    assert call.returncode == 0, call.stderr
    assert "Echo: hi" in call.stdout


def test_a_server_that_exits_on_the_probe_is_started_again(tmp_path):
    # `auto` probes with server/discover; this 2025-era server exits on it, so the CLI starts it
    # again and speaks initialize (two starts). Pinned to 2025-11-25 there is no probe (one).
    starts = tmp_path / "starts"
    env = {"EXITS_ON_DISCOVER_LOG": str(starts)}
    target = ["--", sys.executable, str(HERE / "exits_on_discover_server.py")]
    call = run_glassbox("call", "echo", "message=hi", "--protocol", "auto", *target, env=env)
    assert call.returncode == 0, call.stderr
    assert "Echo: hi" in call.stdout
    assert starts.read_text().count("start") == 2
    starts.unlink()
    pinned = run_glassbox("call", "echo", "message=hi", "--protocol", "2025-11-25", *target, env=env)
    assert pinned.returncode == 0, pinned.stderr
    assert starts.read_text().count("start") == 1
    # Pinned to 2026-07-28 the probe is the connection: no fallback, a clear error.
    modern = run_glassbox("call", "echo", "message=hi", "--protocol", "2026-07-28", *target, env=env)
    assert modern.returncode != 0
    assert "2026-07-28" in modern.stderr
