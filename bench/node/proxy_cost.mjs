// What `glassbox proxy` costs per call, seen from the TypeScript SDK client: sequential calls,
// direct and through the proxy in each role. Not a test (no assertions); prints a table.
//
//   GLASSBOX_BIN=build/bin/glassbox node bench/node/proxy_cost.mjs [calls]
//
// forwarding and gateway: `glassbox serve everything` (echo), the gateway exporting to an OTLP
// receiver in this process; sidecar: tests/interop/proxy/otel_server.mjs (lookup) under the
// OpenTelemetry JS SDK, whose batch delay the proxy sets to 20 ms: that wait is the sidecar's price.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const bin = process.env.GLASSBOX_BIN ?? 'build/bin/glassbox';
const calls = Number(process.argv[2] ?? 300);
const otelServer = [process.execPath, fileURLToPath(new URL('../../tests/interop/proxy/otel_server.mjs', import.meta.url))];
const everything = [bin, 'serve', 'everything'];

const receiver = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const otlp = `http://127.0.0.1:${receiver.address().port}`;

async function measure(label, command, args, call) {
  const client = new Client({ name: 'proxy-cost', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  for (let i = 0; i < 20; ++i) await call(client, i);  // warm up
  const times = [];
  for (let i = 0; i < calls; ++i) {
    const started = process.hrtime.bigint();
    await call(client, i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await client.close();
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  console.log(`${label.padEnd(44)} mean ${mean.toFixed(3)} ms  p50 ${p(0.5).toFixed(3)}  p99 ${p(0.99).toFixed(3)}`);
}

const echo = (client) => client.callTool({ name: 'echo', arguments: { message: 'hi' } });
const lookup = (meta) => (client, i) => client.callTool({ name: 'lookup', arguments: { id: `r${i}` }, _meta: meta });
const asked = { otel: { traces: { request: true } } };

await measure('everything echo, direct', everything[0], everything.slice(1), echo);
await measure('everything echo, proxy (forwarding only)', bin, ['proxy', '--', ...everything], echo);
await measure('everything echo, proxy --otlp (gateway)', bin, ['proxy', '--otlp', otlp, '--', ...everything], echo);
await measure('otel lookup, direct', otelServer[0], otelServer.slice(1), lookup({}));
await measure('otel lookup, proxy --passback-from-otlp, not asked', bin,
  ['proxy', '--passback-from-otlp', '--', ...otelServer], lookup({}));
await measure('otel lookup, proxy --passback-from-otlp, asked', bin,
  ['proxy', '--passback-from-otlp', '--', ...otelServer], lookup(asked));
receiver.close();
