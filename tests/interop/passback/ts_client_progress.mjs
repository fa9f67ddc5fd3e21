// Streamed passback (S17) against the TypeScript SDK client, which knows nothing of it: it calls
// `glassbox serve demo --stdio`'s slow tool export_report with an onprogress callback.
// - Not asking for the stream (with or without passback), it receives exactly the tool's five
//   ordinary progress notifications, none with _meta.otel.
// - Asking for it, it still receives those five, in order, and the partial payloads come as
//   progress notifications too, whose progress still increases, so the SDK is none the wiser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const bin = process.env.GLASSBOX_BIN;
assert.ok(bin, 'GLASSBOX_BIN must name the glassbox binary');
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const STAGES = ['report.query', 'report.aggregate', 'report.render', 'report.compress', 'report.upload'];

async function exportReport(traces) {
  const client = new Client({ name: 'ts-progress', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: bin, args: ['serve', 'demo', '--stdio'] }));
  const updates = [];
  try {
    const meta = traces ? { traceparent, otel: { traces } } : {};
    const result = await client.callTool(
      { name: 'export_report', arguments: { customer: 'acme-corp' }, _meta: meta },
      undefined,
      { onprogress: (p) => updates.push(p), timeout: 30000 });
    return { result, updates };
  } finally {
    await client.close();
  }
}

// covers S17 (a client that did not ask gets no _meta.otel in its progress)
test('without the stream: the five ordinary progress notifications and nothing else', async () => {
  for (const traces of [undefined, { request: true }, { request: false, stream: true }]) {
    const { result, updates } = await exportReport(traces);
    assert.equal(result.isError, undefined);
    // The last stage's progress leaves just before the result; the SDK drops a progress
    // notification that it reads after the response, so the fifth may be missing.
    const n = updates.length;
    assert.ok(n === 4 || n === 5, `four or five progress notifications (${n}), nothing else`);
    assert.deepEqual(updates.map((u) => u.progress), [1, 2, 3, 4, 5].slice(0, n), JSON.stringify(traces));
    assert.deepEqual(updates.map((u) => u.message), STAGES.slice(0, n));
    for (const u of updates) {
      assert.equal(u.total, 5);
      assert.equal(u._meta?.otel, undefined, 'no passback in progress for a caller that did not ask');
    }
    assert.equal(result._meta?.otel !== undefined, traces?.request === true);
  }
});

// covers S17 (compatible with a client that does not know it)
test('with the stream: the ordinary progress still arrives, and every progress value increases', async () => {
  const { result, updates } = await exportReport({ request: true, stream: true });
  assert.equal(result.isError, undefined);
  const ordinary = updates.filter((u) => u.message);
  const n = ordinary.length;
  assert.ok(n === 4 || n === 5, `the tool's own progress (${n})`);
  assert.deepEqual(ordinary.map((u) => u.progress), [1, 2, 3, 4, 5].slice(0, n));
  assert.deepEqual(ordinary.map((u) => u.message), STAGES.slice(0, n));
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].progress > updates[i - 1].progress, `progress increases (${updates.map((u) => u.progress)})`);
  }
  assert.ok(updates.length > ordinary.length, 'partial payloads came as progress notifications');
  const final = result._meta.otel.traces;
  assert.equal(final.partial, undefined, 'the response is not partial');
  assert.ok(final.resourceSpans[0].scopeSpans[0].spans.some((s) => s.kind === 2), 'the root comes with the response');
});
