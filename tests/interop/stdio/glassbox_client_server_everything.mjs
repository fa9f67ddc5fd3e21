// The glassbox command-line client against a server nobody here wrote: the reference
// "everything" server of @modelcontextprotocol/server-everything, over stdio. Then the same
// commands against glassbox's own everything server, and the command line's usage exit codes.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/stdio/glassbox_client_server_everything.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const glassbox = process.env.GLASSBOX_BIN;
assert.ok(glassbox, 'GLASSBOX_BIN must name the glassbox binary');

const require = createRequire(import.meta.url);
const referenceServer = [
  process.execPath,
  require.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
  'stdio',
];
const glassboxServer = [glassbox, 'serve', 'everything'];

// Runs glassbox with `args`, then `--` and the server command when one is given.
function run(args, server) {
  const argv = server ? [...args, '--', ...server] : args;
  const result = spawnSync(glassbox, argv, { encoding: 'utf8', timeout: 30000 });
  assert.equal(result.error, undefined, `glassbox ${argv.join(' ')}: ${result.error}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Asserts the exit code, showing what the program said when it is not the expected one.
function expectCode(result, code) {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

describe('glassbox client -> reference server-everything (stdio)', () => {
  test('call echo message=hi prints "Echo: hi"', () => {
    const result = run(['call', 'echo', 'message=hi'], referenceServer);
    expectCode(result, 0);
    assert.equal(result.stdout, 'Echo: hi\n');
  });

  test('tools lists its tools, one per line', () => {
    const result = run(['tools'], referenceServer);
    expectCode(result, 0);
    const names = result.stdout.trimEnd().split('\n').map((line) => line.split(/\s+/)[0]);
    for (const name of ['echo', 'get-sum', 'get-tiny-image']) assert.ok(names.includes(name), name);
  });

  test('tools --json-output is the tool list as JSON', () => {
    const result = run(['tools', '--json-output'], referenceServer);
    expectCode(result, 0);
    const { tools } = JSON.parse(result.stdout);
    const echo = tools.find((t) => t.name === 'echo');
    assert.deepEqual(echo.inputSchema.required, ['message']);
  });

  test('k=v values that parse as JSON are JSON: numbers stay numbers', () => {
    const result = run(['call', 'get-sum', 'a=2', 'b=3.5'], referenceServer);
    expectCode(result, 0);
    assert.equal(result.stdout, 'The sum of 2 and 3.5 is 5.5.\n');
  });

  test('--json gives all arguments at once', () => {
    const result = run(['call', 'echo', '--json', '{"message":"from json"}'], referenceServer);
    expectCode(result, 0);
    assert.equal(result.stdout, 'Echo: from json\n');
  });

  test('non-text blocks are summarized, one line per block', () => {
    const result = run(['call', 'get-tiny-image'], referenceServer);
    expectCode(result, 0);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], "Here's the image you requested:");
    assert.match(lines[1], /^\[image image\/png, \d+ bytes\]$/);
    assert.equal(lines[2], 'The image above is the MCP logo.');
  });

  test('--json-output prints the whole result', () => {
    const result = run(['call', 'echo', 'message=hi', '--json-output'], referenceServer);
    expectCode(result, 0);
    assert.deepEqual(JSON.parse(result.stdout).content, [{ type: 'text', text: 'Echo: hi' }]);
  });

  test('a tool error (isError) exits 1 and still prints the message', () => {
    const result = run(['call', 'echo'], referenceServer);
    expectCode(result, 1);
    assert.match(result.stdout, /message/);
  });

  test('an unknown tool exits 1 (this server answers isError)', () => {
    const result = run(['call', 'no-such-tool'], referenceServer);
    expectCode(result, 1);
  });

  test('read prints a text resource', () => {
    const result = run(['read', 'demo://resource/dynamic/text/1'], referenceServer);
    expectCode(result, 0);
    assert.match(result.stdout, /^Resource 1: This is a plaintext resource created at /);
  });
});

describe('glassbox client -> glassbox serve everything (stdio)', () => {
  test('call echo', () => {
    const result = run(['call', 'echo', 'message=hi'], glassboxServer);
    expectCode(result, 0);
    assert.equal(result.stdout, 'Echo: hi\n');
  });

  test('call the typed add', () => {
    const result = run(['call', 'add', 'a=2', 'b=3'], glassboxServer);
    expectCode(result, 0);
    assert.equal(result.stdout, 'The sum of 2 and 3 is 5\n');
  });

  test('every content kind prints as documented', () => {
    const result = run(['call', 'test_multiple_content_types'], glassboxServer);
    expectCode(result, 0);
    assert.deepEqual(result.stdout.trimEnd().split('\n'), [
      'Multiple content types test:',
      '[image image/png, 69 bytes]',
      '[resource test://mixed-content-resource application/json, 27 bytes]',
    ]);
  });

  test('test_error_handling exits 1', () => {
    const result = run(['call', 'test_error_handling'], glassboxServer);
    expectCode(result, 1);
    assert.match(result.stdout, /This tool intentionally returns an error for testing/);
  });

  test('read a text resource and a binary one', () => {
    const text = run(['read', 'test://static-text'], glassboxServer);
    expectCode(text, 0);
    assert.equal(text.stdout, 'This is the content of the static text resource.\n');
    const blob = run(['read', 'test://static-binary'], glassboxServer);
    expectCode(blob, 0);
    assert.equal(blob.stdout, '[blob test://static-binary image/png, 69 bytes]\n');
  });

  test('reading an unknown resource is a protocol failure: exit 3', () => {
    const result = run(['read', 'test://nothing-here'], glassboxServer);
    expectCode(result, 3);
    assert.match(result.stderr, /-32002/);
  });

  test('telemetry flags parse', () => {
    const result = run(
      ['call', 'echo', 'message=hi', '--no-passback', '--detailed', '--otlp-protocol', 'json'],
      glassboxServer,
    );
    expectCode(result, 0);
    assert.equal(result.stdout, 'Echo: hi\n');
  });
});

describe('exit codes of the command line', () => {
  test('no server given: usage, exit 2', () => {
    expectCode(run(['call', 'echo', 'message=hi']), 2);
  });

  test('an unknown subcommand: exit 2', () => {
    expectCode(run(['frobnicate']), 2);
  });

  test('a malformed k=v: exit 2', () => {
    expectCode(run(['call', 'echo', 'no-equals-sign'], glassboxServer), 2);
  });

  test('--json that is not an object: exit 2', () => {
    expectCode(run(['call', 'echo', '--json', '[1,2]'], glassboxServer), 2);
  });

  test('an unknown fixture: exit 2', () => {
    expectCode(run(['serve', 'nothing']), 2);
  });

  test('--stateless without --http: exit 2', () => {
    expectCode(run(['serve', 'everything', '--stateless']), 2);
  });

  test('a server command that cannot start: exit 3', () => {
    expectCode(run(['call', 'echo', 'message=hi'], ['/nonexistent/mcp-server']), 3);
  });

  test('a server that exits at once: exit 3', () => {
    expectCode(run(['tools'], ['/bin/true']), 3);
  });

  test('--help: exit 0', () => {
    const result = run(['call', '--help']);
    expectCode(result, 0);
    assert.match(result.stdout, /--no-passback/);
  });
});
