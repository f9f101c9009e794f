import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/vault/types.js';
import { describeApiKeyContract } from './store-contract-api-keys.js';
import { describeConsentContract } from './store-contract-consents.js';
import { describeIdempotencyContract } from './store-contract-idempotency.js';
import { describeLeaseContract } from './store-contract-lease.js';
import { describeLifecycleContract } from './store-contract-lifecycle.js';
import { describeOperationsContract } from './store-contract-operations.js';
import { describeWebContract } from './store-contract-web.js';
import { connect, grant, MINUTE, T0 } from './store-fixtures.js';

/**
 * The Store contract every backend must pass (SQLite now, PostgreSQL later). The store never opens secrets,
 * so sealed blobs here are plain marker bytes.
 */

/** Runs the whole Store contract against stores made by `makeStore` (one fresh store per test). */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });
    const get = () => store;

    describe('connections', () => {
      it('creates a healthy connection at version 1 from a finished consent', async () => {
        const row = await connect(store, 'u1', 'slack');
        expect(row).toMatchObject({
          id: 'conn_u1_slack',
          userId: 'u1',
          provider: 'slack',
          state: 'healthy',
          scopes: ['read'],
          account: { id: 'U1', name: 'Ada' },
          accessExpiresAt: T0 + 60 * MINUTE,
          refreshDueAt: T0 + 45 * MINUTE,
          version: 1,
          failureStreak: 0,
          lastError: null,
          leaseOwner: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await store.getConnection('u1', 'slack')).toEqual(row);
        expect(await store.getConnectionById(row.id)).toEqual(row);
      });

      it('returns the sealed secret as a Uint8Array with the same bytes and key id', async () => {
        await connect(store, 'u1', 'slack', { grant: grant('sealed-bytes') });
        const row = await store.getConnectionById('conn_u1_slack');
        expect(row?.secret.blob).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(row?.secret.blob)).toBe(false);
        expect(new TextDecoder().decode(row?.secret.blob)).toBe('sealed-bytes');
        expect(row?.secret.keyId).toBe('k_test');
      });

      it('returns null for connections that do not exist', async () => {
        expect(await store.getConnection('nobody', 'slack')).toBeNull();
        expect(await store.getConnectionById('conn_missing')).toBeNull();
      });

      it('lists connections filtered by user and by provider', async () => {
        await connect(store, 'u1', 'slack');
        await connect(store, 'u1', 'github');
        await connect(store, 'u2', 'slack');
        expect((await store.listConnections()).map((r) => r.id)).toHaveLength(3);
        expect((await store.listConnections({ userId: 'u1' })).map((r) => r.provider).sort()).toEqual([
          'github',
          'slack',
        ]);
        expect((await store.listConnections({ provider: 'slack' })).map((r) => r.userId).sort()).toEqual([
          'u1',
          'u2',
        ]);
        expect(await store.listConnections({ userId: 'u2', provider: 'github' })).toEqual([]);
      });

      it('lists only healthy connections that are due, oldest due first, up to the limit', async () => {
        await connect(store, 'a', 'p', { grant: grant('a', { refreshDueAt: T0 + 3 }) });
        await connect(store, 'b', 'p', { grant: grant('b', { refreshDueAt: T0 + 1 }) });
        await connect(store, 'c', 'p', { grant: grant('c', { refreshDueAt: T0 + 2 }) });
        await connect(store, 'later', 'p', { grant: grant('l', { refreshDueAt: T0 + 100 }) });
        await connect(store, 'never', 'p', { grant: grant('n', { refreshDueAt: null }) });
        const broken = await connect(store, 'broken', 'p', { grant: grant('x', { refreshDueAt: T0 }) });
        await store.updateConnection(broken.id, { state: 'reauthorization_required' }, T0);

        expect((await store.listDue(T0 + 3, 10)).map((r) => r.userId)).toEqual(['b', 'c', 'a']);
        expect((await store.listDue(T0 + 3, 2)).map((r) => r.userId)).toEqual(['b', 'c']);
        expect(await store.listDue(T0, 10)).toEqual([]);
      });

      it('applies a patch, leaving unspecified fields alone', async () => {
        const row = await connect(store, 'u1', 'slack');
        const updated = await store.updateConnection(
          row.id,
          {
            lastError: { kind: 'transient', at: T0 + 5, code: 'timeout' },
            failureStreak: 2,
            lastUsedAt: T0 + 5,
          },
          T0 + 10,
        );
        expect(updated).toMatchObject({
          state: 'healthy',
          lastError: { kind: 'transient', at: T0 + 5, code: 'timeout' },
          failureStreak: 2,
          lastUsedAt: T0 + 5,
          scopes: ['read'],
          refreshDueAt: T0 + 45 * MINUTE,
          updatedAt: T0 + 10,
          version: 1,
        });
        const cleared = await store.updateConnection(
          row.id,
          { lastError: null, refreshDueAt: null },
          T0 + 11,
        );
        expect(cleared).toMatchObject({ lastError: null, refreshDueAt: null, failureStreak: 2 });
      });

      it('bumps the version only when the state changes', async () => {
        const row = await connect(store, 'u1', 'slack');
        const same = await store.updateConnection(row.id, { state: 'healthy', scopes: ['a', 'b'] }, T0 + 1);
        expect(same).toMatchObject({ version: 1, scopes: ['a', 'b'] });
        const moved = await store.updateConnection(row.id, { state: 'scope_update_required' }, T0 + 2);
        expect(moved).toMatchObject({ version: 2, state: 'scope_update_required' });
      });

      it('refuses a patch when the expected version has moved, writing nothing', async () => {
        const row = await connect(store, 'u1', 'slack');
        await store.updateConnection(row.id, { state: 'disabled' }, T0 + 1);
        expect(
          await store.updateConnection(row.id, { state: 'healthy', failureStreak: 9 }, T0 + 2, 1),
        ).toBeNull();
        expect(await store.getConnectionById(row.id)).toMatchObject({
          state: 'disabled',
          failureStreak: 0,
          version: 2,
        });
        expect(await store.updateConnection(row.id, { state: 'healthy' }, T0 + 3, 2)).toMatchObject({
          version: 3,
        });
      });

      it('returns null when patching a connection that does not exist', async () => {
        expect(await store.updateConnection('conn_missing', { failureStreak: 1 }, T0)).toBeNull();
      });

      it('deletes a connection and reports whether there was one', async () => {
        const row = await connect(store, 'u1', 'slack');
        expect(await store.deleteConnection(row.id)).toBe(true);
        expect(await store.getConnectionById(row.id)).toBeNull();
        expect(await store.deleteConnection(row.id)).toBe(false);
      });
    });

    describeLeaseContract(get);

    describeConsentContract(get);
    describeIdempotencyContract(get);
    describeApiKeyContract(get);
    describeOperationsContract(get);
    describeLifecycleContract(get);
    describeWebContract(get);

    describe('events', () => {
      const event = (type: string, connectionId: string | null, userId: string | null) => ({
        at: T0,
        type,
        connectionId,
        userId,
        provider: 'slack',
        fromState: null,
        toState: 'healthy' as const,
        reason: null,
        detail: { attempt: 1, nested: { ok: true } },
      });

      it('appends events with increasing ids and returns them as written', async () => {
        const a = await store.appendEvent(event('connected', 'c1', 'u1'));
        const b = await store.appendEvent(event('refreshed', 'c1', 'u1'));
        expect(b.id).toBeGreaterThan(a.id);
        expect(a).toMatchObject(event('connected', 'c1', 'u1'));
        expect(await store.listEvents()).toEqual([a, b]);
      });

      it('filters events by connection, user and afterId, oldest first, up to the limit', async () => {
        const e1 = await store.appendEvent(event('a', 'c1', 'u1'));
        const e2 = await store.appendEvent(event('b', 'c2', 'u2'));
        const e3 = await store.appendEvent(event('c', 'c1', 'u1'));
        const e4 = await store.appendEvent(event('d', null, 'u1'));
        expect((await store.listEvents({ connectionId: 'c1' })).map((e) => e.id)).toEqual([e1.id, e3.id]);
        expect((await store.listEvents({ userId: 'u1' })).map((e) => e.id)).toEqual([e1.id, e3.id, e4.id]);
        expect((await store.listEvents({ afterId: e2.id })).map((e) => e.id)).toEqual([e3.id, e4.id]);
        expect((await store.listEvents({ afterId: e1.id, connectionId: 'c1' })).map((e) => e.id)).toEqual([
          e3.id,
        ]);
        expect((await store.listEvents({ limit: 2 })).map((e) => e.id)).toEqual([e1.id, e2.id]);
        expect(await store.listEvents({ afterId: e4.id })).toEqual([]);
      });
    });
  });
}
