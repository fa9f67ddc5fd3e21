// The TypeScript SDK's client in the client comparison (scripts/bench.sh): a Client on a
// StdioClientTransport (it starts the server) or a StreamableHTTPClientTransport, calling the
// `echo` tool with `depth` calls in flight on one connection, as the SDK's README shows a client.
//
//   node bench/node/echo_client.mjs --client stdio|http --target T [--depth N] [--warmup S]
//                                   [--seconds S]
// T is the server's command line (split on spaces) or its URL. Prints
// "calls=... seconds=... errors=..."; any error or wrong answer is counted.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

function flag(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const transportName = flag('--client', 'stdio');
const target = flag('--target');
const depth = Number(flag('--depth', '1'));
const warmup = Number(flag('--warmup', '0.5'));
const seconds = Number(flag('--seconds', '2'));

let transport;
if (transportName === 'stdio') {
  const [command, ...args] = target.split(/\s+/);
  transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
} else {
  transport = new StreamableHTTPClientTransport(new URL(target));
}
const client = new Client({ name: 'typescript-echo-client', version: '1.0.0' });
await client.connect(transport);

let calls = 0;
let errors = 0;
let measuring = false;
let start = performance.now();
const end = start + (warmup + seconds) * 1000;
setTimeout(() => {
  start = performance.now();
  measuring = true;
}, warmup * 1000);

async function worker() {
  while (performance.now() < end) {
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
      if (result.isError || result.content?.[0]?.text !== 'Echo: hello') ++errors;
    } catch {
      ++errors;
    }
    if (measuring) ++calls;
  }
}
await Promise.all(Array.from({ length: depth }, worker));
const elapsed = (performance.now() - start) / 1000;
console.log(`calls=${calls} seconds=${elapsed.toFixed(6)} errors=${errors}`);
await client.close();
process.exit(0);
