// Gateway (P2): the TypeScript SDK client, which knows nothing of passback, calls `glassbox serve
// demo` through `glassbox proxy --otlp`; it gets plain results, and the stitched trace (the
// proxy's CLIENT span, the server's spans under it) reaches an OTLP/HTTP receiver, decoded by the
// independent decoder. Over stdio and over --http at the front.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from '@modelcontextprotocol/client';
import { bin, connectThroughProxy, newSpanId, newTraceId, passbackSpans, startReceiver } from './common.mjs';
import { startGlassboxHttp } from '../http/common.mjs';

const demo = [bin, 'serve', 'demo', '--stdio'];
const search = { name: 'search_tickets', arguments: { customer: 'acme-corp', query: 'login' } };

let receiver;
before(async () => { receiver = await startReceiver(); });
after(async () => { await receiver.close(); });

// The exported trace of one call: the proxy's CLIENT span and the demo server's spans beneath it.
async function expectStitched(traceId, parentSpanId) {
  const spans = await receiver.waitFor((all) => {
    const client = all.find((s) => s.traceId === traceId && s.kind === 3);
    return client && all.some((s) => s.parentSpanId === client.spanId && s.kind === 2);
  });
  const mine = spans.filter((s) => s.traceId === traceId);
  const client = mine.find((s) => s.kind === 3);
  assert.equal(client.service, 'glassbox-proxy', 'the CLIENT span is the proxy\'s');
  assert.equal(client.name, 'tools/call search_tickets');
  if (parentSpanId) assert.equal(client.parentSpanId, parentSpanId, 'it continues the front\'s traceparent');
  const root = mine.find((s) => s.parentSpanId === client.spanId);
  assert.equal(root.service, 'acme-helpdesk', 'the server\'s spans keep its resource (C5)');
  assert.equal(root.name, 'tools/call search_tickets');
  assert.ok(mine.some((s) => s.parentSpanId === root.spanId && s.name === 'kb.search'), 'the stages under it');
  assert.deepEqual(client.attrs['mcp.server.root_span_id'], { string: root.spanId }, 'joined (C6)');
  return { client, root, spans: mine };
}

// Three calls at once under one host span: plain results, and the stitched trace exported.
async function threeCallsStitched(client) {
  const traceId = newTraceId();
  const hostSpan = newSpanId();
  const results = await Promise.all([0, 1, 2].map(() =>
    client.callTool({ ...search, _meta: { traceparent: `00-${traceId}-${hostSpan}-01` } })));
  for (const r of results) {
    assert.match(r.content[0].text, /acme-corp/);
    assert.equal(r._meta, undefined);
  }
  await expectStitched(traceId, hostSpan);
  return traceId;
}

// covers P2, P1
test('stdio front: plain results for a host that asks nothing; the stitched trace is exported', async () => {
  const proxy = await connectThroughProxy(['--otlp', receiver.url], demo);
  try {
    const plain = await proxy.client.callTool(search);
    assert.equal(plain.isError, undefined);
    assert.match(plain.content[0].text, /acme-corp/);
    assert.equal(plain._meta, undefined, 'no _meta.otel for a host that did not ask');

    const traceId = newTraceId();
    const hostSpan = newSpanId();
    const continued = await proxy.client.callTool({ ...search, _meta: { traceparent: `00-${traceId}-${hostSpan}-01` } });
    assert.equal(continued._meta, undefined);
    await expectStitched(traceId, hostSpan);
  } finally {
    await proxy.client.close();
  }
});

// covers P2 (the front asked: the checked payload passes through, the proxy's span included)
test('stdio front: a host that asks for passback gets the checked payload', async () => {
  const proxy = await connectThroughProxy(['--otlp', receiver.url, '--otlp-protocol', 'json'], demo);
  try {
    const traceId = newTraceId();
    const hostSpan = newSpanId();
    const result = await proxy.client.callTool({
      ...search, _meta: { traceparent: `00-${traceId}-${hostSpan}-01`, otel: { traces: { request: true, detailed: true } } },
    });
    const spans = passbackSpans(result._meta.otel.traces);
    const client = spans.find((s) => s.parentSpanId === hostSpan);
    assert.ok(client, 'the proxy\'s CLIENT span hangs under the host\'s span');
    assert.equal(client.kind, 3);
    const root = spans.find((s) => s.parentSpanId === client.spanId);
    assert.equal(root.service, 'acme-helpdesk');
    assert.ok(spans.some((s) => s.name === 'kb.rank'), 'detailed: the whole tree');
    for (const s of spans) assert.equal(s.traceId, traceId);
    await expectStitched(traceId, hostSpan);
  } finally {
    await proxy.client.close();
  }
});

// covers P2 over Streamable HTTP at the front
test('--http front: plain results, the stitched trace exported, a clean exit on SIGTERM', async () => {
  const proxy = await startGlassboxHttp(['proxy', '--http', '127.0.0.1:0', '--otlp', receiver.url, '--', ...demo]);
  const client = new Client({ name: 'ts-proxy-http', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'search_tickets'), 'tools/list passes through');
    await threeCallsStitched(client);
    await client.close();
  } finally {
    assert.equal(await proxy.stop(), 0, `exit 0 on SIGTERM; log: ${proxy.log()}`);
  }
});

// covers P2: sessionless 2026-07-28 POSTs, which share one back, are taken over all the same
test('--http front, MCP 2026-07-28 (TypeScript SDK v2 client): concurrent calls stitched on the shared back', async () => {
  const proxy = await startGlassboxHttp(['proxy', '--http', '127.0.0.1:0', '--otlp', receiver.url, '--', ...demo]);
  const client = new ClientV2({ name: 'ts-v2-proxy-http', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  try {
    await client.connect(new StreamableHTTPClientTransportV2(new URL(proxy.url)));
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const traceId = await threeCallsStitched(client);
    // One proxy CLIENT span per call, each with the server's SERVER span under it.
    await receiver.waitFor((all) => {
      const clients = all.filter((s) => s.traceId === traceId && s.service === 'glassbox-proxy');
      return clients.length === 3 &&
        clients.every((c) => all.some((s) => s.parentSpanId === c.spanId && s.kind === 2));
    });
    await client.close();
  } finally {
    assert.equal(await proxy.stop(), 0, `exit 0 on SIGTERM; log: ${proxy.log()}`);
  }
});

// covers P2, P3, S13: both roles; every span the child exports reaches the exporter once
test('gateway and sidecar together: the child\'s whole trace under the proxy\'s CLIENT span, no span twice', async () => {
  const otelServer = [process.execPath, fileURLToPath(new URL('./otel_server.mjs', import.meta.url))];
  const proxy = await connectThroughProxy(['--passback-from-otlp', '--otlp', receiver.url], otelServer);
  try {
    const traceId = newTraceId();
    const hostSpan = newSpanId();
    const result = await proxy.client.callTool({
      name: 'lookup', arguments: { id: 'both' }, _meta: { traceparent: `00-${traceId}-${hostSpan}-01` },
    });
    assert.equal(result.content[0].text, `both:${traceId}`);
    assert.equal(result._meta, undefined, 'a host that asked nothing sees plain results');
    // The proxy's CLIENT span has the same name as the child's SERVER root ("tools/call lookup"),
    // and the two reach the receiver in either order: tell them apart by kind, never by name.
    const isRoot = (s) => s.kind === 2 && s.name === 'tools/call lookup';
    const spans = await receiver.waitFor((all) => {
      const trace = all.filter((s) => s.traceId === traceId);
      return ['db.row', 'db.query'].every((n) => trace.some((s) => s.name === n)) &&
        trace.some(isRoot) && trace.some((s) => s.kind === 3);
    });
    await proxy.client.close();  // the proxy flushes its exporter before it exits
    const mine = spans.filter((s) => s.traceId === traceId);
    const clients = mine.filter((s) => s.kind === 3);
    assert.equal(clients.length, 1, 'one CLIENT span: the proxy\'s');
    const [client] = clients;
    assert.equal(client.service, 'glassbox-proxy');
    assert.equal(client.parentSpanId, hostSpan);
    const root = mine.find(isRoot);
    assert.equal(root.parentSpanId, client.spanId, 'the child\'s root under the proxy\'s CLIENT span');
    assert.equal(root.service, 'node-otel-server');
    assert.ok(mine.some((s) => s.name === 'db.row'), 'S13: the whole tree, not the top level of passback');
    const ids = mine.map((s) => s.spanId);
    assert.equal(new Set(ids).size, ids.length, `no span exported twice (${mine.map((s) => s.name)})`);
  } finally {
    await proxy.client.close();
  }
});

// covers P2 under load: the calls taken over run on a pool of --max-calls threads; the rest
// queue (not refused), and what the front sends besides (here the gate's own requests, and a
// cancellation) passes the queue.
test('--max-calls: 40 calls at once, 4 at a time at the back and in threads, every one answered', async () => {
  const bound = 4;
  const gate = [process.execPath, fileURLToPath(new URL('./raw_server.mjs', import.meta.url)), 'gate'];
  const proxy = await connectThroughProxy(['--otlp', receiver.url, '--max-calls', String(bound)], gate);
  const threads = () => readdirSync(`/proc/${proxy.transport.pid}/task`).length;
  const control = (method) => proxy.client.request({ method }, ResultSchema);
  try {
    // One call first, so that the exporter's threads and the pool's first worker exist.
    assert.equal((await proxy.client.callTool({ name: 'hold', arguments: {} })).content[0].text, 'ok');
    const before = threads();
    await control('gate/close');
    const cancel = new AbortController();
    const calls = Array.from({ length: 40 }, (_, i) => proxy.client.callTool(
      { name: 'hold', arguments: { i } }, undefined, i === 39 ? { signal: cancel.signal } : {}));
    // The proxy reads its front in order: by the time a gate/status comes back, all 40 calls
    // have reached it. Ask until the back holds as many as the bound lets through.
    let status;
    do status = await control('gate/status'); while (status.held < bound);
    const during = threads();
    assert.ok(during <= before + bound, `${during} threads with 40 calls in flight, ${before} before`);
    // The last call is still queued: its cancellation passes the queue, and it never reaches
    // the back.
    cancel.abort('no longer wanted');
    await assert.rejects(calls[39]);
    await control('gate/release');
    for (const result of await Promise.all(calls.slice(0, 39))) {
      assert.equal(result.content[0].text, 'ok');
    }
    status = await control('gate/status');
    assert.equal(status.maxHeld, bound, 'never more calls at the back than the bound');
    assert.equal(status.calls, 1 + 39, 'the cancelled call never reached the back');
    assert.ok(threads() <= before + bound, 'the workers are reused');
  } finally {
    await proxy.client.close();
  }
});

// The stitched trace into Jaeger: tests/interop/python/test_proxy_jaeger.py (Jaeger's helper lives there).
