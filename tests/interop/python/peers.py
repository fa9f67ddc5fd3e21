"""Shared helpers of the Python interop tests: free loopback ports, Jaeger started for one test on
ports of its own, its query API read back as a span tree, and the glassbox binary.

The peers' paths come from the environment (scripts/peers-env.sh, or ctest's ENVIRONMENT):
GLASSBOX_JAEGER, GLASSBOX_BIN. A missing one fails the test; nothing is skipped.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


def required_path(variable: str) -> str:
    path = os.environ.get(variable, "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"{variable}={path!r} is not an executable: run scripts/install-deps.sh")
    return path


def glassbox_bin() -> str:
    return required_path("GLASSBOX_BIN")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(probe, what: str, timeout: float = 20.0, every: float = 0.05):
    """Polls `probe` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def http_get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


_JAEGER_CONFIG = """\
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:{query}
    grpc:
      endpoint: 127.0.0.1:{query_grpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
"""


@dataclass
class Span:
    span_id: str
    parent_id: str | None
    name: str
    service: str
    kind: str
    tags: dict = field(default_factory=dict)


class Jaeger:
    """Jaeger v2 (all in one, in-memory storage) on free loopback ports: OTLP/HTTP and the query
    API. Use as a context manager; it stops (SIGTERM, then SIGKILL) on exit."""

    def __init__(self):
        self.binary = required_path("GLASSBOX_JAEGER")
        self.dir = tempfile.mkdtemp(prefix="glassbox-jaeger-")
        self.process = None

    def __enter__(self):
        for _ in range(3):  # a port taken between free_port() and Jaeger's bind: try new ones
            self.otlp_port, self.query_port, grpc = free_port(), free_port(), free_port()
            config = Path(self.dir, "config.yaml")
            config.write_text(_JAEGER_CONFIG.format(otlp=self.otlp_port, query=self.query_port,
                                                    query_grpc=grpc))
            self.log = open(Path(self.dir, "jaeger.log"), "w+")
            self.process = subprocess.Popen([self.binary, "--config", str(config)],
                                             stdout=self.log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            self._stop()
        raise RuntimeError(f"Jaeger did not start:\n{self.log_text()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if http_get_json(f"{self.query_url}/api/services") is not None and self._otlp_up():
                return True
            time.sleep(0.05)
        return False

    def _otlp_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.otlp_port), timeout=1):
                return True
        except OSError:
            return False

    def __exit__(self, *exc):
        self._stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.dir, "jaeger.log").read_text()[-4000:]

    @property
    def otlp_url(self) -> str:  # the OTLP/HTTP base URL; /v1/traces is the traces endpoint
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.query_port}"

    def trace(self, trace_id: str, min_spans: int, timeout: float = 20.0) -> dict[str, Span]:
        """The trace's spans by id, once Jaeger has at least `min_spans` of them."""

        def probe():
            body = http_get_json(f"{self.query_url}/api/traces/{trace_id}")
            if not body or not body.get("data"):
                return None
            spans = spans_of(body["data"][0])
            return spans if len(spans) >= min_spans else None

        return wait_until(probe, f"{min_spans} spans of trace {trace_id} in Jaeger", timeout)

    def trace_ids(self, service: str) -> set[str]:
        body = http_get_json(f"{self.query_url}/api/traces?service={service}&limit=100&lookback=1h")
        return {t["traceID"] for t in (body or {}).get("data") or []}


def spans_of(jaeger_trace: dict) -> dict[str, Span]:
    """Jaeger's query JSON (the UI's format) as Span objects keyed by span id."""
    processes = jaeger_trace["processes"]
    out = {}
    for s in jaeger_trace["spans"]:
        parent = next((r["spanID"] for r in s.get("references", []) if r["refType"] == "CHILD_OF"),
                      None)
        tags = {t["key"]: t["value"] for t in s.get("tags", [])}
        out[s["spanID"]] = Span(s["spanID"], parent, s["operationName"],
                                processes[s["processID"]]["serviceName"],
                                tags.get("span.kind", ""), tags)
    return out


def children(spans: dict[str, Span], parent_id: str) -> list[Span]:
    return [s for s in spans.values() if s.parent_id == parent_id]


def assert_connected(spans: dict[str, Span]) -> Span:
    """Exactly one root, and every other span's parent is in the trace (nothing orphaned)."""
    roots = [s for s in spans.values() if s.parent_id is None]
    assert len(roots) == 1, f"roots: {[(r.name, r.service) for r in roots]}"
    orphans = [s.name for s in spans.values() if s.parent_id and s.parent_id not in spans]
    assert not orphans, f"orphaned spans: {orphans}"
    return roots[0]


def run_glassbox(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", "ARCADE_USAGE_TRACKING": "0", **(env or {})}
    return subprocess.run([glassbox_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def trace_id_of(stderr: str) -> str:
    """The trace id glassbox's waterfall prints on stderr ("trace <32 hex>")."""
    m = re.search(r"^trace ([0-9a-f]{32})", stderr, re.M)
    assert m, f"no trace id in glassbox's output:\n{stderr}"
    return m.group(1)


class GlassboxHttpServer:
    """`glassbox serve <fixture> --http 127.0.0.1:0`; .url is what it printed it listens on."""

    def __init__(self, fixture: str, env: dict | None = None):
        self.args = [glassbox_bin(), "serve", fixture, "--http", "127.0.0.1:0"]
        self.env = {**os.environ, **(env or {})}

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, env=self.env)
        line = self.process.stderr.readline()  # the first line, or "" when it died
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.process.kill()
            raise RuntimeError(f"glassbox serve did not start: {line}{self.process.stderr.read()}")
        self.url = m.group(1)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)
        self.process.stderr.close()
