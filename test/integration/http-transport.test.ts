import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/clock.js';
import { type HostedHarness, INIT, startHosted } from '../support/hosted.js';

/** Streamable HTTP at /mcp as `serve --http` mounts it: sessions, stateless mode, guards, limits, 401, 429. */

const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A request with a Host header of our choosing (fetch does not let one set it). */
function withHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(INIT));
  });
}

describe('streamable HTTP with sessions', () => {
  let h: HostedHarness;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    h = await startHosted({
      config: { http: { allowedOrigins: ['https://agent.example'], maxBodyBytes: 4096 } },
    });
    alice = await h.key('alice');
    bob = await h.key('bob');
  });
  afterAll(() => h?.close());

  it('opens a session on initialize and ends it on DELETE, after which its id is unknown', async () => {
    const c = await h.client(alice);
    const id = c.transport.sessionId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.hosted.sessions()).toBeGreaterThanOrEqual(1);
    const before = h.hosted.sessions();
    await c.transport.terminateSession();
    expect(h.hosted.sessions()).toBe(before - 1);
    const after = await h.post(LIST, {
      ...bearer(alice),
      'mcp-session-id': id,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
  });

  it('closes a session left idle, but never one with a request still open', async () => {
    const init = await h.post(INIT, bearer(alice));
    await init.text();
    const id = init.headers.get('mcp-session-id')!;
    const headers = { ...bearer(alice), 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    // A client's standing GET stream: the session is in use for as long as it stays open.
    const abort = new AbortController();
    const stream = await fetch(h.mcpUrl, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    const later = Date.now() + 31 * 60_000;
    await h.hosted.sweepIdle(later);
    expect((await h.post(LIST, headers)).status).toBe(200);
    abort.abort();
    let swept = 0;
    for (let i = 0; i < 50 && swept === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      swept = await h.hosted.sweepIdle(Date.now() + 31 * 60_000);
    }
    expect(swept).toBeGreaterThanOrEqual(1);
    expect((await h.post(LIST, headers)).status).toBe(404);
  });

  it('lets a browser client on an allowed origin read the session id and the 401 challenge (CORS)', async () => {
    const origin = 'https://agent.example';
    const pre = await fetch(h.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
    const denied = await h.post(INIT, { origin });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(origin);
    expect(denied.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    const evil = await fetch(h.mcpUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers another caller's session id as unknown", async () => {
    const c = await h.client(alice);
    const res = await h.post(LIST, {
      ...bearer(bob),
      'mcp-session-id': c.transport.sessionId!,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(res.status).toBe(404);
    // Alice's session is untouched.
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('answers a malformed body with -32700, a body that is no request with -32600, and keeps serving', async () => {
    const bad = await h.post('{"jsonrpc": "2.0", "method": ', bearer(alice));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: expect.stringContaining('Parse error') },
      id: null,
    });
    const notRpc = await h.post({ hello: 'world' }, bearer(alice));
    expect(notRpc.status).toBe(400);
    expect(await notRpc.json()).toMatchObject({ error: { code: -32600 } });
    expect((await h.post(INIT, bearer(alice))).status).toBe(200);
  });

  it('refuses a body over the limit with 413 before reading it all, and keeps serving', async () => {
    const big = { ...INIT, params: { ...INIT.params, padding: 'x'.repeat(10_000) } };
    const res = await h.post(big, bearer(alice));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: -32600, message: 'Request body too large' } });
    expect((await h.post(INIT, bearer(alice))).status).toBe(200);
  });

  it('refuses a foreign Origin and a foreign Host (DNS rebinding) with 403, and keeps serving', async () => {
    const evil = await h.post(INIT, { ...bearer(alice), origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { message: expect.stringContaining('Origin') } });
    const rebound = await withHost(h.mcpUrl, `attacker.example:${new URL(h.url).port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('Host header');
    for (const origin of ['https://agent.example', new URL(h.url).origin]) {
      expect((await h.post(INIT, { ...bearer(alice), origin })).status).toBe(200);
    }
  });

  it('refuses a request without a credential with 401 and the RFC 9728 challenge', async () => {
    const res = await h.post(INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${h.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
  });

  it('refuses a bad, a malformed and a revoked key with 401 invalid_token', async () => {
    const carol = await h.key('carol');
    const forged = `${carol.slice(0, -4)}AAAA`;
    for (const key of [forged, 'tv_nope', 'not-a-key']) {
      const res = await h.post(INIT, bearer(key));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer resource_metadata="[^"]+", error="invalid_token", error_description="[^"]+"$/,
      );
    }
    expect((await h.post(INIT, bearer(carol))).status).toBe(200);
    const id = /^tv_([0-9a-f]{12})_/.exec(carol)![1]!;
    await h.app.vault.store.revokeApiKey(id, Date.now());
    const revoked = await h.post(INIT, bearer(carol));
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('unknown or revoked API key');
    // The key is never logged; its public id may be.
    expect(h.logs.join('\n')).not.toContain(carol.slice(17));
  });

  it('publishes protected-resource metadata at the root and the /mcp path variant', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        resource: h.mcpUrl,
        bearer_methods_supported: ['header'],
        resource_name: 'toolvault',
      });
    }
  });
});

describe('the loopback-only local user', () => {
  let h: HostedHarness;
  beforeAll(async () => {
    h = await startHosted({ env: { TOOLVAULT_USER: 'me' } });
  });
  afterAll(() => h?.close());

  it('serves the configured user without a key until the first key exists, then requires one', async () => {
    const c = await h.client();
    const started = await c.call('auth_status');
    expect(started.isError).toBeFalsy();
    await h.key('alice');
    const res = await h.post(INIT);
    expect(res.status).toBe(401);
    // Even the session opened before: every request is authenticated on its own.
    await expect(c.client.listTools()).rejects.toThrow();
  });
});

describe('per-caller rate limit', () => {
  let h: HostedHarness;
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    h = await startHosted({ clock, env: { TOOLVAULT_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => h?.close());

  it('answers the request over the limit with 429, Retry-After and a JSON-RPC error; other keys go on', async () => {
    const alice = await h.key('alice');
    const bob = await h.key('bob');
    for (let i = 0; i < 3; i++) expect((await h.post(INIT, bearer(alice))).status).toBe(200);
    const limited = await h.post(INIT, bearer(alice));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(await limited.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringContaining('Rate limit exceeded') },
      id: null,
    });
    expect((await h.post(INIT, bearer(bob))).status).toBe(200);
    clock.advance(20_000);
    expect((await h.post(INIT, bearer(alice))).status).toBe(200);
    expect((await h.post(INIT, bearer(alice))).status).toBe(429);
  });
});

describe('stateless streamable HTTP', () => {
  let h: HostedHarness;
  let key: string;
  beforeAll(async () => {
    h = await startHosted({ env: { TOOLVAULT_HTTP_STATELESS: '1' } });
    key = await h.key('alice');
  });
  afterAll(() => h?.close());

  it('serves an SDK client without a session id', async () => {
    const c = await h.client(key);
    expect(c.transport.sessionId).toBeUndefined();
    expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('auth_status');
    expect((await c.call('auth_status')).isError).toBeFalsy();
    expect(h.hosted.sessions()).toBe(0);
  });

  it('answers any request on its own, without an initialize first, as plain JSON', async () => {
    const res = await h.post(LIST, { ...bearer(key), 'mcp-protocol-version': '2025-11-25' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const body = (await res.json()) as { result: { tools: unknown[] } };
    expect(body.result.tools.length).toBeGreaterThan(0);
  });

  it('refuses GET and DELETE with 405, and still requires a credential', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(h.mcpUrl, { method, headers: { ...bearer(key), accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
    expect((await h.post(LIST)).status).toBe(401);
  });
});
