import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/vault/types.js';
import { MINUTE, T0 } from './store-fixtures.js';

const hash = (c: string): string => c.repeat(64).slice(0, 64);

/** The web part of the Store contract (sessions, tickets, held grants); `get` returns the test's store. */
export function describeWebContract(get: () => Store): void {
  describe('web sessions, tickets and held grants', () => {
    it('finds a live session by its hash, and never after it ended or expired', async () => {
      const s = {
        idHash: hash('a'),
        userId: 'alice',
        method: 'link',
        createdAt: T0,
        expiresAt: T0 + 60 * MINUTE,
      };
      expect(await get().createWebSession(s)).toEqual({ ...s, endedAt: null });
      expect(await get().getWebSession(hash('a'), T0 + MINUTE)).toEqual({ ...s, endedAt: null });
      expect(await get().getWebSession(hash('a'), T0 + 60 * MINUTE)).toBeNull();
      expect(await get().getWebSession(hash('b'), T0)).toBeNull();
      expect(await get().endWebSession(hash('a'), T0 + 2 * MINUTE)).toBe(true);
      expect(await get().endWebSession(hash('a'), T0 + 3 * MINUTE)).toBe(false);
      expect(await get().getWebSession(hash('a'), T0 + 2 * MINUTE)).toBeNull();
      await expect(get().createWebSession(s)).rejects.toThrow();
    });

    it('takes a ticket once, only as its own kind, and only before it expires', async () => {
      const t = {
        hash: hash('t'),
        kind: 'signin_link',
        userId: 'alice',
        data: { returnTo: '/x' },
        createdAt: T0,
        expiresAt: T0 + 15 * MINUTE,
      };
      expect(await get().createTicket(t)).toEqual({ ...t, usedAt: null });
      expect(await get().peekTicket(hash('t'), 'signin_link', T0)).toEqual({ ...t, usedAt: null });
      expect(await get().takeTicket(hash('t'), 'flow', T0)).toBeNull();
      const taken = await Promise.all([
        get().takeTicket(hash('t'), 'signin_link', T0 + MINUTE),
        get().takeTicket(hash('t'), 'signin_link', T0 + MINUTE),
      ]);
      expect(taken.filter((x) => x !== null)).toEqual([{ ...t, usedAt: T0 + MINUTE }]);
      expect(await get().peekTicket(hash('t'), 'signin_link', T0 + MINUTE)).toBeNull();
      await get().createTicket({ ...t, hash: hash('u'), userId: null, data: {} });
      expect(await get().takeTicket(hash('u'), 'signin_link', T0 + 15 * MINUTE)).toBeNull();
    });

    it('holds one grant per consent, gives it out once, and never once expired', async () => {
      await get().createConsent({
        authId: 'auth_1',
        linkId: 'link_1',
        userId: 'alice',
        provider: 'slack',
        scopes: ['read'],
        reason: 'not_connected',
        createdAt: T0,
        expiresAt: T0 + 15 * MINUTE,
      });
      const held = {
        authId: 'auth_1',
        userId: 'alice',
        provider: 'slack',
        secret: { keyId: 'k_test', blob: new TextEncoder().encode('first') },
        createdAt: T0,
        expiresAt: T0 + 10 * MINUTE,
      };
      await get().holdGrant(held);
      await get().holdGrant({
        ...held,
        secret: { keyId: 'k_test', blob: new TextEncoder().encode('second') },
      });
      const out = await get().takeHeldGrant('auth_1', T0 + MINUTE);
      expect(out?.secret.blob).toBeInstanceOf(Uint8Array);
      expect(new TextDecoder().decode(out?.secret.blob)).toBe('second');
      expect(out).toMatchObject({
        authId: 'auth_1',
        userId: 'alice',
        provider: 'slack',
        expiresAt: T0 + 10 * MINUTE,
      });
      expect(await get().takeHeldGrant('auth_1', T0 + MINUTE)).toBeNull();
      await get().holdGrant(held);
      expect(await get().takeHeldGrant('auth_1', T0 + 10 * MINUTE)).toBeNull();
      expect(await get().takeHeldGrant('auth_1', T0)).toBeNull();
    });

    it('purges what expired, and nothing else', async () => {
      const base = { userId: 'alice', method: 'oidc', createdAt: T0 };
      await get().createWebSession({ ...base, idHash: hash('1'), expiresAt: T0 + MINUTE });
      await get().createWebSession({ ...base, idHash: hash('2'), expiresAt: T0 + 60 * MINUTE });
      await get().createTicket({
        hash: hash('3'),
        kind: 'flow',
        userId: null,
        data: {},
        createdAt: T0,
        expiresAt: T0 + MINUTE,
      });
      expect(await get().purgeWeb(T0 + 2 * MINUTE)).toBe(2);
      expect(await get().getWebSession(hash('2'), T0 + 2 * MINUTE)).not.toBeNull();
    });
  });
}
