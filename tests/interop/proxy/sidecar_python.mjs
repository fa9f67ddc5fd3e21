// Sidecar (P3) against the official Python SDK's MCPServer under the OpenTelemetry Python SDK
// (otel_server.py), whose own middleware makes the SERVER span of each request. The interpreter
// is GLASSBOX_PYTHON: the venv of scripts/peers.sh (tests/interop/python/requirements.txt).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineSidecarCases } from './sidecar_cases.mjs';

const python = process.env.GLASSBOX_PYTHON;
assert.ok(python && existsSync(python),
  `GLASSBOX_PYTHON must name the peers' Python (scripts/peers.sh); it is ${JSON.stringify(python)}`);

defineSidecarCases({
  server: [python, fileURLToPath(new URL('./otel_server.py', import.meta.url))],
  service: 'python-otel-server',
});
