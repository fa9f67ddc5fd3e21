// An MCP server that knows nothing of passback: the TypeScript SDK's McpServer over stdio,
// instrumented with the OpenTelemetry JS SDK the ordinary way (a BatchSpanProcessor and the OTLP
// protobuf exporter, both configured by the standard OTEL_* variables). It continues the caller's
// trace from the request's _meta.traceparent (SEP-414), as an instrumented server does.
//
// Tools:
//   lookup {id, ms}  SERVER span "tools/call lookup" > "db.query" (records a bearer token) >
//                    "db.row"; waits `ms` inside db.query. Answers with its own trace id.
//   late {ms}        answers at once and ends its SERVER span `ms` later (spans after the answer).
//   silent           makes no span at all.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

const provider = new BasicTracerProvider({
  resource: new Resource({ 'service.name': 'node-otel-server', 'service.version': '1.0.0' }),
});
provider.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()));
const tracer = provider.getTracer('otel-server-test', '1.0.0');
const propagator = new W3CTraceContextPropagator();

// The caller's context from _meta, as a server instrumented by hand reads it.
const callerContext = (meta) => propagator.extract(context.active(), meta ?? {}, {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = new McpServer({ name: 'node-otel-server', version: '1.0.0' });

server.registerTool('lookup', {
  description: 'Looks a record up (three spans)',
  inputSchema: { id: z.string(), ms: z.number().optional() },
}, async ({ id, ms }, extra) => {
  const root = tracer.startSpan('tools/call lookup', {
    kind: SpanKind.SERVER,
    attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'lookup', 'record.id': id },
  }, callerContext(extra._meta));
  const inRoot = trace.setSpan(context.active(), root);
  const query = tracer.startSpan('db.query', {
    attributes: {
      'db.system': 'postgresql',
      'http.request.header.authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      'record.id': id,
    },
  }, inRoot);
  await sleep(ms ?? 0);
  const row = tracer.startSpan('db.row', { attributes: { 'record.id': id } }, trace.setSpan(inRoot, query));
  row.end();
  query.end();
  root.end();
  return { content: [{ type: 'text', text: `${id}:${root.spanContext().traceId}` }] };
});

server.registerTool('late', {
  description: 'Answers, then ends its span',
  inputSchema: { ms: z.number() },
}, async ({ ms }, extra) => {
  const root = tracer.startSpan('tools/call late', { kind: SpanKind.SERVER }, callerContext(extra._meta));
  setTimeout(() => root.end(), ms);
  return { content: [{ type: 'text', text: 'answered before the span ended' }] };
});

server.registerTool('silent', { description: 'No spans' }, async () => ({
  content: [{ type: 'text', text: 'nothing traced' }],
}));

process.stdin.on('end', async () => {
  await provider.shutdown();  // exports what is left
  process.exit(0);
});
await server.connect(new StdioServerTransport());
