// `glassbox proxy --http` with sessionless MCP 2026-07-28 POSTs: they share one back (one stdio
// child, counted by a wrapper script that logs each start), with their JSON-RPC ids and progress
// tokens rewritten so that fronts reusing the same id and token each get their own answers; a
// front that goes away mid-call disturbs no other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glassbox, startGlassboxHttp } from '../http/common.mjs';

const VERSION = '2026-07-28';
const meta = (extra = {}) => ({
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'shared-back-test', version: '1' },
  ...extra,
});

// A proxy whose stdio server is a wrapper that appends its pid to `starts` before it becomes
// `glassbox serve everything --stdio`.
async function startProxy(t) {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-shared-back-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const starts = join(dir, 'starts');
  const wrapper = join(dir, 'server.sh');
  writeFileSync(wrapper, `#!/bin/sh\necho $$ >> '${starts}'\nexec '${glassbox}' serve everything --stdio\n`);
  chmodSync(wrapper, 0o755);
  const proxy = await startGlassboxHttp(['proxy', '--http', '127.0.0.1:0', '--', wrapper]);
  const childStarts = () => {
    try {
      return readFileSync(starts, 'utf8').trim().split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { ...proxy, childStarts };
}

// POSTs one request; resolves to every JSON-RPC message of its answer (SSE or plain JSON), in
// order. `onMessage` sees each as it arrives.
// `onOpen` runs when the response's head arrived.
async function post(url, body, { signal, onOpen = () => {}, onMessage = () => {} } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': VERSION,
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...body }),
    signal,
  });
  assert.equal(res.status, 200);
  onOpen();
  const messages = [];
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const m = await res.json();
    onMessage(m);
    return [m];
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      if (!data) continue;
      const m = JSON.parse(data);
      messages.push(m);
      onMessage(m);
    }
  }
  return messages;
}

const call = (name, args, extraMeta = {}) => ({
  id: 1, // every front uses the same id: the proxy must keep them apart on the back
  method: 'tools/call',
  params: { name, arguments: args, _meta: meta(extraMeta) },
});

test('concurrent sessionless calls share one child and each gets its own answer', async (t) => {
  const proxy = await startProxy(t);
  try {
    const N = 8;
    const echoes = Array.from({ length: N }, (_, i) => post(proxy.url, call('echo', { message: `m${i}` })));
    // Two fronts with the same progress token: each sees only its own progress.
    const progress = [0, 1].map(() => post(proxy.url, call('test_tool_with_progress', {}, { progressToken: 'p' })));
    const answers = await Promise.all(echoes);
    answers.forEach((messages, i) => {
      assert.deepEqual(messages, [{
        jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: `Echo: m${i}` }], resultType: 'complete' },
      }]);
    });
    for (const messages of await Promise.all(progress)) {
      const notes = messages.filter((m) => m.method === 'notifications/progress');
      assert.deepEqual(notes.map((m) => [m.params.progressToken, m.params.progress]), [['p', 0], ['p', 50], ['p', 100]]);
      const last = messages.at(-1);
      assert.equal(last.id, 1);
      assert.equal(last.result.content[0].text, 'Tool with progress executed successfully');
      assert.equal(messages.length, 4, JSON.stringify(messages));
    }
    assert.equal(proxy.childStarts(), 1, 'one child process for every sessionless request');
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.log());
  }
});

test('a front that goes away mid-call does not disturb another', async (t) => {
  const proxy = await startProxy(t);
  try {
    // B waits on the back while A comes and goes, with the same id and progress token.
    const b = post(proxy.url, call('sleep', { ms: 1500 }, { progressToken: 'same' }));
    const abort = new AbortController();
    let aOpen;
    const aStreamOpen = new Promise((resolve) => { aOpen = resolve; });
    const a = post(proxy.url, call('sleep', { ms: 60000 }, { progressToken: 'same' }), {
      signal: abort.signal,
      onOpen: aOpen,
    }).then(() => 'answered', (e) => e.name);
    // A's stream is open once its POST was handed to the proxy's session; one more round trip
    // through the same back puts A's request on the child before A goes away.
    await aStreamOpen;
    await post(proxy.url, call('echo', { message: 'after A' }));
    abort.abort();
    assert.equal(await a, 'AbortError');
    // The proxy cancels A on the child, whose sleep then ends at once with "Cancelled": that
    // answer (id 1, like B's) is dropped, and B's stream carries only B's own response.
    assert.deepEqual(await b, [{
      jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'Slept 1500 ms' }], resultType: 'complete' },
    }]);
    // The back is still the same child and still answers.
    const later = await post(proxy.url, call('echo', { message: 'later' }));
    assert.equal(later[0].result.content[0].text, 'Echo: later');
    assert.equal(proxy.childStarts(), 1);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.log());
  }
});
