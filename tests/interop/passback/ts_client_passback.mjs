// Passback interop (issue 3): the TypeScript SDK client calls `glassbox serve demo --stdio`
// with a traceparent and _meta.otel.traces.request = true; the returned payload must survive an
// independent OTLP decoder (the protobufjs code generated from the OTLP protos, shipped in
// @opentelemetry/otlp-transformer@0.52.1), carry the client's trace id on every span, and have
// exactly one SERVER root whose parent is the client's span.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const require = createRequire(import.meta.url);
const otlp = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Long = require('long');
const ExportRequest = otlp.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const bin = process.env.GLASSBOX_BIN;
assert.ok(bin, 'GLASSBOX_BIN must name the glassbox binary');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const traceparent = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

// OTLP JSON -> the protobufjs object form: hex ids to bytes, decimal strings to Long.
function toProtoObject(json) {
  const hex = (s) => Buffer.from(s, 'hex');
  const anyValue = (v) => {
    if (v.intValue !== undefined) return { intValue: Long.fromString(String(v.intValue)) };
    if (v.arrayValue) return { arrayValue: { values: (v.arrayValue.values ?? []).map(anyValue) } };
    if (v.kvlistValue) return { kvlistValue: { values: (v.kvlistValue.values ?? []).map(kv) } };
    return v;
  };
  const kv = (a) => ({ key: a.key, value: anyValue(a.value) });
  return {
    resourceSpans: json.resourceSpans.map((rs) => ({
      resource: { attributes: (rs.resource?.attributes ?? []).map(kv) },
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: ss.scope,
        spans: ss.spans.map((s) => ({
          ...s,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : undefined,
          startTimeUnixNano: Long.fromString(s.startTimeUnixNano, true),
          endTimeUnixNano: Long.fromString(s.endTimeUnixNano, true),
          attributes: (s.attributes ?? []).map(kv),
          events: (s.events ?? []).map((e) => ({
            ...e, timeUnixNano: Long.fromString(e.timeUnixNano, true), attributes: (e.attributes ?? []).map(kv),
          })),
          links: (s.links ?? []).map((l) => ({
            ...l, traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: (l.attributes ?? []).map(kv),
          })),
        })),
      })),
    })),
  };
}

// Verify, encode to protobuf wire bytes, decode again: what an OTLP receiver would get.
function decodeIndependently(traces) {
  const object = toProtoObject(traces);
  const problem = ExportRequest.verify(object);
  assert.equal(problem, null, `OTLP verify: ${problem}`);
  const bytes = ExportRequest.encode(ExportRequest.fromObject(object)).finish();
  const decoded = ExportRequest.decode(bytes);
  const spans = [];
  for (const rs of decoded.resourceSpans) {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value?.stringValue;
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        spans.push({
          name: s.name,
          kind: s.kind,
          service,
          traceId: Buffer.from(s.traceId).toString('hex'),
          spanId: Buffer.from(s.spanId).toString('hex'),
          parentSpanId: s.parentSpanId?.length ? Buffer.from(s.parentSpanId).toString('hex') : '',
        });
      }
    }
  }
  return spans;
}

test('initialize advertises serverExecutionTelemetry on the wire (S1)', async () => {
  const child = spawn(bin, ['serve', 'demo', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  child.stdin.write(JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  }) + '\n');
  const [first] = await new Promise((resolve) => lines.once('line', (l) => resolve([l])));
  child.stdin.end();
  const init = JSON.parse(first);
  assert.deepEqual(init.result.capabilities.serverExecutionTelemetry,
    { version: '2026-03-01', signals: { traces: { supported: true } } });
  await new Promise((resolve) => child.on('exit', resolve));
});

test('the TypeScript SDK client gets spans that decode independently and stitch under its span', async () => {
  const client = new Client({ name: 'ts-interop', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: bin, args: ['serve', 'demo', '--stdio'], stderr: 'inherit' }));
  try {
    for (const detailed of [false, true]) {
      const result = await client.callTool({
        name: 'search_tickets',
        arguments: { customer: 'acme-corp', query: 'login' },
        _meta: { traceparent, otel: { traces: { request: true, detailed } } },
      });
      assert.equal(result.isError, undefined);
      const traces = result._meta?.otel?.traces;
      assert.ok(traces, 'result._meta.otel.traces is present');
      const spans = decodeIndependently(traces);
      assert.ok(spans.length >= 4, `several stages came back (${spans.length})`);
      for (const s of spans) {
        assert.equal(s.traceId, TRACE_ID, `${s.name} carries the client's trace id`);
        // The help desk's own spans, and its knowledge base's (a nested MCP call, S16).
        assert.ok(['acme-helpdesk', 'acme-kb'].includes(s.service), `the producing server is named (${s.service})`);
      }
      const kbRoot = spans.find((s) => s.service === 'acme-kb' && s.kind === 2);
      assert.ok(kbRoot, 'the knowledge base server\'s spans come back through the help desk');
      const nestedClient = spans.find((s) => s.spanId === kbRoot.parentSpanId);
      assert.equal(nestedClient?.service, 'acme-helpdesk', 'under the help desk\'s CLIENT span');
      assert.equal(nestedClient.kind, 3);
      const roots = spans.filter((s) => s.parentSpanId === CLIENT_SPAN);
      assert.equal(roots.length, 1, 'exactly one span hangs under the client span');
      assert.equal(roots[0].kind, 2, 'and it is the SERVER span');
      assert.equal(roots[0].name, 'tools/call search_tickets');
      const names = new Set(spans.map((s) => s.name));
      for (const stage of ['auth.validate', 'policy.evaluate', 'cache.lookup', 'crm.lookup_customer', 'kb.search']) {
        assert.ok(names.has(stage), `stage ${stage} is in the passback`);
      }
      assert.equal(names.has('auth.jwks.lookup'), detailed, 'grandchildren only when detailed');
      assert.equal(names.has('kb.shard.read'), detailed, 'at every hop');
      const payload = JSON.stringify(traces);
      assert.ok(!payload.includes('eyJhbGciOiJSUzI1NiIs'), 'the bearer token never leaves the server');
      assert.ok(!payload.includes('sk-demo-'), 'the API key never leaves the server');
    }
  } finally {
    await client.close();
  }
});

test('no passback unless asked with the boolean true (S2)', async () => {
  const client = new Client({ name: 'ts-interop', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: bin, args: ['serve', 'demo', '--stdio'], stderr: 'inherit' }));
  try {
    const result = await client.callTool({
      name: 'search_tickets', arguments: {},
      _meta: { traceparent, otel: { traces: { request: 'true' } } },
    });
    assert.equal(result._meta?.otel, undefined);
  } finally {
    await client.close();
  }
});
