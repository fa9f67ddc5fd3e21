// The TypeScript SDK's StreamableHTTPClientTransport (a peer nobody here wrote) against
// `glassbox serve everything --http`: tools, resources, prompts, progress, logging, a sampling
// round trip, sessions and their termination; then the same against --stateless.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/http/ts_client_http.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { startGlassboxServer } from './common.mjs';

function makeClient(samplingRequests, logs, updated) {
  const client = new Client(
    { name: 'ts-http-interop', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    samplingRequests.push(request.params);
    return {
      role: 'assistant',
      content: { type: 'text', text: 'This is a test response from the client' },
      model: 'test-model',
      stopReason: 'endTurn',
    };
  });
  return client;
}

describe('TS SDK client -> glassbox HTTP server (sessions)', () => {
  let server;
  let client;
  let transport;
  const samplingRequests = [];
  const logs = [];
  const updated = [];

  before(async () => {
    server = await startGlassboxServer();
    client = makeClient(samplingRequests, logs, updated);
    transport = new StreamableHTTPClientTransport(new URL(server.url));
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('a session id was issued and the server identified itself', () => {
    assert.match(transport.sessionId, /^[\x21-\x7e]{32,}$/);
    assert.equal(client.getServerVersion().name, 'glassbox-everything');
    assert.ok(client.getServerCapabilities().tools);
  });

  test('tools/list and tools/call', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'echo'));
    const result = await client.callTool({ name: 'echo', arguments: { message: 'over http' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: over http' }]);
  });

  test('resources: list, read, templates', async () => {
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === 'test://static-text'));
    const read = await client.readResource({ uri: 'test://static-text' });
    assert.equal(read.contents[0].text, 'This is the content of the static text resource.');
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.length > 0);
    const templated = await client.readResource({ uri: 'test://template/42/data' });
    assert.equal(templated.contents[0].uri, 'test://template/42/data');
  });

  test('prompts: list and get with arguments', async () => {
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === 'test_prompt_with_arguments'));
    const prompt = await client.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'first', arg2: 'second' },
    });
    assert.match(JSON.stringify(prompt.messages), /first/);
  });

  test('progress notifications arrive on the request stream, before the result', async () => {
    const updates = [];
    const result = await client.callTool(
      { name: 'test_tool_with_progress', arguments: {} },
      undefined,
      { onprogress: (p) => updates.push(p.progress) },
    );
    assert.notEqual(result.isError, true);
    assert.deepEqual(updates, [0, 50, 100]);
  });

  test('logging notifications for a call, in order', async () => {
    await client.setLoggingLevel('info');
    logs.length = 0;
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.deepEqual(
      logs.map((l) => l.data),
      ['Tool execution started', 'Tool processing data', 'Tool execution completed'],
    );
  });

  test('a sampling/createMessage round trip', async () => {
    samplingRequests.length = 0;
    const result = await client.callTool({
      name: 'test_sampling',
      arguments: { prompt: 'Test prompt for sampling' },
    });
    assert.equal(samplingRequests.length, 1);
    assert.deepEqual(result.content, [
      { type: 'text', text: 'LLM response: This is a test response from the client' },
    ]);
  });

  test('resources/subscribe and unsubscribe', async () => {
    assert.deepEqual(await client.subscribeResource({ uri: 'test://static-text' }), {});
    assert.deepEqual(await client.unsubscribeResource({ uri: 'test://static-text' }), {});
  });

  test('concurrent calls on one session each get their own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.callTool({ name: 'echo', arguments: { message: `m${i}` } }),
      ),
    );
    results.forEach((r, i) => assert.equal(r.content[0].text, `Echo: m${i}`));
  });

  test('terminateSession (DELETE), then the session is gone (404)', async () => {
    const { url } = server;
    const sessionId = transport.sessionId;
    await transport.terminateSession();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sessionId,
        'MCP-Protocol-Version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' }),
    });
    assert.equal(response.status, 404);
  });
});

describe('TS SDK client -> glassbox HTTP server (--stateless)', () => {
  let server;
  let client;
  let transport;
  const logs = [];

  before(async () => {
    server = await startGlassboxServer(['--stateless']);
    client = makeClient([], logs, []);
    transport = new StreamableHTTPClientTransport(new URL(server.url));
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('no session id; calls and progress still work', async () => {
    assert.equal(transport.sessionId, undefined);
    const result = await client.callTool({ name: 'echo', arguments: { message: 'stateless' } });
    assert.equal(result.content[0].text, 'Echo: stateless');
    const updates = [];
    await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
      onprogress: (p) => updates.push(p.progress),
    });
    assert.deepEqual(updates, [0, 50, 100]);
  });

  test('GET and DELETE are 405', async () => {
    const get = await fetch(server.url, { headers: { Accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    const del = await fetch(server.url, { method: 'DELETE' });
    assert.equal(del.status, 405);
  });
});
