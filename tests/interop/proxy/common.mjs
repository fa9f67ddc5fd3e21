// Shared pieces of the `glassbox proxy` interop tests: the TypeScript SDK client connected through
// the proxy, an OTLP/HTTP receiver on 127.0.0.1:0 that decodes with the independent decoder, and
// the spans of a passback payload read the same way.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { decodeOtlp } from '../otlp_decode.mjs';

export const bin = process.env.GLASSBOX_BIN;
assert.ok(bin, 'GLASSBOX_BIN must name the glassbox binary');

export const newTraceId = () => randomBytes(16).toString('hex');
export const newSpanId = () => randomBytes(8).toString('hex');

// The spans of an OTLP summary (decodeOtlp), flat, each with its service.
export function flatSpans(summary) {
  const spans = [];
  for (const rs of summary.resourceSpans) {
    for (const scope of rs.scopes) {
      for (const s of scope.spans) spans.push({ ...s, service: rs.serviceName, attrs: Object.fromEntries(s.attributes) });
    }
  }
  return spans;
}

// A passback payload (`_meta.otel.traces`) through the independent decoder.
export function passbackSpans(traces) {
  assert.ok(traces, '_meta.otel.traces is present');
  return flatSpans(decodeOtlp(Buffer.from(JSON.stringify(traces)), 'json'));
}

// The TypeScript SDK client, connected to `glassbox proxy <args> -- <server...>`. The proxy's
// stderr is collected in `stderr()`.
export async function connectThroughProxy(args, server, { capabilities = {}, name = 'ts-proxy-test' } = {}) {
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  const transport = new StdioClientTransport({
    command: bin,
    args: ['proxy', ...args, ...(server ? ['--', ...server] : [])],
    stderr: 'pipe',
  });
  let text = '';
  transport.stderr.on('data', (chunk) => { text += chunk; });
  await client.connect(transport);
  return { client, transport, stderr: () => text };
}

// An OTLP/HTTP receiver: every POST /v1/traces is decoded (JSON or protobuf) and kept.
export async function startReceiver() {
  const spans = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const format = (req.headers['content-type'] ?? '').includes('json') ? 'json' : 'protobuf';
      try {
        spans.push(...flatSpans(decodeOtlp(Buffer.concat(chunks), format)));
      } catch (e) {
        res.writeHead(400).end(String(e));
        return;
      }
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end(format === 'json' ? '{}' : '');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    spans,
    // Resolves once `predicate(spans)` holds; rejects after `ms`.
    waitFor(predicate, ms = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`receiver: condition not met in ${ms} ms; spans: ${spans.map((s) => s.name).join(', ')}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
