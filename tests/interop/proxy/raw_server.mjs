// A hand-made line-level stdio peer for the proxy's failure cases, which no SDK server produces on
// purpose. Every line it receives is logged on stderr as `raw got: <line>`.
//   garbage: answers initialize after writing a line that is not JSON; answers ping.
//   crash:   answers initialize, then exits with status 7 on tools/call, without answering.
//   echo:    answers every other request with {method, params} as it received them.
//   gate:    answers tools/call at once while open; `gate/close` makes it hold them until
//            `gate/release`; `gate/status` answers {held, maxHeld, calls} (calls: tools/call
//            received). For the proxy's bound on the calls it runs at once.
import { createInterface } from 'node:readline';

const mode = process.argv[2];
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
const gate = { open: true, held: [], maxHeld: 0, calls: 0 };
const ok = (id) => send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }] } });
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
  } else if (mode === 'gate' && m.method === 'tools/call') {
    gate.calls += 1;
    if (gate.open) return ok(m.id);
    gate.held.push(m.id);
    gate.maxHeld = Math.max(gate.maxHeld, gate.held.length);
  } else if (mode === 'gate' && m.method?.startsWith('gate/')) {
    if (m.method === 'gate/close') gate.open = false;
    if (m.method === 'gate/release') {
      gate.open = true;
      for (const id of gate.held.splice(0)) ok(id);
    }
    const { held, maxHeld, calls } = gate;
    send({ jsonrpc: '2.0', id: m.id, result: { held: held.length, maxHeld, calls } });
  } else if (mode === 'echo' && m.id !== undefined && m.method) {
    send({ jsonrpc: '2.0', id: m.id, result: { method: m.method, params: m.params } });
  }
});
