import { describe, expect, it } from 'vitest';
import type { NewApiKey, Store } from '../../src/vault/types.js';
import { MINUTE, T0 } from './store-fixtures.js';

const key = (id: string, userId: string, createdAt = T0): NewApiKey => ({
  id,
  userId,
  name: `${userId}'s agent`,
  hash: `${id}-hash`.padEnd(64, '0'),
  createdAt,
});

/** The API-key part of the Store contract; `get` returns the current test's store. */
export function describeApiKeyContract(get: () => Store): void {
  describe('api keys', () => {
    it('stores a key by its public id and returns it as written, never used and not revoked', async () => {
      expect(await get().hasApiKeys()).toBe(false);
      const row = await get().createApiKey(key('k1', 'alice'));
      expect(row).toEqual({ ...key('k1', 'alice'), lastUsedAt: null, revokedAt: null });
      expect(await get().getApiKey('k1')).toEqual(row);
      expect(await get().getApiKey('k_missing')).toBeNull();
      expect(await get().hasApiKeys()).toBe(true);
    });

    it('keeps a nameless key nameless', async () => {
      expect(await get().createApiKey({ ...key('k1', 'alice'), name: null })).toMatchObject({ name: null });
    });

    it('refuses a second key with the same id', async () => {
      await get().createApiKey(key('k1', 'alice'));
      await expect(get().createApiKey(key('k1', 'bob'))).rejects.toThrow();
      expect(await get().getApiKey('k1')).toMatchObject({ userId: 'alice' });
    });

    it('lists every key oldest first, or one user’s', async () => {
      await get().createApiKey(key('k2', 'bob', T0 + 2));
      await get().createApiKey(key('k1', 'alice', T0 + 1));
      await get().createApiKey(key('k3', 'alice', T0 + 3));
      expect((await get().listApiKeys()).map((k) => k.id)).toEqual(['k1', 'k2', 'k3']);
      expect((await get().listApiKeys({ userId: 'alice' })).map((k) => k.id)).toEqual(['k1', 'k3']);
      expect(await get().listApiKeys({ userId: 'carol' })).toEqual([]);
    });

    it('revokes once: a second revocation keeps the first time; unknown ids give null', async () => {
      await get().createApiKey(key('k1', 'alice'));
      expect(await get().revokeApiKey('k1', T0 + MINUTE)).toMatchObject({ id: 'k1', revokedAt: T0 + MINUTE });
      expect(await get().revokeApiKey('k1', T0 + 2 * MINUTE)).toMatchObject({ revokedAt: T0 + MINUTE });
      expect(await get().getApiKey('k1')).toMatchObject({ revokedAt: T0 + MINUTE });
      expect(await get().revokeApiKey('k_missing', T0)).toBeNull();
      // A revoked key still counts: the server stays closed to callers without a credential.
      expect(await get().hasApiKeys()).toBe(true);
    });

    it('records when a key was last used', async () => {
      await get().createApiKey(key('k1', 'alice'));
      await get().touchApiKey('k1', T0 + 5 * MINUTE);
      expect(await get().getApiKey('k1')).toMatchObject({ lastUsedAt: T0 + 5 * MINUTE });
      await get().touchApiKey('k_missing', T0);
    });
  });
}
