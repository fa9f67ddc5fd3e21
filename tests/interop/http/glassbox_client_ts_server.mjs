// glassbox's HTTP client (through `glassbox tools|call --url`) against a server nobody here
// wrote: the TypeScript SDK's McpServer on its StreamableHTTPServerTransport, in three shapes:
// sessions with SSE answers, sessions with plain JSON answers, and stateless.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/http/glassbox_client_ts_server.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

import { glassbox } from './common.mjs';

function makeMcpServer(seen) {
  const server = new McpServer({ name: 'ts-http-server', version: '1.0.0' });
  server.tool('echo', 'Echoes the message', { message: z.string() }, async ({ message }, extra) => {
    seen.push({ tool: 'echo', sessionId: extra.sessionId });
    return { content: [{ type: 'text', text: `Echo: ${message}` }] };
  });
  server.tool('add', 'Adds two numbers', { a: z.number(), b: z.number() }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  server.tool('slow_progress', 'Sends progress, then answers', {}, async (_args, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= 3; i++) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: 3 },
        });
      }
    }
    return { content: [{ type: 'text', text: 'progressed' }] };
  });
  server.resource('greeting', 'test://greeting', async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello from ts' }],
  }));
  return server;
}

// An HTTP server in front of per-session transports, as the SDK's examples do.
async function startTsServer({ stateless = false, json = false } = {}) {
  const seen = [];
  const requests = [];
  const transports = new Map();
  const httpServer = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const parsed = body ? JSON.parse(body) : undefined;
    requests.push({
      method: req.method,
      session: req.headers['mcp-session-id'],
      version: req.headers['mcp-protocol-version'],
      rpc: parsed?.method,
    });
    if (stateless) {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: json,
      });
      const server = makeMcpServer(seen);
      await server.connect(transport);
      res.on('close', () => {
        transport.close();
        server.close();
      });
      await transport.handleRequest(req, res, parsed);
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId || parsed?.method !== 'initialize') {
        res.writeHead(sessionId ? 404 : 400).end();
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: json,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => transports.delete(transport.sessionId);
      await makeMcpServer(seen).connect(transport);
    }
    await transport.handleRequest(req, res, parsed);
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}/mcp`;
  return {
    url,
    seen,
    requests,
    transports,
    stop: () =>
      new Promise((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(resolve);
      }),
  };
}

// Runs glassbox asynchronously (the server lives in this process, so spawnSync would block it).
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(glassbox, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectCode(result, code) {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

for (const shape of [
  { name: 'sessions, SSE answers', stateless: false, json: false },
  { name: 'sessions, JSON answers', stateless: false, json: true },
  { name: 'stateless', stateless: true, json: false },
]) {
  describe(`glassbox client -> TS SDK server (${shape.name})`, () => {
    let server;
    before(async () => {
      server = await startTsServer(shape);
    });
    after(async () => {
      await server?.stop();
    });

    test('tools lists the server tools', async () => {
      const result = await run(['tools', '--url', server.url]);
      expectCode(result, 0);
      const names = result.stdout.trimEnd().split('\n').map((line) => line.split(/\s+/)[0]);
      assert.deepEqual(names.sort(), ['add', 'echo', 'slow_progress']);
    });

    test('call echo message=hi', async () => {
      const result = await run(['call', 'echo', 'message=hi', '--url', server.url]);
      expectCode(result, 0);
      assert.equal(result.stdout, 'Echo: hi\n');
    });

    test('call add with numbers', async () => {
      const result = await run(['call', 'add', 'a=2', 'b=3', '--url', server.url]);
      expectCode(result, 0);
      assert.equal(result.stdout, '5\n');
    });

    test('a call whose answer follows progress notifications', async () => {
      const result = await run(['call', 'slow_progress', '--url', server.url]);
      expectCode(result, 0);
      assert.equal(result.stdout, 'progressed\n');
    });

    test('read a resource', async () => {
      const result = await run(['read', 'test://greeting', '--url', server.url]);
      expectCode(result, 0);
      assert.match(result.stdout, /hello from ts/);
    });

    if (!shape.stateless) {
      test('session id and protocol version go on every request after initialize; DELETE at the end', async () => {
        server.requests.length = 0;
        const result = await run(['call', 'echo', 'message=x', '--url', server.url]);
        expectCode(result, 0);
        // --protocol auto (the default) probes with server/discover first: this 2025-era
        // server refuses it without a session, and the client falls back to initialize.
        const [probe, init, ...rest] = server.requests;
        assert.equal(probe.rpc, 'server/discover');
        assert.equal(probe.session, undefined);
        assert.equal(init.rpc, 'initialize');
        assert.equal(init.session, undefined);
        assert.ok(rest.length >= 2);
        for (const r of rest) {
          assert.ok(r.session, `${r.method} ${r.rpc ?? ''} has a session id`);
          assert.ok(r.version, `${r.method} ${r.rpc ?? ''} has MCP-Protocol-Version`);
        }
        assert.ok(rest.some((r) => r.method === 'DELETE'), 'the session was deleted');
        assert.equal(server.transports.size, 0);
      });
    }
  });
}

describe('glassbox client error paths', () => {
  test('an unreachable server is a connection failure (exit 3)', async () => {
    const result = await run(['tools', '--url', 'http://127.0.0.1:1/mcp']);
    expectCode(result, 3);
  });

  test('a server that answers 500 is a connection failure (exit 3)', async () => {
    const httpServer = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom'));
    });
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${httpServer.address().port}/mcp`;
    const result = await run(['tools', '--url', url]);
    httpServer.close();
    expectCode(result, 3);
    assert.match(result.stderr, /500/);
  });
});
