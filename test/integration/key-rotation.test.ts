import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotateKeyFile } from '../../src/vault/key-rotation.js';
import { decodeKeyFile, keyIdFor, loadKeyRing, MASTER_KEY_FILE } from '../../src/vault/master-key.js';
import { createSealer } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { Store } from '../../src/vault/types.js';
import { Vault } from '../../src/vault/vault.js';
import type { TokenSet } from '../../src/providers/types.js';
import { rotateKeys } from '../../src/cli/keys.js';
import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { spawnWorker } from '../support/processes.js';
import { connect, grant, MINUTE, newConsent, T0 } from '../support/store-fixtures.js';
import { startToolvault } from '../support/toolvault.js';

/**
 * `toolvault keys rotate`: a new key id, every secret re-sealed while the server serves, the old key retired.
 * A crash anywhere leaves every secret readable, and running it again finishes the job.
 */

const keyFile = (home: string) =>
  decodeKeyFile(readFileSync(join(home, MASTER_KEY_FILE), 'utf8'), 'master.key');

/** A vault in a temp folder with `n` connections and one consent waiting for its callback, key in a file. */
async function seedVault(n: number) {
  const home = mkdtempSync(join(tmpdir(), 'toolvault-rotate-'));
  const keys = await loadKeyRing({ home, env: {} });
  const store = openSqliteStore(join(home, 'vault.db'));
  const vault = new Vault(store, await createSealer(keys.ring));
  const tokens = new Map<string, TokenSet>();
  for (let i = 0; i < n; i++) {
    const id = `conn_${i}`;
    const t: TokenSet = {
      accessToken: `at-${i}-${randomBytes(8).toString('hex')}`,
      refreshToken: `rt-${i}`,
      tokenType: 'bearer',
    };
    tokens.set(id, t);
    await connect(store, `user${i}`, 'demo', { id, grant: grant('x', { secret: vault.sealTokens(id, t) }) });
  }
  const c = await store.createConsent(
    newConsent('late', 'demo', { createdAt: T0, expiresAt: T0 + 15 * MINUTE }),
  );
  await store.markRedirected(
    c.linkId,
    {
      oauthState: 'st',
      verifier: vault.sealVerifier(c.authId, { codeVerifier: 'cv-123' }),
      callbackExpiresAt: T0 + 10 * MINUTE,
    },
    T0,
  );
  return { home, store, tokens, authId: c.authId, firstKeyId: keys.ring.currentKeyId };
}

/** Opens every secret with the key file as it is now; throws if any does not open or changed. */
async function expectAllReadable(home: string, store: Store, tokens: Map<string, TokenSet>, authId: string) {
  const vault = new Vault(store, await createSealer(keyFile(home)));
  for (const row of await store.listConnections()) expect(vault.openTokens(row)).toEqual(tokens.get(row.id));
  expect(vault.openVerifier((await store.getConsent(authId))!)).toEqual({ codeVerifier: 'cv-123' });
}

describe('keys rotate', () => {
  it('adds a key, re-seals connections and in-flight consents, retires the old key', async () => {
    const v = await seedVault(7);
    writeFileSync(join(v.home, `${MASTER_KEY_FILE}.999.deadbeef.tmp`), 'left by a crash');
    const steps: string[] = [];
    const r = await rotateKeyFile(v.home, v.store, { batch: 3, onStep: (s) => void steps.push(s.step) });
    expect(r).toMatchObject({ resealed: 8, conflicts: 0, resumed: false, retired: [v.firstKeyId] });
    const ring = keyFile(v.home);
    expect([...ring.keys.keys()]).toEqual([r.keyId]);
    expect(r.keyId).not.toBe(v.firstKeyId);
    expect(steps[0]).toBe('key_added');
    expect(steps.at(-1)).toBe('retired');
    expect(await v.store.listSealed({ notKeyId: r.keyId, limit: 10 })).toEqual([]);
    await expectAllReadable(v.home, v.store, v.tokens, v.authId);
    expect(readFileSync(join(v.home, MASTER_KEY_FILE)).toString()).not.toContain('left by a crash');
    expect(() => readFileSync(join(v.home, `${MASTER_KEY_FILE}.999.deadbeef.tmp`))).toThrow();
    await v.store.close();
    rmSync(v.home, { recursive: true, force: true });
  });

  it('survives SIGKILL at random points of the re-seal: every secret opens after each, and a rerun completes', async () => {
    const v = await seedVault(24);
    const env = { TOOLVAULT_HOME: v.home, ROTATION_STEP_MS: '4', ROTATION_BATCH: '5' };
    const kills: string[] = [];
    for (let round = 0; round < 4; round++) {
      const worker = spawnWorker('test/support/rotation-worker.ts', [], env);
      // Somewhere between "key added" and a few steps past the end of the re-seal (then it finishes on its own).
      const target = Math.floor(Math.random() * 26);
      let seen = 0;
      let last = '';
      try {
        while (seen <= target) {
          last = await worker.next();
          seen++;
          if (last.includes('"done"')) break;
        }
      } catch {
        // exited on its own
      }
      if (!last.includes('"done"')) {
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
        worker.child.kill('SIGKILL');
        kills.push(`${seen}:${JSON.parse(last || '{"step":"none"}').step as string}`);
      }
      await worker.exited();
      await expectAllReadable(v.home, v.store, v.tokens, v.authId);
    }
    const final = spawnWorker('test/support/rotation-worker.ts', [], {
      TOOLVAULT_HOME: v.home,
      ROTATION_BATCH: '5',
    });
    let line = '';
    while (!line.includes('"done"')) line = await final.next();
    expect(await final.exited()).toBe(0);
    const ring = keyFile(v.home);
    expect(ring.keys.size).toBe(1);
    expect(ring.currentKeyId).not.toBe(v.firstKeyId);
    expect(await v.store.listSealed({ notKeyId: ring.currentKeyId, limit: 100 })).toEqual([]);
    await expectAllReadable(v.home, v.store, v.tokens, v.authId);
    await v.store.close();

    // A restarted toolvault starts on the rotated vault and opens every secret.
    const tv = await startToolvault({ home: v.home, keyFile: true });
    try {
      for (const row of await tv.app.vault.store.listConnections())
        expect(tv.app.vault.openTokens(row)).toEqual(v.tokens.get(row.id));
    } finally {
      await tv.close();
    }
    console.info(`key rotation killed at (lines seen:last step) ${kills.join(', ') || 'nowhere'}`);
  });

  it('resumes a rotation found half done, without minting another key', async () => {
    const v = await seedVault(6);
    let n = 0;
    await expect(
      rotateKeyFile(v.home, v.store, {
        batch: 2,
        onStep: (s) => {
          if (s.step === 'resealed' && ++n === 3) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const half = keyFile(v.home);
    expect(half.keys.size).toBe(2);
    const r = await rotateKeyFile(v.home, v.store, { batch: 2 });
    expect(r).toMatchObject({ resumed: true, keyId: half.currentKeyId, retired: [v.firstKeyId] });
    expect([...keyFile(v.home).keys.keys()]).toEqual([half.currentKeyId]);
    await expectAllReadable(v.home, v.store, v.tokens, v.authId);
    await v.store.close();
  });
});

describe('keys rotate while the server serves', () => {
  let as: OidcServer;
  const clock = new FakeClock(Date.UTC(2026, 4, 1));
  beforeAll(async () => {
    as = await startOidcServer();
  });
  afterAll(() => as?.close());

  it('re-seals under a server that keeps refreshing; no call fails, no refresh token is lost', async () => {
    const tv = await startToolvault({
      clock,
      keyFile: true,
      providers: asDemoProvider(as),
    });
    const revoked: string[] = [];
    as.provider.on('grant.revoked', (_ctx: unknown, id: string) => revoked.push(id));
    try {
      await as.setRedirectUris([`${tv.url}/oauth/callback`]);
      const busy = ['u1', 'u2', 'u3', 'u4'];
      const idle = ['u5', 'u6', 'u7', 'u8'];
      for (const u of [...busy, ...idle]) {
        const s = await tv.app.services.consent.start(u, 'demo');
        if (s.status === 'pending') await completeConsent(s.authUrl, { name: u });
      }
      const act = (u: string) =>
        tv.app.services.access.call(
          u,
          'demo',
          ['openid'],
          async (api) => (await api.request('GET', 'me')).status,
        );
      const oldKey = keyFile(tv.home).currentKeyId;
      const ids = new Map((await tv.app.vault.store.listConnections()).map((r) => [r.id, r.userId]));
      let rotating = true;
      let calls = 0;
      const failures: unknown[] = [];
      // Every round expires every token, so each busy call refreshes (and rotates the refresh token) mid-rotation.
      const traffic = (async () => {
        while (rotating) {
          clock.advance(2 * 3600_000);
          const out = await Promise.all(busy.map(act));
          calls += out.length;
          for (const o of out) if (!o.ok || o.value !== 200) failures.push(o);
        }
      })();
      let raced = false;
      const report = await rotateKeyFile(tv.home, tv.app.vault.store, {
        batch: 8,
        onStep: async (s) => {
          // Right after the first re-seal, the rows still waiting in this batch get refreshed under it: their
          // re-seal must lose cleanly to the refresh, never overwrite it.
          if (s.step === 'resealed' && !raced) {
            raced = true;
            const others = idle.filter((u) => u !== ids.get(s.id));
            for (const o of await Promise.all(others.map(act))) if (!o.ok) failures.push(o);
          }
          await new Promise((r) => setTimeout(r, 3));
        },
      });
      rotating = false;
      await traffic;
      expect(failures).toEqual([]);
      expect(calls).toBeGreaterThan(4);
      expect(report.resealed).toBeGreaterThanOrEqual(1);
      expect(report.conflicts).toBeGreaterThanOrEqual(1);
      expect(revoked).toEqual([]);
      expect([...keyFile(tv.home).keys.keys()]).toEqual([report.keyId]);
      expect(report.retired).toEqual([oldKey]);
      for (const row of await tv.app.vault.store.listConnections())
        expect(row.secret.keyId).toBe(report.keyId);
      // The running server follows the file: it seals with the new key and still serves.
      for (const u of [...busy, ...idle]) expect(await act(u)).toEqual({ ok: true, value: 200 });
      expect(revoked).toEqual([]);
      console.info(
        `rotation under traffic: ${calls} calls, ${report.resealed} re-sealed, ${report.conflicts} conflicts`,
      );
    } finally {
      await tv.close({ keepHome: true });
    }
    // And after a restart on the file alone.
    const again = await startToolvault({ home: tv.home, keyFile: true, clock, providers: {} });
    for (const row of await again.app.vault.store.listConnections())
      expect(() => again.app.vault.openTokens(row)).not.toThrow();
    await again.close();
  });
});

describe('keys rotate with the key in the environment', () => {
  it('explains what to do when the environment holds one key, and writes nothing', async () => {
    const key = randomBytes(32).toString('base64');
    const tv = await startToolvault({ masterKey: key });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await rotateKeys(tv.app, { env: { TOOLVAULT_MASTER_KEY: key } })).toBe(1);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toContain('TOOLVAULT_MASTER_KEYS="<new key>,<old key>"');
      expect(said).not.toContain(key);
      expect(() => readFileSync(join(tv.home, MASTER_KEY_FILE))).toThrow();
    } finally {
      err.mockRestore();
      await tv.close();
    }
  });

  it('re-seals under the first of TOOLVAULT_MASTER_KEYS and says the old key can go', async () => {
    const v = await seedVault(5);
    const oldKey = readFileSync(join(v.home, MASTER_KEY_FILE), 'utf8');
    const oldB64 = Object.values((JSON.parse(oldKey) as { keys: Record<string, string> }).keys)[0]!;
    const newB64 = randomBytes(32).toString('base64');
    const env = { TOOLVAULT_MASTER_KEYS: `${newB64},${oldB64}` };
    const tv = await startToolvault({ home: v.home, keyFile: true });
    await tv.close({ keepHome: true });
    const { createApp } = await import('../../src/app/app.js');
    const { loadConfig } = await import('../../src/app/config.js');
    const { createLogger } = await import('../../src/log.js');
    const app = await createApp(
      loadConfig({
        TOOLVAULT_HOME: v.home,
        TOOLVAULT_CONFIG: join(v.home, 'toolvault.config.json'),
        TOOLVAULT_DEMO: '0',
      }),
      {
        env,
        log: createLogger('silent'),
      },
    );
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await rotateKeys(app, { env })).toBe(0);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      const newId = keyIdFor(Buffer.from(newB64, 'base64'));
      expect(said).toContain(`Every secret is sealed with ${newId}`);
      expect(said).toMatch(/no longer used: remove it from TOOLVAULT_MASTER_KEYS/);
      for (const row of await app.vault.store.listConnections()) {
        expect(row.secret.keyId).toBe(newId);
        expect(app.vault.openTokens(row)).toEqual(v.tokens.get(row.id));
      }
    } finally {
      err.mockRestore();
      await app.close();
      await v.store.close();
    }
  });
});
