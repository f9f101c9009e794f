import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/app/open-store.js';
import type { Store } from '../../src/vault/types.js';
import { createLogger } from '../../src/log.js';
import { ApiKeys } from '../../src/server/api-keys.js';
import { completeConsent } from '../support/browser.js';
import { freePort } from '../support/cli.js';
import { type HttpServerProcess, spawnHttpServer } from '../support/cli-server.js';
import { connectHttpClient, type HttpClient } from '../support/hosted.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { createTestSchema, pgUnavailable, type TestSchema } from '../support/postgres.js';
import { sc } from '../support/toolvault.js';

/**
 * Horizontal scale: three `toolvault serve --http` processes share one vault (PostgreSQL, or one SQLite file)
 * and one master key. A user's access token has expired; 100 tool calls arrive at each instance at once.
 * oidc-provider rotates refresh tokens and revokes the whole grant on reuse, so a second token request would
 * not just be waste: it would break every later call. Exactly one token request, every call succeeds.
 */

const INSTANCES = 3;
const CALLS = 100;
const unavailable = await pgUnavailable();
if (unavailable) console.warn(`SKIPPED the PostgreSQL case of multi-instance-refresh: ${unavailable}`);

interface Vault {
  /** Env naming the shared vault, for instance `i`. */
  env(i: number): Record<string, string>;
  open(): Promise<Store>;
  /** Makes the stored access token of (user, demo) look expired to every instance. */
  expire(user: string): Promise<void>;
  close(): Promise<void>;
}

async function postgresVault(root: string): Promise<Vault> {
  const schema: TestSchema = await createTestSchema('tv_multi');
  return {
    // Each instance gets its own data folder: nothing is shared but the database.
    env: (i) => ({ TOOLVAULT_DATABASE_URL: schema.url, TOOLVAULT_HOME: join(root, `home-${i}`) }),
    open: () => openStore({ home: root, databaseUrl: schema.url }),
    async expire(user) {
      await schema.query(
        "UPDATE connections SET access_expires_at = $1 WHERE user_id = $2 AND provider = 'demo'",
        [Date.now() - 1000, user],
      );
    },
    close: () => schema.drop(),
  };
}

async function sqliteVault(root: string): Promise<Vault> {
  const home = join(root, 'shared');
  mkdirSync(home);
  return {
    env: () => ({ TOOLVAULT_HOME: home }),
    open: () => openStore({ home, databaseUrl: undefined }),
    async expire(user) {
      const db = new Database(join(home, 'vault.db'));
      db.prepare("UPDATE connections SET access_expires_at = ? WHERE user_id = ? AND provider = 'demo'").run(
        Date.now() - 1000,
        user,
      );
      db.close();
    },
    close: async () => undefined,
  };
}

describe.each([
  { name: 'PostgreSQL', make: postgresVault, skip: unavailable !== null },
  { name: 'SQLite (one file)', make: sqliteVault, skip: false },
])('$name: three toolvault processes, one vault', ({ make, skip }) => {
  let as: OidcServer;
  let vault: Vault;
  let root: string;
  let servers: HttpServerProcess[] = [];
  let clients: HttpClient[] = [];
  const presented: string[] = [];
  const revokedGrants: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    as = await startOidcServer();
    as.provider.use(async (ctx, next) => {
      await next();
      const body = (ctx.oidc as { body?: Record<string, unknown> } | undefined)?.body;
      if (body?.['grant_type'] === 'refresh_token' && typeof body['refresh_token'] === 'string')
        presented.push(body['refresh_token']);
    });
    as.provider.on('grant.revoked', (_ctx: unknown, grantId: string) => revokedGrants.push(grantId));
    root = mkdtempSync(join(tmpdir(), 'toolvault-multi-'));
    vault = await make(root);
    const config = join(root, 'toolvault.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: asDemoProvider(as),
      }),
    );
    const store = await vault.open();
    const key = (
      await new ApiKeys({ store, clock: { now: Date.now }, log: createLogger('silent') }).create('alice')
    ).key;
    await store.close();

    const masterKey = randomBytes(32).toString('base64');
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    servers = await Promise.all(
      ports.map((port, i) =>
        spawnHttpServer(port, {
          TOOLVAULT_MASTER_KEY: masterKey,
          TOOLVAULT_CONFIG: config,
          TOOLVAULT_DEMO: '0',
          TOOLVAULT_RATE_LIMIT_PER_MINUTE: '0',
          // API keys make this hosted; this test is about refreshes, not about who finishes a link.
          TOOLVAULT_USER_VERIFICATION: 'off',
          ...vault.env(i),
        }),
      ),
    );
    await as.setRedirectUris(servers.map((s) => `${s.url}/oauth/callback`));
    clients = await Promise.all(servers.map((s) => connectHttpClient(s.mcpUrl, key)));
  });
  afterAll(async () => {
    if (skip) return;
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(servers.map((s) => s.stop()));
    await as?.close();
    await vault?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    `${INSTANCES} x ${CALLS} concurrent calls on an expired token: one token request, all succeed`,
    async () => {
      const [first] = clients;
      const started = sc(await first!.call('auth_start', { provider: 'demo' }));
      await completeConsent(started.authUrl, { name: 'alice' });
      expect(
        sc(await clients[2]!.call('auth_status', { authId: started.authId, waitSeconds: 5 })).consent,
      ).toMatchObject({
        state: 'completed',
      });
      const store = await vault.open();
      const before = (await store.getConnection('alice', 'demo'))!;
      await vault.expire('alice');
      as.clearTokenRequests();

      const t0 = performance.now();
      const results = await Promise.all(
        clients.flatMap((c) => Array.from({ length: CALLS }, () => c.call('demo_whoami'))),
      );
      const ms = performance.now() - t0;

      const ok = results.filter((r) => !r.isError && sc(r).subject === 'alice');
      expect(ok).toHaveLength(INSTANCES * CALLS);
      expect(as.tokenRequests()).toEqual([
        expect.objectContaining({ grantType: 'refresh_token', status: 200 }),
      ]);
      const after = (await store.getConnection('alice', 'demo'))!;
      await store.close();
      expect(after).toMatchObject({ state: 'healthy', version: before.version + 1, leaseOwner: null });
      expect(after.accessExpiresAt).toBeGreaterThan(Date.now());
      expect(new Set(presented).size).toBe(presented.length);
      expect(revokedGrants).toEqual([]);
      console.info(
        `${INSTANCES} processes x ${CALLS} calls on an expired token: ${Math.round(ms)} ms, ${as.tokenRequests().length} token request`,
      );
    },
  );
});
