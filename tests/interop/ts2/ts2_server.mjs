// A server built with the TypeScript SDK v2 (@modelcontextprotocol/server 2.4.0, MCP 2026-07-28
// beside the 2025 era), the peer of glassbox's client in the ts2 interop tests.
//
//   node ts2_server.mjs --stdio            serveStdio on this process's stdin/stdout
//   import { makeServer } ...              the same factory, for createMcpHandler over HTTP
//
// Tools: echo {message}; confirm {env} asks for an elicitation with inputRequired, then answers
// with what the user said; where lists the client's roots the same way; meta echoes the _meta
// the request arrived with (so a test sees what the client sent: passback's ask, traceparent);
// touch {uri} sends notifications/resources/updated for uri (subscriptions/listen delivers it).
import { McpServer, acceptedContent, inputRequired } from '@modelcontextprotocol/server';
import * as z from 'zod';

const TELEMETRY = 'io.modelcontextprotocol/server-execution-telemetry';

export function makeServer() {
  const server = new McpServer(
    { name: 'ts2-server', version: '2.4.0' },
    { capabilities: { tools: {}, resources: { subscribe: true }, extensions: { [TELEMETRY]: {} } } },
  );
  server.registerTool(
    'echo',
    { description: 'Echoes the message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }),
  );
  const confirmation = z.object({ confirm: z.boolean() });
  server.registerTool(
    'confirm',
    { description: 'Asks the user first', inputSchema: z.object({ env: z.string() }) },
    async ({ env }, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmation);
      if (answer === undefined) {
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({ message: `Deploy to ${env}?`, requestedSchema: confirmation }),
          },
        });
      }
      return { content: [{ type: 'text', text: `confirmed=${answer.confirm} for ${env}` }] };
    },
  );
  server.registerTool(
    'meta',
    { description: 'Returns the _meta of its request', inputSchema: z.object({}) },
    async (_args, ctx) => ({
      content: [{ type: 'text', text: JSON.stringify(ctx.mcpReq._meta ?? null) }],
    }),
  );
  server.registerTool(
    'touch',
    { description: 'Says that a resource changed', inputSchema: z.object({ uri: z.string() }) },
    async ({ uri }) => {
      await server.server.sendResourceUpdated({ uri });
      return { content: [{ type: 'text', text: `touched ${uri}` }] };
    },
  );
  server.registerResource(
    'greeting',
    'test://greeting',
    { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello from ts2' }] }),
  );
  return server;
}

if (process.argv.includes('--stdio')) {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  serveStdio(() => makeServer());
}
