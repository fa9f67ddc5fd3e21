// A hand-made line-level stdio peer for the proxy's failure cases, which no SDK server produces on
// purpose. Every line it receives is logged on stderr as `raw got: <line>`.
//   garbage: answers initialize after writing a line that is not JSON; answers ping.
//   crash:   answers initialize, then exits with status 7 on tools/call, without answering.
//   echo:    answers every other request with {method, params} as it received them.
import { createInterface } from 'node:readline';

const mode = process.argv[2];
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  process.stderr.write(`raw got: ${line}\n`);
  let m;
  try { m = JSON.parse(line); } catch { return; }
  if (m.method === 'initialize') {
    if (mode === 'garbage') process.stdout.write('this is {not json\n');
    send({ jsonrpc: '2.0', id: m.id, result: {
      protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } } });
  } else if (m.method === 'ping') {
    send({ jsonrpc: '2.0', id: m.id, result: {} });
  } else if (m.method === 'tools/call' && mode === 'crash') {
    process.exit(7);
  } else if (mode === 'echo' && m.id !== undefined && m.method) {
    send({ jsonrpc: '2.0', id: m.id, result: { method: m.method, params: m.params } });
  }
});
