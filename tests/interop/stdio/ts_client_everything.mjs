// The TypeScript SDK client (a peer nobody here wrote) drives `glassbox serve everything --stdio`
// through every fixture and checks the exact wire shapes it gets back.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/stdio/ts_client_everything.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const glassbox = process.env.GLASSBOX_BIN;
assert.ok(glassbox, 'GLASSBOX_BIN must name the glassbox binary');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CONFORMANCE_TOOLS = [
  'test_simple_text',
  'test_image_content',
  'test_audio_content',
  'test_embedded_resource',
  'test_multiple_content_types',
  'test_tool_with_logging',
  'test_tool_with_progress',
  'test_error_handling',
  'test_sampling',
  'test_elicitation',
  'test_elicitation_sep1034_defaults',
  'test_elicitation_sep1330_enums',
  'json_schema_2020_12_tool',
  'test_reconnection',
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until predicate() holds, polling; fails the test after `ms`.
async function eventually(predicate, what, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let client;
const logs = [];
const updatedUris = [];
const samplingRequests = [];
const elicitationRequests = [];
// What the elicitation handler answers; tests change it.
let elicitationAnswer = { action: 'accept', content: {} };

before(async () => {
  client = new Client(
    { name: 'ts-interop-client', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
    updatedUris.push(n.params.uri),
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    samplingRequests.push(request.params);
    return {
      role: 'assistant',
      content: { type: 'text', text: 'This is a test response from the client' },
      model: 'test-model',
      stopReason: 'endTurn',
    };
  });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    elicitationRequests.push(request.params);
    return elicitationAnswer;
  });
  const transport = new StdioClientTransport({
    command: glassbox,
    args: ['serve', 'everything', '--stdio'],
    stderr: 'inherit',
  });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
});

describe('initialize', () => {
  test('server info and capabilities', () => {
    assert.equal(client.getServerVersion().name, 'glassbox-everything');
    const caps = client.getServerCapabilities();
    assert.ok(caps.tools, 'tools capability');
    assert.ok(caps.resources, 'resources capability');
    assert.equal(caps.resources.subscribe, true, 'resources.subscribe');
    assert.ok(caps.prompts, 'prompts capability');
    assert.ok(caps.logging, 'logging capability');
    assert.ok(caps.completions, 'completions capability');
  });

  test('ping answers {}', async () => {
    assert.deepEqual(await client.ping(), {});
  });
});

describe('tools', () => {
  test('tools/list has every conformance tool, each with a description and an inputSchema', async () => {
    const tools = [];
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const names = tools.map((t) => t.name);
    assert.equal(new Set(names).size, names.length, 'no tool listed twice');
    for (const name of [...CONFORMANCE_TOOLS, 'echo', 'add']) assert.ok(names.includes(name), name);
    for (const tool of tools) {
      assert.ok(tool.description, `${tool.name} has a description`);
      assert.equal(tool.inputSchema.type, 'object', `${tool.name} inputSchema`);
    }
    const sampling = tools.find((t) => t.name === 'test_sampling');
    assert.deepEqual(sampling.inputSchema.required, ['prompt']);
    assert.equal(sampling.inputSchema.properties.prompt.type, 'string');
  });

  test('JSON Schema 2020-12 keywords are kept in the listing (SEP-1613)', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'json_schema_2020_12_tool');
    assert.equal(tool.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(Object.keys(tool.inputSchema.$defs), ['address']);
    assert.equal(tool.inputSchema.additionalProperties, false);
    assert.deepEqual(tool.inputSchema.properties.address, { $ref: '#/$defs/address' });
  });

  test('the typed add tool has a derived schema', async () => {
    const { tools } = await client.listTools();
    const add = tools.find((t) => t.name === 'add');
    assert.deepEqual(add.inputSchema.properties, { a: { type: 'number' }, b: { type: 'number' } });
    assert.deepEqual([...add.inputSchema.required].sort(), ['a', 'b']);
  });

  test('test_simple_text', async () => {
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    assert.deepEqual(result.content, [
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    assert.notEqual(result.isError, true);
  });

  test('test_image_content: one PNG image block', async () => {
    const { content } = await client.callTool({ name: 'test_image_content', arguments: {} });
    assert.equal(content.length, 1);
    assert.deepEqual(Object.keys(content[0]).sort(), ['data', 'mimeType', 'type']);
    assert.equal(content[0].type, 'image');
    assert.equal(content[0].mimeType, 'image/png');
    assert.deepEqual(Buffer.from(content[0].data, 'base64').subarray(0, 8), PNG_SIGNATURE);
  });

  test('test_audio_content: one WAV audio block', async () => {
    const { content } = await client.callTool({ name: 'test_audio_content', arguments: {} });
    assert.equal(content.length, 1);
    assert.equal(content[0].type, 'audio');
    assert.equal(content[0].mimeType, 'audio/wav');
    const wav = Buffer.from(content[0].data, 'base64');
    assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(wav.subarray(8, 12).toString('latin1'), 'WAVE');
  });

  test('test_embedded_resource', async () => {
    const { content } = await client.callTool({ name: 'test_embedded_resource', arguments: {} });
    assert.deepEqual(content, [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ]);
  });

  test('test_multiple_content_types: text, image, resource in order', async () => {
    const { content } = await client.callTool({ name: 'test_multiple_content_types', arguments: {} });
    assert.deepEqual(
      content.map((c) => c.type),
      ['text', 'image', 'resource'],
    );
    assert.equal(content[0].text, 'Multiple content types test:');
    assert.equal(content[1].mimeType, 'image/png');
    assert.equal(content[2].resource.uri, 'test://mixed-content-resource');
    assert.equal(content[2].resource.mimeType, 'application/json');
    assert.deepEqual(JSON.parse(content[2].resource.text), { test: 'data', value: 123 });
  });

  test('test_error_handling: isError with the message', async () => {
    const result = await client.callTool({ name: 'test_error_handling', arguments: {} });
    assert.equal(result.isError, true);
    assert.equal(result.content[0].type, 'text');
    assert.match(result.content[0].text, /This tool intentionally returns an error for testing/);
  });

  test('test_tool_with_logging: three info messages, in order, before the result', async () => {
    await client.setLoggingLevel('info');
    logs.length = 0;
    const result = await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.equal(result.content[0].text, 'Tool with logging executed successfully');
    // stdio keeps order: the notifications were read before the response.
    assert.deepEqual(
      logs.map((l) => [l.level, l.data]),
      [
        ['info', 'Tool execution started'],
        ['info', 'Tool processing data'],
        ['info', 'Tool execution completed'],
      ],
    );
  });

  test('logging/setLevel filters: nothing below warning', async () => {
    await client.setLoggingLevel('warning');
    logs.length = 0;
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await sleep(100);
    assert.deepEqual(logs, []);
    await client.setLoggingLevel('debug');
  });

  test('test_tool_with_progress: 0, 50, 100 of 100 through onprogress', async () => {
    const updates = [];
    const result = await client.callTool(
      { name: 'test_tool_with_progress', arguments: {} },
      undefined,
      { onprogress: (p) => updates.push(p) },
    );
    assert.notEqual(result.isError, true);
    assert.deepEqual(
      updates.map((u) => [u.progress, u.total]),
      [
        [0, 100],
        [50, 100],
        [100, 100],
      ],
    );
  });

  test('test_sampling: a sampling/createMessage round trip', async () => {
    samplingRequests.length = 0;
    const result = await client.callTool({
      name: 'test_sampling',
      arguments: { prompt: 'Test prompt for sampling' },
    });
    assert.equal(samplingRequests.length, 1);
    const { messages, maxTokens } = samplingRequests[0];
    assert.equal(maxTokens, 100);
    assert.deepEqual(messages, [
      { role: 'user', content: { type: 'text', text: 'Test prompt for sampling' } },
    ]);
    assert.deepEqual(result.content, [
      { type: 'text', text: 'LLM response: This is a test response from the client' },
    ]);
  });

  test('test_elicitation: an elicitation/create round trip', async () => {
    elicitationRequests.length = 0;
    elicitationAnswer = {
      action: 'accept',
      content: { username: 'testuser', email: 'test@example.com' },
    };
    const result = await client.callTool({
      name: 'test_elicitation',
      arguments: { message: 'Please provide your information' },
    });
    assert.equal(elicitationRequests.length, 1);
    const request = elicitationRequests[0];
    assert.equal(request.message, 'Please provide your information');
    assert.deepEqual(request.requestedSchema, {
      type: 'object',
      properties: {
        username: { type: 'string', description: "User's response" },
        email: { type: 'string', description: "User's email address" },
      },
      required: ['username', 'email'],
    });
    assert.equal(
      result.content[0].text,
      'User response: action=accept, content={"username":"testuser","email":"test@example.com"}',
    );
  });

  test('test_elicitation: a declined elicitation', async () => {
    elicitationAnswer = { action: 'decline' };
    const result = await client.callTool({
      name: 'test_elicitation',
      arguments: { message: 'Again?' },
    });
    assert.equal(result.content[0].text, 'User response: action=decline, content={}');
  });

  test('test_elicitation_sep1034_defaults: every primitive type carries its default', async () => {
    elicitationRequests.length = 0;
    elicitationAnswer = {
      action: 'accept',
      content: { name: 'Jane Smith', age: 25, score: 88, status: 'inactive', verified: false },
    };
    const result = await client.callTool({
      name: 'test_elicitation_sep1034_defaults',
      arguments: {},
    });
    const p = elicitationRequests[0].requestedSchema.properties;
    assert.deepEqual(
      [p.name.type, p.name.default, p.age.type, p.age.default, p.score.type, p.score.default],
      ['string', 'John Doe', 'integer', 30, 'number', 95.5],
    );
    assert.deepEqual(p.status.enum, ['active', 'inactive', 'pending']);
    assert.equal(p.status.default, 'active');
    assert.deepEqual([p.verified.type, p.verified.default], ['boolean', true]);
    assert.match(result.content[0].text, /^Elicitation completed: action=accept, content=/);
    assert.match(result.content[0].text, /"name":"Jane Smith"/);
  });

  test('test_elicitation_sep1330_enums: the five enum shapes', async () => {
    elicitationRequests.length = 0;
    elicitationAnswer = {
      action: 'accept',
      content: {
        untitledSingle: 'option1',
        titledSingle: 'value1',
        legacyEnum: 'opt1',
        untitledMulti: ['option1', 'option2'],
        titledMulti: ['value1', 'value2'],
      },
    };
    const result = await client.callTool({ name: 'test_elicitation_sep1330_enums', arguments: {} });
    const p = elicitationRequests[0].requestedSchema.properties;
    assert.equal(p.untitledSingle.type, 'string');
    assert.deepEqual(p.untitledSingle.enum, ['option1', 'option2', 'option3']);
    assert.equal(p.untitledSingle.oneOf, undefined);
    assert.equal(p.titledSingle.type, 'string');
    assert.equal(p.titledSingle.enum, undefined);
    for (const o of p.titledSingle.oneOf) assert.deepEqual(Object.keys(o).sort(), ['const', 'title']);
    assert.equal(p.legacyEnum.enum.length, p.legacyEnum.enumNames.length);
    assert.equal(p.untitledMulti.type, 'array');
    assert.equal(p.untitledMulti.items.type, 'string');
    assert.deepEqual(p.untitledMulti.items.enum, ['option1', 'option2', 'option3']);
    assert.equal(p.titledMulti.type, 'array');
    assert.equal(p.titledMulti.items.enum, undefined);
    for (const o of p.titledMulti.items.anyOf) {
      assert.equal(typeof o.const, 'string');
      assert.equal(typeof o.title, 'string');
    }
    assert.match(result.content[0].text, /^Elicitation completed: action=accept, content=/);
  });

  test('test_reconnection answers over stdio', async () => {
    const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
    assert.match(result.content[0].text, /Reconnection test completed successfully/);
  });

  test('echo', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: hi' }]);
  });

  test('add: typed tool, text and structured content', async () => {
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'The sum of 2 and 3 is 5' }]);
    assert.deepEqual(result.structuredContent, { sum: 5 });
  });

  test('arguments that do not match the schema: isError naming the problem', async () => {
    const result = await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /\ba\b/);
    const missing = await client.callTool({ name: 'echo', arguments: {} });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /message/);
  });

  test('an unknown tool is an error, and the session lives on', async () => {
    let outcome;
    try {
      outcome = await client.callTool({ name: 'no_such_tool', arguments: {} });
    } catch (e) {
      outcome = e;
    }
    if (outcome instanceof McpError) {
      assert.equal(outcome.code, ErrorCode.InvalidParams);
    } else {
      assert.equal(outcome.isError, true);
    }
    assert.deepEqual(await client.ping(), {});
  });

  test('a cancelled call stops, and the session lives on', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'sleep', arguments: { ms: 30000 } }, undefined, {
      signal: controller.signal,
    });
    await sleep(100);
    controller.abort('test cancels');
    await assert.rejects(call);
    const result = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    assert.equal(result.content[0].text, 'Echo: still here');
  });

  test('200 concurrent calls are all answered, each with its own result', async () => {
    const calls = [];
    for (let i = 0; i < 200; i++) {
      calls.push(
        i % 2 === 0
          ? client.callTool({ name: 'echo', arguments: { message: `m${i}` } })
          : client.callTool({ name: 'add', arguments: { a: i, b: 1000 } }),
      );
    }
    const results = await Promise.all(calls);
    results.forEach((result, i) => {
      if (i % 2 === 0) {
        assert.equal(result.content[0].text, `Echo: m${i}`);
      } else {
        assert.deepEqual(result.structuredContent, { sum: i + 1000 });
      }
    });
  });
});

describe('resources', () => {
  test('resources/list: the direct resources, each with uri, name and mimeType', async () => {
    const { resources } = await client.listResources();
    const byUri = Object.fromEntries(resources.map((r) => [r.uri, r]));
    for (const uri of ['test://static-text', 'test://static-binary', 'test://watched-resource']) {
      assert.ok(byUri[uri], uri);
      assert.ok(byUri[uri].name, `${uri} name`);
      assert.ok(byUri[uri].description, `${uri} description`);
    }
    assert.equal(byUri['test://static-text'].mimeType, 'text/plain');
    assert.equal(byUri['test://static-binary'].mimeType, 'image/png');
    assert.ok(!resources.some((r) => r.uri.includes('{')), 'templates are not resources');
  });

  test('resources/templates/list', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    const template = resourceTemplates.find((t) => t.uriTemplate === 'test://template/{id}/data');
    assert.ok(template);
    assert.ok(template.name);
    assert.equal(template.mimeType, 'application/json');
  });

  test('read test://static-text', async () => {
    const result = await client.readResource({ uri: 'test://static-text' });
    assert.deepEqual(result.contents, [
      {
        uri: 'test://static-text',
        mimeType: 'text/plain',
        text: 'This is the content of the static text resource.',
      },
    ]);
  });

  test('read test://static-binary', async () => {
    const { contents } = await client.readResource({ uri: 'test://static-binary' });
    assert.equal(contents.length, 1);
    assert.equal(contents[0].uri, 'test://static-binary');
    assert.equal(contents[0].mimeType, 'image/png');
    assert.equal(contents[0].text, undefined);
    assert.deepEqual(Buffer.from(contents[0].blob, 'base64').subarray(0, 8), PNG_SIGNATURE);
  });

  test('read a templated resource: the id is substituted', async () => {
    const { contents } = await client.readResource({ uri: 'test://template/123/data' });
    assert.equal(contents[0].uri, 'test://template/123/data');
    assert.equal(contents[0].mimeType, 'application/json');
    assert.deepEqual(JSON.parse(contents[0].text), {
      id: '123',
      templateTest: true,
      data: 'Data for ID: 123',
    });
  });

  test('read an unknown resource: -32002', async () => {
    await assert.rejects(client.readResource({ uri: 'test://no-such-resource' }), (e) => {
      assert.ok(e instanceof McpError);
      assert.equal(e.code, -32002);
      return true;
    });
  });

  test('subscribe, get notified of an update, unsubscribe, hear nothing more', async () => {
    updatedUris.length = 0;
    assert.deepEqual(await client.subscribeResource({ uri: 'test://watched-resource' }), {});
    await client.callTool({ name: 'update_watched_resource', arguments: {} });
    await eventually(() => updatedUris.length === 1, 'notifications/resources/updated');
    assert.deepEqual(updatedUris, ['test://watched-resource']);
    const { contents } = await client.readResource({ uri: 'test://watched-resource' });
    assert.match(contents[0].text, /^Watched resource content, version \d+$/);

    assert.deepEqual(await client.unsubscribeResource({ uri: 'test://watched-resource' }), {});
    await client.callTool({ name: 'update_watched_resource', arguments: {} });
    await sleep(200);
    assert.deepEqual(updatedUris, ['test://watched-resource']);
  });
});

describe('prompts', () => {
  test('prompts/list: the four prompts, each with a description', async () => {
    const { prompts } = await client.listPrompts();
    const byName = Object.fromEntries(prompts.map((p) => [p.name, p]));
    for (const name of [
      'test_simple_prompt',
      'test_prompt_with_arguments',
      'test_prompt_with_embedded_resource',
      'test_prompt_with_image',
    ]) {
      assert.ok(byName[name], name);
      assert.ok(byName[name].description, `${name} description`);
    }
    assert.deepEqual(
      byName.test_prompt_with_arguments.arguments.map((a) => [a.name, a.required]),
      [
        ['arg1', true],
        ['arg2', true],
      ],
    );
    assert.deepEqual(
      byName.test_prompt_with_embedded_resource.arguments.map((a) => a.name),
      ['resourceUri'],
    );
  });

  test('test_simple_prompt', async () => {
    const { messages } = await client.getPrompt({ name: 'test_simple_prompt' });
    assert.deepEqual(messages, [
      { role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } },
    ]);
  });

  test('test_prompt_with_arguments substitutes both arguments', async () => {
    const { messages } = await client.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'hello', arg2: 'world' },
    });
    assert.deepEqual(messages, [
      {
        role: 'user',
        content: { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" },
      },
    ]);
  });

  test('test_prompt_with_embedded_resource', async () => {
    const { messages } = await client.getPrompt({
      name: 'test_prompt_with_embedded_resource',
      arguments: { resourceUri: 'test://example-resource' },
    });
    assert.deepEqual(messages, [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: {
            uri: 'test://example-resource',
            mimeType: 'text/plain',
            text: 'Embedded resource content for testing.',
          },
        },
      },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ]);
  });

  test('test_prompt_with_image', async () => {
    const { messages } = await client.getPrompt({ name: 'test_prompt_with_image' });
    assert.equal(messages.length, 2);
    assert.equal(messages[0].content.type, 'image');
    assert.equal(messages[0].content.mimeType, 'image/png');
    assert.deepEqual(Buffer.from(messages[0].content.data, 'base64').subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(messages[1], {
      role: 'user',
      content: { type: 'text', text: 'Please analyze the image above.' },
    });
  });

  test('a missing required argument is an error', async () => {
    await assert.rejects(
      client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'only one' } }),
      (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams,
    );
  });
});

describe('completion', () => {
  test('a prompt argument completes by prefix', async () => {
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'par' },
    });
    assert.deepEqual(completion.values, ['paris', 'park', 'party']);
    assert.equal(completion.hasMore ?? false, false);
  });

  test('the conformance request gets a values array', async () => {
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'test' },
    });
    assert.ok(Array.isArray(completion.values));
  });

  test('a template variable completes', async () => {
    const { completion } = await client.complete({
      ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
      argument: { name: 'id', value: '1' },
    });
    assert.deepEqual(completion.values, ['1', '123']);
  });
});
