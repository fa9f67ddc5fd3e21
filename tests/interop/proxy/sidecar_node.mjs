// Sidecar (P3) against a Node MCP server written with the TypeScript SDK and instrumented with the
// OpenTelemetry JS SDK (otel_server.mjs): it exports OTLP protobuf through a batch processor and
// knows nothing of passback. The TypeScript SDK client calls it through `glassbox proxy
// --passback-from-otlp`. Also: late spans, a server that exports nothing, the wait's bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { connectThroughProxy, newSpanId, newTraceId, passbackSpans } from './common.mjs';
import { defineSidecarCases } from './sidecar_cases.mjs';

const require = createRequire(import.meta.url);
const otelServer = [process.execPath, fileURLToPath(new URL('./otel_server.mjs', import.meta.url))];
const everything = [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];

defineSidecarCases({ server: otelServer, service: 'node-otel-server' });

const asked = () => ({ traceparent: `00-${newTraceId()}-${newSpanId()}-01`, otel: { traces: { request: true } } });

// covers P3 (late spans are counted and reported; the call is not held past the bound)
test('spans that arrive after the bound are counted and reported', async () => {
  const proxy = await connectThroughProxy(['--passback-from-otlp', '--passback-wait', '100'], otelServer);
  try {
    const started = Date.now();
    const result = await proxy.client.callTool({ name: 'late', arguments: { ms: 1000 }, _meta: asked() });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 900, `answered after the 100 ms bound, not with the late span (${elapsed} ms)`);
    const traces = result._meta.otel.traces;
    assert.deepEqual(traces.resourceSpans, [], 'no spans: the root had not ended');
    assert.match(traces.policy.reason, /within 100 ms/);
    // The root span ends 1 s after the answer and is exported then: counted as late.
    const deadline = Date.now() + 10000;
    while (!/1 span\(s\) arrived after their call was answered/.test(proxy.stderr())) {
      assert.ok(Date.now() < deadline, `the late span was reported; stderr: ${proxy.stderr()}`);
      await new Promise((resolve) => proxy.transport.stderr.once('data', resolve));
    }
  } finally {
    await proxy.client.close();
  }
});

// covers P3 (a child that exports nothing)
test('a server that exports nothing: no spans, a policy.reason, and the call is not held past the bound', async () => {
  const proxy = await connectThroughProxy(['--passback-from-otlp', '--passback-wait', '300'], everything);
  try {
    const started = Date.now();
    const result = await proxy.client.callTool({ name: 'echo', arguments: { message: 'hi' }, _meta: asked() });
    const elapsed = Date.now() - started;
    assert.equal(result.content[0].text, 'Echo: hi');
    const traces = result._meta.otel.traces;
    assert.deepEqual(passbackSpans(traces), []);
    assert.match(traces.policy.reason, /exported no spans/);
    assert.ok(elapsed < 300 + 3000, `held about the bound only (${elapsed} ms)`);
  } finally {
    await proxy.client.close();
  }
});
