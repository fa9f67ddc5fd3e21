// Helpers shared by the HTTP interop tests: start `glassbox serve everything --http` on a free
// port (the server picks it and prints its URL), and stop it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

export const glassbox = process.env.GLASSBOX_BIN;
assert.ok(glassbox, 'GLASSBOX_BIN must name the glassbox binary');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually(predicate, what, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// Starts `glassbox serve everything --http 127.0.0.1:0 [extra...]`; resolves to {url, stop}.
export function startGlassboxServer(extra = []) {
  return startGlassboxHttp(['serve', 'everything', '--http', '127.0.0.1:0', ...extra]);
}

// Starts `glassbox <args>`, which serves HTTP and prints its URL on stderr; resolves to
// {url, stop, log}, where stop() sends SIGTERM and resolves to the exit code.
export function startGlassboxHttp(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(glassbox, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), 10000);
    child.stderr.on('data', (chunk) => {
      log += chunk.toString();
      const match = log.match(/http:\/\/127\.0\.0\.1:\d+\/mcp/);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[0],
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${log}`)));
  });
}
