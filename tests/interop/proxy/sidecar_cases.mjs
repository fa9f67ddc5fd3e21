// The sidecar cases (P3), for any stdio server that exports OTLP but knows nothing of passback and
// has a tool `lookup {id, ms}` making a root span under the caller's span, "db.query" (which
// records a bearer token) under it and "db.row" under that. sidecar_node.mjs and
// sidecar_python.mjs run them against a Node and a Python server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectThroughProxy, newSpanId, newTraceId, passbackSpans } from './common.mjs';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

export function defineSidecarCases({ server, service, rootName = 'tools/call lookup' }) {
  let proxy;
  before(async () => {
    proxy = await connectThroughProxy(['--passback-from-otlp', '--passback-wait', '5000'], server);
  });
  after(async () => { await proxy?.client.close(); });

  const lookup = (id, meta, ms = 0) =>
    proxy.client.callTool({ name: 'lookup', arguments: { id, ms }, _meta: meta });

  // covers P3, S6, S11
  for (const detailed of [false, true]) {
    test(`the server's own spans come back under the caller's span (detailed: ${detailed})`, async () => {
      const traceId = newTraceId();
      const caller = newSpanId();
      const result = await lookup('r1', {
        traceparent: `00-${traceId}-${caller}-01`, otel: { traces: { request: true, detailed } },
      });
      assert.equal(result.content[0].text, `r1:${traceId}`, 'the server continued the caller\'s trace');
      const traces = result._meta?.otel?.traces;
      const spans = passbackSpans(traces);
      for (const s of spans) {
        assert.equal(s.traceId, traceId, `${s.name} is in the caller's trace`);
        assert.equal(s.service, service, `${s.name} names the server that made it`);
      }
      const roots = spans.filter((s) => s.parentSpanId === caller);
      assert.equal(roots.length, 1, 'one root, under the caller\'s span');
      assert.equal(roots[0].name, rootName);
      assert.equal(roots[0].kind, 2, 'the root is the server\'s SERVER span');
      const query = spans.find((s) => s.name === 'db.query');
      assert.ok(query, 'the top level includes the root\'s children');
      assert.equal(query.parentSpanId, roots[0].spanId);
      assert.equal(spans.some((s) => s.name === 'db.row'), detailed, 'grandchildren only when detailed');
      // covers S11: the token the server recorded never reaches the caller
      assert.deepEqual(query.attrs['http.request.header.authorization'], { string: '[REDACTED]' });
      assert.ok(!JSON.stringify(traces).includes(JWT), 'no trace of the bearer token');
      assert.ok(traces.policy.redactedAttributeCount >= 1, 'the redaction is reported (S15)');
      assert.equal(traces.policy.detailed, detailed);
    });
  }

  // covers S2
  test('no passback unless asked with the boolean true', async () => {
    for (const otel of [undefined, { traces: { request: 'true' } }, { traces: { request: 1 } }]) {
      const meta = { traceparent: `00-${newTraceId()}-${newSpanId()}-01` };
      if (otel) meta.otel = otel;
      const result = await lookup('r2', meta);
      assert.equal(result._meta?.otel, undefined, `no _meta.otel for ${JSON.stringify(otel)}`);
    }
  });

  // covers P3 (a traceparent made when the front sent none)
  test('a call without traceparent gets one, and its spans', async () => {
    const result = await lookup('r3', { otel: { traces: { request: true } } });
    const traceId = result.content[0].text.split(':')[1];
    assert.match(traceId, /^[0-9a-f]{32}$/);
    const spans = passbackSpans(result._meta.otel.traces);
    assert.ok(spans.length >= 2, `root and db.query (${spans.length})`);
    for (const s of spans) assert.equal(s.traceId, traceId, 'the trace the proxy started');
  });

  // covers S9
  test('100 calls in flight: each gets only its own spans', async () => {
    const calls = [];
    for (let i = 0; i < 100; ++i) {
      const traceId = newTraceId();
      const caller = newSpanId();
      const id = `c${i}`;
      calls.push(lookup(id, {
        traceparent: `00-${traceId}-${caller}-01`, otel: { traces: { request: true, detailed: true } },
      }, 20 + (i % 7) * 10).then((result) => ({ result, traceId, caller, id })));
    }
    for (const { result, traceId, caller, id } of await Promise.all(calls)) {
      const spans = passbackSpans(result._meta.otel.traces);
      assert.equal(spans.length, 3, `${id}: root, db.query, db.row (${spans.map((s) => s.name)})`);
      for (const s of spans) {
        assert.equal(s.traceId, traceId, `${id}: ${s.name} of its own trace`);
        if (s.name !== rootName) assert.deepEqual(s.attrs['record.id'], { string: id }, `${id}: its own record`);
      }
      assert.equal(spans.filter((s) => s.parentSpanId === caller).length, 1, `${id}: its root`);
    }
  });
}
