// @modelcontextprotocol/inspector's CLI mode (a peer nobody here wrote) against
// `glassbox serve everything --http`.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/http/inspector_cli.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

import { startGlassboxServer } from './common.mjs';

const inspector = path.resolve('node_modules/.bin/mcp-inspector');

function inspect(url, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [inspector, '--cli', url, '--transport', 'http', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function json(result) {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe('MCP Inspector CLI -> glassbox HTTP server', () => {
  let server;
  before(async () => {
    server = await startGlassboxServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('tools/list', async () => {
    const { tools } = json(await inspect(server.url, ['--method', 'tools/list']));
    assert.ok(tools.some((t) => t.name === 'echo'));
  });

  test('tools/call echo', async () => {
    const result = json(
      await inspect(server.url, [
        '--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=inspected',
      ]),
    );
    assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: inspected' }]);
  });

  test('resources/list and prompts/list', async () => {
    const { resources } = json(await inspect(server.url, ['--method', 'resources/list']));
    assert.ok(resources.some((r) => r.uri === 'test://static-text'));
    const { prompts } = json(await inspect(server.url, ['--method', 'prompts/list']));
    assert.ok(prompts.length > 0);
  });
});
