// glassbox's client (`glassbox tools|call|read`) against a server built with the TypeScript SDK
// v2 (ts2_server.mjs), over stdio and Streamable HTTP, in each revision: --protocol 2026-07-28,
// --protocol 2025-11-25, and auto (which must settle on 2026-07-28 with this peer). Over HTTP
// the test also sees the headers of every POST (MCP-Protocol-Version, Mcp-Method, Mcp-Name), and
// in each revision that the client asks for passback on the request itself (C2), the peer having
// advertised the extension.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/ts2/glassbox_client_ts2_server.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createMcpHandler } from '@modelcontextprotocol/server';

import { makeServer } from './ts2_server.mjs';

const glassbox = process.env.GLASSBOX_BIN;
assert.ok(glassbox, 'GLASSBOX_BIN must name the glassbox binary');
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function cli(args) {
  try {
    const { stdout, stderr } = await run(glassbox, args, { timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// createMcpHandler is web-standard (Request in, Response out): bridge node:http to it, and keep
// every POST's headers and body.
async function startHttp() {
  const handler = createMcpHandler(() => makeServer());
  const posts = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (req.method === 'POST') posts.push({ headers: req.headers, body: JSON.parse(body.toString()) });
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? body : undefined,
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body) res.write(chunk);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    posts,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const stdioTarget = ['--', process.execPath, path.join(here, 'ts2_server.mjs'), '--stdio'];

for (const protocol of ['2026-07-28', '2025-11-25', 'auto']) {
  describe(`stdio, --protocol ${protocol}`, () => {
    test('tools, call and read', async () => {
      const tools = await cli(['tools', '--protocol', protocol, ...stdioTarget]);
      assert.equal(tools.code, 0, tools.stderr);
      assert.match(tools.stdout, /echo/);
      assert.match(tools.stdout, /confirm/);
      const call = await cli(['call', 'echo', 'message=hi', '--protocol', protocol, ...stdioTarget]);
      assert.equal(call.code, 0, call.stderr);
      assert.match(call.stdout, /Echo: hi/);
      const read = await cli(['read', 'test://greeting', '--protocol', protocol, ...stdioTarget]);
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, /hello from ts2/);
    });

    test('passback is asked for on the request itself (C2)', async () => {
      // covers C2
      const call = await cli(['call', 'meta', '--json-output', '--protocol', protocol, ...stdioTarget]);
      assert.equal(call.code, 0, call.stderr);
      const result = JSON.parse(call.stdout);
      const meta = JSON.parse(result.content[0].text);
      assert.equal(meta.otel?.traces?.request, true, call.stdout);
    });
  });

  describe(`HTTP, --protocol ${protocol}`, () => {
    let peer;
    before(async () => {
      peer = await startHttp();
    });
    after(async () => {
      await peer.close();
    });

    test('tools, call, read, and the headers of each POST', async () => {
      const target = ['--url', peer.url];
      const call = await cli(['call', 'echo', 'message=hi', '--protocol', protocol, ...target]);
      assert.equal(call.code, 0, call.stderr);
      assert.match(call.stdout, /Echo: hi/);
      const read = await cli(['read', 'test://greeting', '--protocol', protocol, ...target]);
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, /hello from ts2/);
      const methods = peer.posts.map((p) => p.body.method);
      if (protocol === '2025-11-25') {
        assert.equal(methods[0], 'initialize');
        assert.ok(!methods.includes('server/discover'), methods.join());
        return;
      }
      assert.deepEqual(methods, ['server/discover', 'tools/call', 'server/discover', 'resources/read']);
      for (const post of peer.posts) {
        assert.equal(post.headers['mcp-protocol-version'], '2026-07-28');
        assert.equal(post.headers['mcp-method'], post.body.method);
        assert.equal(post.body.params._meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28');
        assert.equal(post.headers['mcp-session-id'], undefined);
      }
      assert.equal(peer.posts[1].headers['mcp-name'], 'echo');
      assert.equal(peer.posts[3].headers['mcp-name'], 'test://greeting');
    });

    test('passback is asked for on the request itself (C2)', async () => {
      // covers C2
      const call = await cli(['call', 'meta', '--json-output', '--protocol', protocol, '--url', peer.url]);
      assert.equal(call.code, 0, call.stderr);
      const meta = JSON.parse(JSON.parse(call.stdout).content[0].text);
      assert.equal(meta.otel?.traces?.request, true, call.stdout);
    });
  });
}
