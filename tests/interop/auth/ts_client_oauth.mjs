// OAuth interop (issue 7, server side): the TypeScript SDK's client, with its own OAuth support
// (client/auth.js: PRM discovery, RFC 8414 metadata, dynamic client registration, PKCE, the
// resource indicator), gets a token from an authorization server started here and calls a
// protected `glassbox serve everything --http ... --auth-*`.
//
// The authorization server is the SDK's own: mcpAuthRouter (/authorize, /token, /register,
// RFC 8414 metadata; PKCE checked at /token) with its demo in-memory provider, changed only to
// issue RS256 JWT access tokens (aud = the resource the client asked for) and to publish their
// key at /jwks. No browser: redirectToAuthorization fetches the authorization URL and takes the
// code from the redirect's Location.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/auth/ts_client_oauth.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, createHash } from 'node:crypto';

import express from 'express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

import { startGlassboxServer } from '../http/common.mjs';

const SCOPE = 'mcp:tools';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'interop-rs256';
const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

function mintJwt(claims, header = { alg: 'RS256', kid: KID, typ: 'at+jwt' }) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

// The SDK's demo provider, issuing JWTs instead of random strings. What it saw is kept for the
// assertions (the PKCE challenge, the resource indicator).
class JwtAuthProvider extends DemoInMemoryAuthProvider {
  constructor(issuer) {
    super();
    this.issuer = issuer;
    this.seen = [];
  }
  async authorize(client, params, res) {
    this.seen.push({ codeChallenge: params.codeChallenge, resource: params.resource?.href, scopes: params.scopes });
    return super.authorize(client, params, res);
  }
  async exchangeAuthorizationCode(client, code) {
    const data = this.codes.get(code);
    if (!data || data.client.client_id !== client.client_id) throw new Error('Invalid authorization code');
    this.codes.delete(code);
    const now = Math.floor(Date.now() / 1000);
    const scope = (data.params.scopes ?? []).join(' ');
    const access_token = mintJwt({
      iss: this.issuer,
      sub: 'demo_user@example.com',
      aud: data.params.resource?.href,
      client_id: client.client_id,
      scope,
      iat: now,
      exp: now + 600,
      jti: createHash('sha256').update(code).digest('hex').slice(0, 16),
    });
    return { access_token, token_type: 'bearer', expires_in: 600, scope };
  }
}

function startAuthorizationServer() {
  return new Promise((resolve) => {
    const app = express();
    const listener = app.listen(0, '127.0.0.1', () => {
      const issuer = new URL(`http://127.0.0.1:${listener.address().port}/`);
      const provider = new JwtAuthProvider(issuer.href);
      app.get('/jwks', (_req, res) => {
        res.json({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] });
      });
      app.use(mcpAuthRouter({ provider, issuerUrl: issuer, scopesSupported: [SCOPE] }));
      resolve({ issuer: issuer.href, provider, stop: () => new Promise((done) => listener.close(done)) });
    });
  });
}

// An OAuthClientProvider for a client without a browser: the "user" consents at once, and the
// code is read from the Location of the authorization server's redirect.
class HeadlessOAuthProvider {
  constructor() {
    this.redirects = 0;
    this._tokens = undefined;
    this._client = undefined;
    this._verifier = undefined;
    this.code = undefined;
  }
  get redirectUrl() {
    return 'http://127.0.0.1:1/callback';
  }
  get clientMetadata() {
    return {
      client_name: 'glassbox interop client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: SCOPE,
    };
  }
  clientInformation() {
    return this._client;
  }
  saveClientInformation(info) {
    this._client = info;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
  }
  async redirectToAuthorization(url) {
    this.redirects += 1;
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 302, `the authorization endpoint redirects (${response.status})`);
    const location = new URL(response.headers.get('location'));
    this.code = location.searchParams.get('code');
  }
  saveCodeVerifier(verifier) {
    this._verifier = verifier;
  }
  codeVerifier() {
    return this._verifier;
  }
}

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const postHeaders = (token) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

describe('TS SDK OAuth client -> protected glassbox HTTP server', () => {
  let as;
  let server;
  let prmUrl;

  before(async () => {
    as = await startAuthorizationServer();
    server = await startGlassboxServer([
      '--auth-issuer', as.issuer,
      '--auth-jwks', `${as.issuer}jwks`,
      '--auth-scopes', SCOPE,
    ]);
    prmUrl = new URL('/.well-known/oauth-protected-resource/mcp', server.url).href;
  });

  after(async () => {
    await server?.stop();
    await as?.stop();
  });

  test('without a token: 401 pointing at the protected resource metadata, which is exact', async () => {
    const response = await fetch(server.url, { method: 'POST', headers: postHeaders(), body: initializeBody });
    assert.equal(response.status, 401);
    assert.equal(
      response.headers.get('www-authenticate'),
      `Bearer resource_metadata="${prmUrl}", scope="${SCOPE}"`,
    );
    const prm = await fetch(prmUrl);
    assert.equal(prm.status, 200);
    assert.deepEqual(await prm.json(), {
      resource: server.url,
      authorization_servers: [as.issuer],
      scopes_supported: [SCOPE],
      bearer_methods_supported: ['header'],
    });
  });

  test('the SDK client discovers, registers, authorizes with PKCE and calls tools', async () => {
    const provider = new HeadlessOAuthProvider();
    const first = new Client({ name: 'ts-oauth-interop', version: '1.0.0' });
    const firstTransport = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
    await assert.rejects(first.connect(firstTransport), UnauthorizedError);
    assert.equal(provider.redirects, 1);
    assert.ok(provider.code, 'an authorization code came back');
    assert.ok(provider.clientInformation()?.client_id, 'the client registered dynamically');
    const seen = as.provider.seen.at(-1);
    assert.match(seen.codeChallenge, /^[A-Za-z0-9_-]{43}$/, 'PKCE S256 challenge sent');
    assert.equal(seen.resource, server.url, 'the resource indicator names the glassbox server');
    assert.deepEqual(seen.scopes, [SCOPE]);

    await firstTransport.finishAuth(provider.code);
    const token = provider.tokens().access_token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.aud, server.url);
    assert.equal(claims.iss, as.issuer);
    await firstTransport.close();

    const client = new Client({ name: 'ts-oauth-interop', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'echo'));
      const echoed = await client.callTool({ name: 'echo', arguments: { message: 'through OAuth' } });
      assert.match(JSON.stringify(echoed.content), /through OAuth/);

      // Passback of the authorized call carries the auth.validate span, and no token material.
      const traced = await client.callTool({
        name: 'test_simple_text',
        arguments: {},
        _meta: { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01`, otel: { traces: { request: true } } },
      });
      const spans = traced._meta.otel.traces.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      const root = spans.find((s) => s.kind === 2);
      const check = spans.find((s) => s.name === 'auth.validate');
      assert.ok(root && check, 'SERVER and auth.validate spans');
      assert.equal(check.parentSpanId, root.spanId);
      const attribute = (span, key) => span.attributes.find((a) => a.key === key)?.value.stringValue;
      assert.equal(attribute(check, 'auth.outcome'), 'valid');
      assert.equal(attribute(check, 'auth.alg'), 'RS256');
      assert.equal(attribute(check, 'auth.issuer'), as.issuer);
      const bytes = JSON.stringify(traced);
      for (const part of [token, ...token.split('.'), 'demo_user@example.com']) {
        assert.ok(!bytes.includes(part), 'no token material in the response');
      }
    } finally {
      await client.close();
    }
  });

  test('tokens the server must refuse', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: as.issuer, sub: 'x', aud: server.url, scope: SCOPE, exp: now + 600 };
    const cases = [
      ['expired', { ...base, exp: now - 3600 }, 401, 'expired'],
      ['another audience', { ...base, aud: 'http://127.0.0.1:1/mcp' }, 401, 'wrong_audience'],
      ['another issuer', { ...base, iss: 'http://127.0.0.1:1/' }, 401, 'wrong_issuer'],
      ['without the scope', { ...base, scope: 'other' }, 403, 'insufficient_scope'],
    ];
    for (const [name, claims, status, reason] of cases) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: postHeaders(mintJwt(claims)),
        body: initializeBody,
      });
      assert.equal(response.status, status, name);
      const challenge = response.headers.get('www-authenticate');
      assert.ok(challenge.startsWith(`Bearer resource_metadata="${prmUrl}"`), name);
      assert.match(challenge, status === 403 ? /error="insufficient_scope"/ : /error="invalid_token"/, name);
      assert.equal((await response.json()).error.data.reason, reason, name);
    }
    const inQuery = await fetch(`${server.url}?access_token=${mintJwt(base)}`, {
      method: 'POST',
      headers: postHeaders(),
      body: initializeBody,
    });
    assert.equal(inQuery.status, 400);
  });
});
