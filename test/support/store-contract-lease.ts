import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/vault/types.js';
import { connect, grant, MINUTE, T0 } from './store-fixtures.js';

/** The refresh-lease part of the Store contract; `get` returns the current test's store. */
export function describeLeaseContract(get: () => Store): void {
  describe('refresh lease', () => {
    it('takes a free lease', async () => {
      const row = await connect(get(), 'u1', 'slack');
      const leased = await get().acquireLease(row.id, 'w1', T0, 30_000);
      expect(leased).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 30_000, version: 1 });
    });

    it('refuses a lease another owner holds until it expires', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      expect(await get().acquireLease(row.id, 'w2', T0 + 29_999, 30_000)).toBeNull();
      expect(await get().getConnectionById(row.id)).toMatchObject({ leaseOwner: 'w1' });
      const taken = await get().acquireLease(row.id, 'w2', T0 + 30_000, 30_000);
      expect(taken).toMatchObject({ leaseOwner: 'w2', leaseExpiresAt: T0 + 60_000 });
    });

    it('extends a lease for the owner that holds it', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      const again = await get().acquireLease(row.id, 'w1', T0 + 10_000, 30_000);
      expect(again).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 40_000 });
    });

    it('returns null for a lease on a connection that does not exist', async () => {
      expect(await get().acquireLease('conn_missing', 'w1', T0, 30_000)).toBeNull();
    });

    it('releases a lease only for its owner', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      await get().releaseLease(row.id, 'w2');
      expect(await get().getConnectionById(row.id)).toMatchObject({ leaseOwner: 'w1' });
      await get().releaseLease(row.id, 'w1');
      expect(await get().getConnectionById(row.id)).toMatchObject({
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(await get().acquireLease(row.id, 'w2', T0 + 1, 30_000)).toMatchObject({ leaseOwner: 'w2' });
    });

    it('commits refreshed tokens: new secret, version bumped, lease and failures cleared', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().updateConnection(
        row.id,
        { failureStreak: 3, lastError: { kind: 'transient', at: T0 } },
        T0,
      );
      const leased = await get().acquireLease(row.id, 'w1', T0 + 1, 30_000);
      const next = grant('rotated', { accessExpiresAt: T0 + 120 * MINUTE, scopes: ['read', 'write'] });
      const committed = await get().commitRefresh(row.id, 'w1', leased!.version, next, T0 + 2);
      expect(committed).toMatchObject({
        state: 'healthy',
        version: 2,
        leaseOwner: null,
        leaseExpiresAt: null,
        failureStreak: 0,
        lastError: null,
        lastRefreshAt: T0 + 2,
        accessExpiresAt: T0 + 120 * MINUTE,
        scopes: ['read', 'write'],
      });
      expect(new TextDecoder().decode(committed!.secret.blob)).toBe('rotated');
    });

    it('keeps the recorded account when a refresh brings none', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      const committed = await get().commitRefresh(row.id, 'w1', 1, grant('r', { account: null }), T0 + 1);
      expect(committed?.account).toEqual({ id: 'U1', name: 'Ada' });
    });

    it('fences out a commit after another worker committed', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 1_000);
      // w1 stalls past its lease; w2 takes over and commits first.
      await get().acquireLease(row.id, 'w2', T0 + 1_000, 30_000);
      expect(await get().commitRefresh(row.id, 'w2', 1, grant('from-w2'), T0 + 1_001)).not.toBeNull();
      expect(await get().commitRefresh(row.id, 'w1', 1, grant('from-w1'), T0 + 1_002)).toBeNull();
      const after = await get().getConnectionById(row.id);
      expect(new TextDecoder().decode(after!.secret.blob)).toBe('from-w2');
      expect(after?.version).toBe(2);
    });

    it('fences out a commit whose lease another worker took over', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 1_000);
      await get().acquireLease(row.id, 'w2', T0 + 1_000, 30_000);
      expect(await get().commitRefresh(row.id, 'w1', 1, grant('from-w1'), T0 + 1_001)).toBeNull();
      expect(await get().getConnectionById(row.id)).toMatchObject({ version: 1, leaseOwner: 'w2' });
    });

    it('fences out a commit without a lease or at a stale version', async () => {
      const row = await connect(get(), 'u1', 'slack');
      expect(await get().commitRefresh(row.id, 'w1', 1, grant('x'), T0)).toBeNull();
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      expect(await get().commitRefresh(row.id, 'w1', 0, grant('x'), T0)).toBeNull();
      expect(await get().getConnectionById(row.id)).toMatchObject({ version: 1, leaseOwner: 'w1' });
    });

    it('accepts a commit whose lease lapsed when nobody took it over', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 1_000);
      expect(await get().commitRefresh(row.id, 'w1', 1, grant('late'), T0 + 5_000)).toMatchObject({
        version: 2,
      });
    });

    it('fences out an in-flight refresh when an operator changes the state', async () => {
      const row = await connect(get(), 'u1', 'slack');
      await get().acquireLease(row.id, 'w1', T0, 30_000);
      await get().updateConnection(row.id, { state: 'disabled' }, T0 + 1);
      expect(await get().commitRefresh(row.id, 'w1', 1, grant('x'), T0 + 2)).toBeNull();
      expect(await get().getConnectionById(row.id)).toMatchObject({ state: 'disabled' });
    });
  });
}
