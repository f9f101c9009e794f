import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorker } from '../support/processes.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * Crash safety. A lease holder killed mid-refresh leaves a lease behind; once it expires another worker takes
 * over, and nothing sealed in the vault is lost or damaged. When the killed request had already reached the
 * provider and rotated (a lost response), the old refresh token is spent: with reuse detection the grant is
 * gone, and toolvault must say so honestly — with its evidence — rather than keep retrying or guess.
 */

describe('a lease holder that dies mid-refresh', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('is taken over after its lease expires: one refresh completes, every secret still opens', async () => {
    const before = await rig.connect('crash');
    await rig.connect('bystander');
    const t = before.accessExpiresAt! + 5_000;
    rig.as.clearTokenRequests();
    rig.as.failNext('timeout'); // the AS reads the request and never answers
    const holder = spawnWorker('test/support/refresh-worker.ts', ['hold', String(t), 'crash'], {
      TOOLVAULT_HOME: rig.tv.home,
      TOOLVAULT_CONFIG: `${rig.tv.home}/toolvault.config.json`,
      TOOLVAULT_MASTER_KEY: rig.tv.masterKey,
      TOOLVAULT_DEMO: '0',
    });
    const { owner } = JSON.parse(await holder.next()) as { owner: string };
    for (let i = 0; i < 200 && rig.as.tokenRequests().length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(rig.as.tokenRequests()).toEqual([
      expect.objectContaining({ fault: 'timeout', grantType: 'refresh_token' }),
    ]);
    const held = await rig.row('crash');
    expect(held.leaseOwner).toBe(owner);
    expect(held.leaseExpiresAt).toBeGreaterThan(t);

    holder.child.kill('SIGKILL');
    await holder.exited();
    expect(holder.child.signalCode).toBe('SIGKILL');

    // While the dead holder's lease runs, a caller waits (no second token request)...
    rig.clock.set(t + 1_000);
    const call = rig.act('crash');
    await new Promise((r) => setTimeout(r, 100));
    expect(rig.as.tokenRequests()).toHaveLength(1);
    // ...and once it has expired, the caller takes over and completes the refresh.
    rig.clock.set(held.leaseExpiresAt! + 1);
    expect(await call).toEqual({ ok: true, value: 'crash' });
    expect(rig.as.tokenRequests().map((r) => r.status)).toEqual([null, 200]);
    const after = await rig.row('crash');
    expect(after).toMatchObject({ state: 'healthy', version: before.version + 1, leaseOwner: null });

    for (const row of await rig.tv.app.vault.store.listConnections()) {
      const tokens = rig.tv.app.vault.openTokens(row);
      expect(tokens.accessToken.length).toBeGreaterThan(0);
      expect(tokens.refreshToken).toBeTruthy();
      expect(row.state).toBe('healthy');
    }
    expect(rig.grantRevocations).toEqual([]);
    expect(rig.wire.badCalls()).toEqual([]);
  });

  it('a rotation whose response was lost ends in reauthorization_required with the evidence, not a guess', async () => {
    const before = await rig.connect('lost');
    rig.clock.set(before.accessExpiresAt! + 1_000);
    rig.as.failNext('lose_response'); // the AS rotates, then the connection drops before the answer
    const first = await rig.act('lost');
    expect(first).toMatchObject({ ok: false, failure: { type: 'error', kind: 'transient' } });
    expect(await rig.row('lost')).toMatchObject({ state: 'healthy', failureStreak: 1 });

    // The stored refresh token is the spent one. Presenting it trips reuse detection: the grant dies.
    rig.clock.advance(61_000);
    const second = await rig.act('lost');
    expect(second).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    expect(rig.grantRevocations).toHaveLength(1);
    const [changed] = await rig.stateChanges('lost');
    expect(changed).toMatchObject({ toState: 'reauthorization_required' });
    expect(changed?.detail).toMatchObject({
      refreshError: 'invalid_grant',
      probe: 'invalid',
      probeStatus: 401,
      priorFailure: { kind: 'transient' },
    });
    // Exactly two token requests: no retry storm before or after.
    const refreshes = rig.as.tokenRequests().filter((r) => r.grantType === 'refresh_token');
    expect(refreshes.slice(-2).map((r) => r.fault)).toEqual(['lose_response', null]);
  });
});
