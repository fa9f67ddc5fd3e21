// The TypeScript SDK side of the load comparison (scripts/bench.sh): an McpServer with one
// `echo` tool, the same tool as bench/echo_server.cpp.
//
//   node bench/node/echo_server.mjs                      stdio (StdioServerTransport)
//   node bench/node/echo_server.mjs --http HOST:PORT     stateless Streamable HTTP at /mcp
//
// The HTTP server follows the SDK's own stateless example (simpleStatelessStreamableHttp): an
// Express app from createMcpExpressApp, and a fresh McpServer + StreamableHTTPServerTransport
// (sessionIdGenerator undefined) per POST, because a stateless transport refuses a second
// request. That per-request setup is part of what a stateless TypeScript server costs.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import * as z from 'zod/v4';

function makeServer() {
  const server = new McpServer({ name: 'typescript-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Echoes back the message',
      inputSchema: { message: z.string().describe('Message to echo') },
    },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }),
  );
  return server;
}

async function serveHttp(address) {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const app = createMcpExpressApp({ host });
  app.post('/mcp', async (req, res) => {
    const server = makeServer();
    try {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        transport.close();
        server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      console.error('echo_server.mjs:', error);
      if (!res.headersSent) {
        res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
      }
    }
  });
  const listener = app.listen(port, host, () => {
    console.error(`echo_server.mjs: listening on http://${host}:${port}/mcp`);
  });
  const stop = () => {
    listener.close(() => process.exit(0));
    listener.closeAllConnections(); // idle keep-alive connections would hold close() open
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const httpFlag = process.argv.indexOf('--http');
if (httpFlag >= 0) {
  await serveHttp(process.argv[httpFlag + 1]);
} else {
  await makeServer().connect(new StdioServerTransport());
}
