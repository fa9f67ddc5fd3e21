// Forwarding (P1): the TypeScript SDK client and the reference `everything` server of
// @modelcontextprotocol/server-everything, through `glassbox proxy`: sampling, elicitation,
// progress and cancellation pass both ways. Then a server that crashes, and malformed lines from
// either side, with raw JSON-RPC lines (raw_server.mjs at the back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { bin, connectThroughProxy, newSpanId, newTraceId } from './common.mjs';

const require = createRequire(import.meta.url);
const everything = [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
const rawServer = (mode) => [process.execPath, fileURLToPath(new URL('./raw_server.mjs', import.meta.url)), mode];

// Each role on and off: forwarding must not depend on them.
for (const args of [[], ['--passback-from-otlp', '--passback-wait', '200']]) {
  // covers P1
  test(`sampling, elicitation, progress, cancellation pass through (proxy ${args.join(' ') || 'plain'})`, async () => {
    const proxy = await connectThroughProxy(args, everything, {
      capabilities: { sampling: {}, elicitation: { form: {} } },
    });
    const { client } = proxy;
    try {
      let sampled;
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        sampled = request.params;
        return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled answer' } };
      });
      client.setRequestHandler(ElicitRequestSchema, async () => ({
        action: 'accept', content: { name: 'Ada', check: true, email: 'ada@example.com', integer: 7 },
      }));

      const sampling = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
      assert.match(sampled.messages[0].content.text, /hello/, 'the server\'s sampling request reached the client');
      assert.match(JSON.stringify(sampling.content), /sampled answer/, 'and the client\'s answer reached the server');

      const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited.content), /Ada/, 'the elicitation answer came back through');

      const progress = [];
      const traceparent = `00-${newTraceId()}-${newSpanId()}-01`;
      const long = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.9, steps: 3 }, _meta: { traceparent } },
        undefined, { onprogress: (p) => progress.push(p) });
      assert.match(long.content[0].text, /completed/i);
      // The SDK handles a notification in a microtask but a response at once: a progress read in
      // the same chunk as the response finds its handler gone. The steps are 300 ms apart so that
      // only the last can share the response's chunk on a loaded machine (at 67 ms apart, all
      // three did, 1 run in 24). In order, then; the raw test below checks that all of them pass.
      assert.ok(progress.length >= 2, `progress reached the client (${progress.length})`);
      assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3].slice(0, progress.length), 'in order');

      const controller = new AbortController();
      const cancelled = client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 3 } },
        undefined, { signal: controller.signal, onprogress: () => {} });
      setTimeout(() => controller.abort('changed my mind'), 100);
      await assert.rejects(cancelled, /changed my mind|abort/i);
      // The session goes on, and nothing answers the cancelled call.
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
      assert.equal(echo.content[0].text, 'Echo: still here');
    } finally {
      await client.close();
    }
  });
}

// Raw lines to `glassbox proxy ... -- <server>`: `send` a line, `next()` the next line out.
function rawProxy(args, server) {
  const child = spawn(bin, ['proxy', ...args, '--', ...server], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (l) => (waiting.length ? waiting.shift()(l) : lines.push(l)));
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    send: (line) => child.stdin.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`),
    next: () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiting.push(r))).then(JSON.parse),
    end: () => child.stdin.end(),
    exited,
    stderr: () => stderr,
  };
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

// covers P1 (progress, on the wire)
test('every progress notification passes, in order, before the response', async () => {
  for (const args of [[], ['--passback-from-otlp']]) {
    const proxy = rawProxy(args, everything);
    proxy.send(initialize);
    await proxy.next();
    proxy.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    proxy.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: {
      name: 'trigger-long-running-operation', arguments: { duration: 0.1, steps: 3 }, _meta: { progressToken: 'p' } } });
    const seen = [];
    for (;;) {
      const m = await proxy.next();
      if (m.method === 'notifications/progress') seen.push(`${m.params.progressToken}:${m.params.progress}`);
      if (m.id === 2) break;
    }
    assert.deepEqual(seen, ['p:1', 'p:2', 'p:3'], `proxy ${args.join(' ') || 'plain'}`);
    proxy.end();
    assert.equal(await proxy.exited, 0);
  }
});

// covers P1 (malformed lines)
test('malformed lines from either side are answered as a server would, and nothing else is lost', async () => {
  const proxy = rawProxy([], rawServer('garbage'));
  proxy.send(initialize);
  const init = await proxy.next();
  assert.equal(init.id, 1);
  assert.equal(init.result.serverInfo.name, 'raw', 'the answer after the server\'s bad line arrived');

  proxy.send('{"jsonrpc": "2.0", "id": 2, "method": ');  // cut short
  const parseError = await proxy.next();
  assert.equal(parseError.error.code, -32700, 'the front\'s bad line: a parse error');
  assert.equal(parseError.id, null);
  proxy.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
  assert.deepEqual(await proxy.next(), { jsonrpc: '2.0', id: 3, result: {} }, 'the next request goes through');
  proxy.end();
  assert.equal(await proxy.exited, 0, 'end of input: a clean exit');
  assert.match(proxy.stderr(), /raw got: \{.*"code":-32700/,
    'the server\'s bad line was answered with a parse error, as a server answers it');
  assert.ok(!/raw got: .*"id":2/.test(proxy.stderr()), 'the front\'s bad line never reached the server');
});

// covers P1 (a revision the proxy does not know passes unchanged)
test('methods, params and _meta keys the proxy does not know pass unchanged (sidecar on)', async () => {
  const proxy = rawProxy(['--passback-from-otlp', '--passback-wait', '50'], rawServer('echo'));
  proxy.send({ ...initialize, params: { ...initialize.params, protocolVersion: '2099-01-01' } });
  await proxy.next();
  const params = { future: { nested: [1, 'two', null] }, _meta: { 'io.example/key': 'v', progressToken: 9 } };
  proxy.send({ jsonrpc: '2.0', id: 'a', method: 'server/discover', params });
  assert.deepEqual(await proxy.next(), { jsonrpc: '2.0', id: 'a', result: { method: 'server/discover', params } });
  // A tools/call keeps everything but the telemetry keys the proxy manages.
  const call = { name: 't', arguments: { x: 1 }, extra: true, _meta: { 'io.example/key': 'v' } };
  proxy.send({ jsonrpc: '2.0', id: 'b', method: 'tools/call', params: call });
  const echoed = await proxy.next();
  assert.equal(echoed.id, 'b');
  const { traceparent, ...rest } = echoed.result.params._meta;
  assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the sidecar gave the call a traceparent');
  assert.deepEqual({ ...echoed.result.params, _meta: rest }, call);
  proxy.end();
  assert.equal(await proxy.exited, 0);
});

// covers P1 (a crashing server)
test('a server that crashes: pending calls get a clear error, and the proxy exits cleanly', async () => {
  for (const args of [[], ['--passback-from-otlp']]) {
    const proxy = rawProxy(args, rawServer('crash'));
    proxy.send(initialize);
    await proxy.next();
    proxy.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    proxy.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x', arguments: {} } });
    const answer = await proxy.next();
    assert.equal(answer.id, 2);
    assert.equal(answer.error.code, -32000);
    assert.match(answer.error.message, /server closed the connection/);
    assert.equal(await proxy.exited, 3, `exit 3 (connection failure); stderr: ${proxy.stderr()}`);
    assert.match(proxy.stderr(), /glassbox proxy: the server closed the connection \(it exited or crashed\)/);
  }
});

test('a server that cannot start: a clear error and exit 3', async () => {
  const proxy = rawProxy([], ['/nonexistent/mcp-server']);
  proxy.send(initialize);
  const code = await proxy.exited;
  assert.equal(code, 3);
  assert.match(proxy.stderr(), /glassbox proxy: cannot start the server/);
});
