import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { ConnectionRow } from '../../src/vault/types.js';
import { Browser, completeConsent } from '../support/browser.js';
import { freePort } from '../support/cli.js';
import { type HttpServerProcess, runCli, spawnHttpServer } from '../support/cli-server.js';
import { connectHttpClient, type HttpClient, INIT } from '../support/hosted.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { sc } from '../support/toolvault.js';

/**
 * Two users of one hosted toolvault (the built CLI, `serve --http`), each with an API key made by
 * `toolvault apikeys create`. Bob must not reach anything of Alice's: each attempt a clear error, and
 * Alice's connection byte-for-byte unchanged.
 */
describe('two API keys on one hosted toolvault', () => {
  let as: OidcServer;
  let server: HttpServerProcess;
  let home: string;
  let env: Record<string, string>;
  let aliceKey: string;
  let bobKey: string;
  let alice: HttpClient;
  let bob: HttpClient;

  /** Opens a `toolvault users link` link in `browser` and presses its button; returns where it lands. */
  const signIn = async (browser: Browser, user: string) => {
    const made = await runCli(['users', 'link', user], env);
    expect(made.code).toBe(0);
    return browser.submitForm(await browser.get(made.stdout.trim()));
  };

  const aliceRow = async (): Promise<ConnectionRow | null> => {
    const store = openSqliteStore(join(home, 'vault.db'));
    try {
      return await store.getConnection('alice', 'demo');
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    as = await startOidcServer();
    home = mkdtempSync(join(tmpdir(), 'toolvault-isolation-'));
    const port = await freePort();
    env = {
      TOOLVAULT_HOME: home,
      TOOLVAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      TOOLVAULT_CONFIG: join(home, 'toolvault.config.json'),
      // On, to show that a hosted start prints no demo link (the configured `demo` provider is used).
      TOOLVAULT_DEMO: '1',
      TOOLVAULT_PORT: String(port),
      // People prove who they are with one-time links from `toolvault users link`.
      TOOLVAULT_SIGNIN_LINKS: '1',
    };
    writeFileSync(
      env['TOOLVAULT_CONFIG']!,
      JSON.stringify({
        providers: asDemoProvider(as),
      }),
    );
    const [a, b] = await Promise.all([
      runCli(['apikeys', 'create', '--user', 'alice', '--name', 'alice-agent'], env),
      runCli(['apikeys', 'create', '--user', 'bob'], env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    aliceKey = a.stdout;
    bobKey = b.stdout;
    expect(a.stderr).toContain('shown only this once');
    server = await spawnHttpServer(port, env);
    await as.setRedirectUris([`${server.url}/oauth/callback`]);
    alice = await connectHttpClient(server.mcpUrl, aliceKey.trim());
    bob = await connectHttpClient(server.mcpUrl, bobKey.trim());
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.stop();
    await as?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('`apikeys create` prints the key alone on stdout; `list` shows ids and owners, never a key', async () => {
    expect(aliceKey).toMatch(/^tv_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$/);
    const [list, jsonList] = await Promise.all([
      runCli(['apikeys', 'list'], env),
      runCli(['apikeys', 'list', '--user', 'bob', '--json'], env),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(aliceKey.slice(3, 15));
    expect(list.stdout).toContain('alice-agent');
    expect(list.stdout).not.toContain(aliceKey.trim().slice(16));
    const json = JSON.parse(jsonList.stdout);
    expect(json.keys).toEqual([
      expect.objectContaining({ id: bobKey.slice(3, 15), user: 'bob', revokedAt: null }),
    ]);
    expect(JSON.stringify(json)).not.toContain('hash');
    expect(server.stderr()).toContain('callers authenticate with API keys');
    // Hosted: no live connect link in the start-up banner, only how an agent gets one.
    expect(server.stderr()).not.toContain('/connect/');
    expect(server.stderr()).toContain('gets its connect link from auth_start');
  });

  it('refuses a request with no key or a bad key with 401 and WWW-Authenticate', async () => {
    for (const headers of [{}, { authorization: 'Bearer tv_000000000000_' + 'A'.repeat(43) }]) {
      const res = await fetch(server.mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(INIT),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(
        `resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
  });

  it('keeps Alice’s consent and connection out of Bob’s reach', async () => {
    const started = sc(await alice.call('auth_start', { provider: 'demo' }));
    expect(started.status).toBe('pending');

    // Bob cannot wait on (or learn anything about) Alice's consent: an immediate "unknown", no waiting.
    const t0 = performance.now();
    const peek = await bob.call('auth_status', { authId: started.authId, waitSeconds: 5 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(peek.isError).toBe(true);
    expect(sc(peek)).toMatchObject({ status: 'error', message: `Unknown authId "${started.authId}".` });

    const browser = new Browser();
    const held = await completeConsent(started.authUrl, { name: 'alice', browser });
    // Back from the provider, toolvault asks who this is before the grant becomes active.
    expect(new URL(held.url).pathname).toBe('/signin');
    expect(await aliceRow()).toBeNull();
    expect((await signIn(browser, 'alice')).html).toContain('is connected');
    const done = sc(await alice.call('auth_status', { authId: started.authId, waitSeconds: 5 }));
    expect(done.consent).toMatchObject({ state: 'completed' });
    expect(sc(await alice.call('demo_whoami'))).toMatchObject({ status: 'ok', subject: 'alice' });
    const before = await aliceRow();
    expect(before).toMatchObject({ state: 'healthy' });

    // Call with it: Bob is asked to connect his own account.
    const call = await bob.call('demo_whoami');
    expect(call.isError).toBe(true);
    expect(sc(call)).toMatchObject({ status: 'auth_required', reason: 'not_connected', provider: 'demo' });
    // See it: Bob's list is empty.
    expect(sc(await bob.call('auth_status')).connections).toEqual([]);
    expect(sc(await bob.call('auth_status', { provider: 'demo' })).connections).toEqual([]);
    // Disconnect it: nothing of Bob's to disconnect.
    const gone = await bob.call('auth_disconnect', { provider: 'demo' });
    expect(gone.isError).toBe(true);
    expect(sc(gone)).toMatchObject({
      status: 'error',
      message: 'There is no demo connection to disconnect.',
    });
    // Complete or read Alice's finished consent: unknown to Bob.
    expect(sc(await bob.call('auth_status', { authId: started.authId }))).toMatchObject({ status: 'error' });
    // Ride Alice's session: unknown session.
    const hijack = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${bobKey.trim()}`,
        'mcp-session-id': alice.transport.sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'demo_whoami', arguments: {} },
      }),
    });
    expect(hijack.status).toBe(404);

    // Nothing of Alice's changed.
    expect(await aliceRow()).toEqual(before);
    expect(sc(await alice.call('demo_whoami'))).toMatchObject({ subject: 'alice' });
  });

  it("refuses Alice when she opens Bob's link, once she has signed in; Bob finishes his own", async () => {
    const started = sc(await bob.call('auth_start', { provider: 'demo' }));
    const before = await aliceRow();
    // Alice holds Bob's link, signs in at the provider, then proves to toolvault that she is alice.
    const browser = new Browser();
    await completeConsent(started.authUrl, { name: 'alice', browser });
    const refused = await signIn(browser, 'alice');
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('This link is for someone else');
    expect(refused.html).toContain('made for the toolvault user &quot;bob&quot;');
    expect(sc(await bob.call('auth_status', { authId: started.authId })).consent).toMatchObject({
      state: 'failed',
    });
    expect(sc(await bob.call('demo_whoami'))).toMatchObject({ status: 'auth_required' });
    expect(await aliceRow()).toEqual(before);

    // Bob, signed in as himself beforehand, connects straight through.
    const again = sc(await bob.call('auth_start', { provider: 'demo' }));
    const bobs = new Browser();
    await signIn(bobs, 'bob');
    expect((await completeConsent(again.authUrl, { name: 'bob-at-idp', browser: bobs })).html).toContain(
      'is connected',
    );
    expect(sc(await bob.call('demo_whoami'))).toMatchObject({ subject: 'bob-at-idp' });
    expect(sc(await alice.call('demo_whoami'))).toMatchObject({ subject: 'alice' });
  });

  it('`apikeys revoke` shuts a key out at once', async () => {
    const id = bobKey.slice(3, 15);
    const [r, again] = await Promise.all([
      runCli(['apikeys', 'revoke', id], env),
      runCli(['apikeys', 'revoke', 'nonexistent'], env),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Revoked API key ${id}`);
    await expect(bob.call('auth_status')).rejects.toThrow(/401|Unauthorized/);
    expect(sc(await alice.call('auth_status')).connections).toHaveLength(1);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no API key with id "nonexistent"');
  });
});
