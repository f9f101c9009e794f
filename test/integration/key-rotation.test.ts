import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeyFile } from '../../src/vault/key-rotation.js';
import { MASTER_KEY_FILE } from '../../src/vault/master-key.js';

import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { asDemoProvider, type OidcServer, startOidcServer } from '../support/oidc-server.js';
import { spawnWorker } from '../support/processes.js';
import { startToolvault } from '../support/toolvault.js';
import { expectAllReadable, keyFile, seedVault } from '../support/key-rotation-vaults.js';

/**
 * `toolvault keys rotate`: a new key id, every secret re-sealed while the server serves, the old key retired.
 * A crash anywhere leaves every secret readable, and running it again finishes the job.
 */

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
