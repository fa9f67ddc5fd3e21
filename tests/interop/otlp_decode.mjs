// Independent OTLP trace decoder: validates a payload written by glassbox with the
// protobufjs-generated code of @opentelemetry/otlp-transformer@0.52.1 (code nobody here wrote)
// and prints a normalized JSON summary on stdout.
//
//   node tests/interop/otlp_decode.mjs <file> json|protobuf
//
// Exit status: 0 valid, 1 invalid payload (reason on stderr), 2 usage.
// Also importable: `import { decodeOtlp } from './otlp_decode.mjs'` returns the summary or throws.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Long = require('long');
const ExportRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const hexId = (value, bytes, what) => {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`).test(value)) {
    throw new Error(`${what} is not ${2 * bytes} hex digits: ${JSON.stringify(value)}`);
  }
  return Buffer.from(value, 'hex');
};

const decimal = (value, unsigned, what) => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return Long.fromNumber(value, unsigned);
  if (typeof value !== 'string' || !/^-?[0-9]+$/.test(value)) {
    throw new Error(`${what} is not a decimal 64-bit integer: ${JSON.stringify(value)}`);
  }
  const long = Long.fromString(value, unsigned);
  if (long.toString() !== value.replace(/^(-?)0+(?=\d)/, '$1')) throw new Error(`${what} overflows 64 bits`);
  return long;
};

// OTLP JSON -> the object shape protobufjs' fromObject/verify expect: hex ids to bytes,
// decimal-string 64-bit integers to Long.
function convertAnyValue(v, where) {
  if (v === null || typeof v !== 'object') throw new Error(`${where}: AnyValue is not an object`);
  const out = { ...v };
  if ('intValue' in v) out.intValue = decimal(v.intValue, false, `${where}.intValue`);
  if ('arrayValue' in v) {
    out.arrayValue = { values: (v.arrayValue.values ?? []).map((e, i) => convertAnyValue(e, `${where}[${i}]`)) };
  }
  if ('kvlistValue' in v) out.kvlistValue = { values: convertAttributes(v.kvlistValue.values ?? [], where) };
  return out;
}

function convertAttributes(list, where) {
  if (!Array.isArray(list)) throw new Error(`${where}: attributes is not an array`);
  return list.map((kv) => ({ ...kv, value: kv.value === undefined ? undefined : convertAnyValue(kv.value, `${where}.${kv.key}`) }));
}

function convertJson(payload) {
  if (payload === null || typeof payload !== 'object' || !Array.isArray(payload.resourceSpans)) {
    throw new Error('resourceSpans is missing or not an array');
  }
  return {
    resourceSpans: payload.resourceSpans.map((rs) => ({
      ...rs,
      resource: rs.resource && { ...rs.resource, attributes: convertAttributes(rs.resource.attributes ?? [], 'resource') },
      scopeSpans: (rs.scopeSpans ?? []).map((ss) => ({
        ...ss,
        scope: ss.scope && { ...ss.scope, attributes: convertAttributes(ss.scope.attributes ?? [], 'scope') },
        spans: (ss.spans ?? []).map((s, i) => {
          const where = `span[${i}]`;
          const out = {
            ...s,
            traceId: hexId(s.traceId, 16, `${where}.traceId`),
            spanId: hexId(s.spanId, 8, `${where}.spanId`),
            startTimeUnixNano: decimal(s.startTimeUnixNano ?? '0', true, `${where}.startTimeUnixNano`),
            endTimeUnixNano: decimal(s.endTimeUnixNano ?? '0', true, `${where}.endTimeUnixNano`),
            attributes: convertAttributes(s.attributes ?? [], where),
            events: (s.events ?? []).map((e) => ({
              ...e,
              timeUnixNano: decimal(e.timeUnixNano ?? '0', true, `${where}.event.timeUnixNano`),
              attributes: convertAttributes(e.attributes ?? [], `${where}.event`),
            })),
            links: (s.links ?? []).map((l) => ({
              ...l,
              traceId: hexId(l.traceId, 16, `${where}.link.traceId`),
              spanId: hexId(l.spanId, 8, `${where}.link.spanId`),
              attributes: convertAttributes(l.attributes ?? [], `${where}.link`),
            })),
          };
          if (s.parentSpanId !== undefined && s.parentSpanId !== '') {
            out.parentSpanId = hexId(s.parentSpanId, 8, `${where}.parentSpanId`);
          } else {
            delete out.parentSpanId;
          }
          return out;
        }),
      })),
    })),
  };
}

const hex = (bytes) => Buffer.from(bytes ?? []).toString('hex');

function summarizeValue(v) {
  if (!v) return null;
  if (v.stringValue !== undefined && v.stringValue !== null) return { string: v.stringValue };
  if (v.boolValue !== undefined && v.boolValue !== null) return { bool: v.boolValue };
  if (v.intValue !== undefined && v.intValue !== null) return { int: Long.fromValue(v.intValue).toString() };
  if (v.doubleValue !== undefined && v.doubleValue !== null) return { double: v.doubleValue };
  if (v.bytesValue !== undefined && v.bytesValue !== null) return { bytes: hex(v.bytesValue) };
  if (v.arrayValue) return { array: (v.arrayValue.values ?? []).map(summarizeValue) };
  if (v.kvlistValue) return { kvlist: summarizeAttributes(v.kvlistValue.values) };
  return null;
}

const summarizeAttributes = (list) => (list ?? []).map((kv) => [kv.key, summarizeValue(kv.value)]);

function summarize(message) {
  let spanCount = 0;
  const resourceSpans = (message.resourceSpans ?? []).map((rs) => {
    const resourceAttributes = summarizeAttributes(rs.resource?.attributes);
    const service = resourceAttributes.find(([k]) => k === 'service.name');
    return {
      serviceName: service ? service[1]?.string ?? null : null,
      resource: resourceAttributes,
      scopes: (rs.scopeSpans ?? []).map((ss) => ({
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        spans: (ss.spans ?? []).map((s) => {
          ++spanCount;
          return {
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            name: s.name ?? '',
            kind: s.kind ?? 0,
            startTimeUnixNano: Long.fromValue(s.startTimeUnixNano ?? 0).toUnsigned().toString(),
            endTimeUnixNano: Long.fromValue(s.endTimeUnixNano ?? 0).toUnsigned().toString(),
            attributes: summarizeAttributes(s.attributes),
            events: (s.events ?? []).map((e) => ({ name: e.name ?? '', attributes: summarizeAttributes(e.attributes) })),
            links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
            status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          };
        }),
      })),
    };
  });
  return { spanCount, resourceSpans };
}

export function decodeOtlp(buffer, format) {
  let message;
  if (format === 'protobuf') {
    message = ExportRequest.decode(buffer);
    const error = ExportRequest.verify(message);
    if (error) throw new Error(`verify: ${error}`);
  } else if (format === 'json') {
    const object = convertJson(JSON.parse(buffer.toString('utf8')));
    const error = ExportRequest.verify(object);
    if (error) throw new Error(`verify: ${error}`);
    // fromObject, then a protobuf round trip: what a receiver would really hold.
    message = ExportRequest.decode(ExportRequest.encode(ExportRequest.fromObject(object)).finish());
  } else {
    throw new Error(`unknown format ${format}`);
  }
  return summarize(message);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, format] = process.argv.slice(2);
  if (!file || !['json', 'protobuf'].includes(format)) {
    process.stderr.write('usage: otlp_decode.mjs <file> json|protobuf\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`${JSON.stringify(decodeOtlp(readFileSync(file), format))}\n`);
  } catch (e) {
    process.stderr.write(`otlp_decode: ${e.message}\n`);
    process.exit(1);
  }
}
