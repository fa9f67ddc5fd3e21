// The TypeScript SDK v2 client (2.4.0) against glassbox's server in MCP 2026-07-28: pinned to
// the revision and in auto mode (server/discover probe), over stdio and Streamable HTTP. Checks
// the negotiated revision, the discover result (passback's extension identifier), a plain call,
// a multi round-trip call answered by the client's own elicitation handler, and passback: the
// SERVER span of the returned spans names the protocol version and no session. The same client
// also calls through `glassbox proxy --http` (the proxy's HTTP front, stdio child behind it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { glassbox, startGlassboxHttp, startGlassboxServer } from '../http/common.mjs';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

function newClient(mode) {
  const client = new Client(
    { name: 'ts-v2-interop', version: '1.0.0' },
    { capabilities: { elicitation: {} }, versionNegotiation: { mode } },
  );
  client.setRequestHandler('elicitation/create', async (request) => ({
    action: 'accept',
    content: { name: `Ada (asked: ${request.params.message})` },
  }));
  return client;
}

function serverSpan(traces) {
  for (const rs of traces.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        if (s.kind === 2 || s.kind === 'SPAN_KIND_SERVER') return s;
      }
    }
  }
  return undefined;
}

const attribute = (span, key) => span.attributes.find((a) => a.key === key)?.value?.stringValue;

async function exercise(client, { inputRequired = true } = {}) {
  assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
  const discover = client.getDiscoverResult();
  assert.ok(discover, 'the connect-time server/discover result is kept');
  assert.ok(discover.supportedVersions.includes('2026-07-28'));
  assert.ok(discover.capabilities.extensions['io.modelcontextprotocol/server-execution-telemetry'],
    'passback is listed as an extension (S1, extension form)');
  assert.equal(discover._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'glassbox-everything');

  const tools = await client.listTools();
  assert.ok(tools.tools.some((t) => t.name === 'test_simple_text'));
  const simple = await client.callTool({ name: 'test_simple_text', arguments: {} });
  assert.equal(simple.content[0].text, 'This is a simple text response for testing.');

  // The server answers input_required; the SDK runs its elicitation handler and retries.
  if (inputRequired) {
    const asked = await client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} });
    assert.equal(asked.content[0].text, 'Hello, Ada (asked: What is your name?)!');
  }

  // Passback, requested per request (C2) with a traceparent (S3).
  const traced = await client.callTool({
    name: 'test_simple_text',
    arguments: {},
    _meta: { traceparent, otel: { traces: { request: true } } },
  });
  const traces = traced._meta?.otel?.traces;
  assert.ok(traces, 'result._meta.otel.traces is present');
  const span = serverSpan(traces);
  assert.ok(span, 'a SERVER span came back');
  assert.equal(span.traceId, TRACE_ID);
  assert.equal(attribute(span, 'mcp.protocol.version'), '2026-07-28');
  assert.equal(attribute(span, 'mcp.session.id'), undefined, 'no session in 2026-07-28');
}

for (const mode of [{ pin: '2026-07-28' }, 'auto']) {
  const label = typeof mode === 'string' ? mode : `pin ${mode.pin}`;

  test(`stdio, ${label}`, async () => {
    const client = newClient(mode);
    await client.connect(new StdioClientTransport({
      command: glassbox, args: ['serve', 'everything', '--stdio'], stderr: 'ignore',
    }));
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  });

  test(`proxy HTTP front, ${label}`, async () => {
    // P1: what the client sends and receives crosses the proxy unchanged (discover, the
    // per-request _meta); passback (S1-S4) still comes back to the front. The sessionless POSTs
    // share one stdio child, so input_required's retry reaches the child that sealed its
    // requestState.
    const proxy = await startGlassboxHttp(
      ['proxy', '--http', '127.0.0.1:0', '--', glassbox, 'serve', 'everything', '--stdio']);
    const client = newClient(mode);
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
      await exercise(client);
    } finally {
      await client.close();
      assert.equal(await proxy.stop(), 0, proxy.log());
    }
  });

  test(`HTTP, ${label}`, async () => {
    const server = await startGlassboxServer();
    const client = newClient(mode);
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      await exercise(client);
    } finally {
      await client.close();
      assert.equal(await server.stop(), 0);
    }
  });
}
