import { describe, expect, it } from 'vitest';
import { ConnectionIdMismatchError, ConsentStateError, type Store } from '../../src/vault/types.js';
import { connect, grant, MINUTE, newConsent, secret, T0 } from './store-fixtures.js';

const redirect = (state: string) => ({
  oauthState: state,
  verifier: secret(`verifier-${state}`),
  callbackExpiresAt: T0 + 10 * MINUTE,
});

/** The consent part of the Store contract; `get` returns the current test's store. */
export function describeConsentContract(get: () => Store): void {
  describe('consents', () => {
    it('creates a consent in status created with nothing of the flow set yet', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack', { scopes: ['a', 'b'] }));
      expect(c).toMatchObject({
        userId: 'u1',
        provider: 'slack',
        scopes: ['a', 'b'],
        reason: 'not_connected',
        status: 'created',
        oauthState: null,
        verifier: null,
        callbackExpiresAt: null,
        finishedAt: null,
        error: null,
        connectionId: null,
      });
      expect(await get().getConsent(c.authId)).toEqual(c);
      expect(await get().getConsentByLink(c.linkId)).toEqual(c);
      expect(await get().getConsent('auth_missing')).toBeNull();
    });

    it('refuses a second consent with the same link id', async () => {
      const first = newConsent('u1', 'slack');
      await get().createConsent(first);
      await expect(
        get().createConsent({ ...newConsent('u2', 'slack'), linkId: first.linkId }),
      ).rejects.toThrow();
    });

    it('marks a consent redirected once, storing its state and sealed verifier', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      const r = await get().markRedirected(c.linkId, redirect('st1'), T0 + 1);
      expect(r).toMatchObject({
        status: 'redirected',
        oauthState: 'st1',
        callbackExpiresAt: T0 + 10 * MINUTE,
      });
      expect(new TextDecoder().decode(r!.verifier!.blob)).toBe('verifier-st1');
      expect(r!.verifier!.blob).toBeInstanceOf(Uint8Array);
      expect(await get().getConsentByState('st1')).toEqual(r);
      expect(await get().markRedirected(c.linkId, redirect('st2'), T0 + 2)).toBeNull();
      expect(await get().getConsentByState('st2')).toBeNull();
    });

    it('refuses to redirect an expired link and leaves it untouched', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      expect(await get().markRedirected(c.linkId, redirect('late'), c.expiresAt)).toBeNull();
      expect(await get().getConsent(c.authId)).toMatchObject({ status: 'created', oauthState: null });
      expect(await get().markRedirected('link_missing', redirect('x'), T0)).toBeNull();
    });

    it('claims the callback once; a replay gets null', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      await get().markRedirected(c.linkId, redirect('st'), T0);
      expect(await get().claimCallback(c.authId, T0 + 1)).toMatchObject({ status: 'exchanging' });
      expect(await get().claimCallback(c.authId, T0 + 2)).toBeNull();
    });

    it('refuses to claim a callback before the redirect or after its deadline', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      expect(await get().claimCallback(c.authId, T0)).toBeNull();
      await get().markRedirected(c.linkId, redirect('st'), T0);
      expect(await get().claimCallback(c.authId, T0 + 10 * MINUTE)).toBeNull();
      expect(await get().getConsent(c.authId)).toMatchObject({ status: 'redirected' });
    });

    it('fails a consent from any unfinished status, dropping its verifier', async () => {
      const created = await get().createConsent(newConsent('u1', 'a'));
      const redirected = await get().createConsent(newConsent('u1', 'b'));
      await get().markRedirected(redirected.linkId, redirect('s-b'), T0);
      const exchanging = await get().createConsent(newConsent('u1', 'c'));
      await get().markRedirected(exchanging.linkId, redirect('s-c'), T0);
      await get().claimCallback(exchanging.authId, T0);
      for (const c of [created, redirected, exchanging]) {
        await get().failConsent(c.authId, 'access_denied', T0 + 5);
        expect(await get().getConsent(c.authId)).toMatchObject({
          status: 'failed',
          error: 'access_denied',
          finishedAt: T0 + 5,
          verifier: null,
        });
      }
    });

    it('does not fail a completed consent', async () => {
      const c = await get().createConsent(newConsent('u1', 'other'));
      await get().markRedirected(c.linkId, redirect('s-o'), T0);
      await get().claimCallback(c.authId, T0);
      await get().completeConsent(c.authId, 'conn_other', grant('t'), T0);
      await get().failConsent(c.authId, 'late_failure', T0 + 1);
      expect(await get().getConsent(c.authId)).toMatchObject({ status: 'completed', error: null });
    });

    it('completes a consent: status completed, connection linked, verifier dropped', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      await get().markRedirected(c.linkId, redirect('st'), T0);
      await get().claimCallback(c.authId, T0 + 1);
      const row = await get().completeConsent(c.authId, 'conn_new', grant('tok'), T0 + 2);
      expect(row).toMatchObject({ id: 'conn_new', state: 'healthy', version: 1, createdAt: T0 + 2 });
      expect(await get().getConsent(c.authId)).toMatchObject({
        status: 'completed',
        finishedAt: T0 + 2,
        connectionId: 'conn_new',
        verifier: null,
      });
    });

    it('refuses to complete a consent that is not exchanging, writing nothing', async () => {
      const c = await get().createConsent(newConsent('u1', 'slack'));
      await get().markRedirected(c.linkId, redirect('st'), T0);
      await expect(get().completeConsent(c.authId, 'conn_x', grant('t'), T0)).rejects.toBeInstanceOf(
        ConsentStateError,
      );
      await expect(get().completeConsent('auth_missing', 'conn_x', grant('t'), T0)).rejects.toMatchObject({
        status: null,
      });
      expect(await get().getConnectionById('conn_x')).toBeNull();
      expect(await get().getConsent(c.authId)).toMatchObject({ status: 'redirected' });
    });

    it('reconnects in place: same id, new secret, version bumped, lease and errors cleared', async () => {
      const first = await connect(get(), 'u1', 'slack', { id: 'conn_1' });
      await get().updateConnection(
        first.id,
        { state: 'reauthorization_required', failureStreak: 4, lastError: { kind: 'revoked', at: T0 } },
        T0 + 1,
      );
      await get().acquireLease(first.id, 'w1', T0 + 2, 60 * MINUTE);
      const again = await connect(get(), 'u1', 'slack', {
        id: 'conn_1',
        grant: grant('fresh', { scopes: ['read', 'write'] }),
        now: T0 + 3,
      });
      expect(again).toMatchObject({
        id: 'conn_1',
        state: 'healthy',
        version: 3,
        scopes: ['read', 'write'],
        failureStreak: 0,
        lastError: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: T0,
        updatedAt: T0 + 3,
      });
      expect(new TextDecoder().decode(again.secret.blob)).toBe('fresh');
      expect(await get().listConnections({ userId: 'u1' })).toHaveLength(1);
      // The old refresher's commit must not overwrite the reconnected grant.
      expect(await get().commitRefresh('conn_1', 'w1', 2, grant('stale'), T0 + 4)).toBeNull();
    });

    it('refuses a connection id that differs from the existing row, writing nothing', async () => {
      const first = await connect(get(), 'u1', 'slack', { id: 'conn_1' });
      const c = await get().createConsent(newConsent('u1', 'slack'));
      await get().markRedirected(c.linkId, redirect('st'), T0);
      await get().claimCallback(c.authId, T0);
      const attempt = get().completeConsent(c.authId, 'conn_2', grant('sealed-for-conn_2'), T0 + 1);
      await expect(attempt).rejects.toBeInstanceOf(ConnectionIdMismatchError);
      await expect(attempt).rejects.toMatchObject({ existingId: 'conn_1' });
      expect(await get().getConnectionById('conn_1')).toEqual(first);
      expect(await get().getConnectionById('conn_2')).toBeNull();
      expect(await get().getConsent(c.authId)).toMatchObject({ status: 'exchanging', connectionId: null });
      // Re-sealed for the existing id, the retry goes through.
      expect(await get().completeConsent(c.authId, 'conn_1', grant('resealed'), T0 + 2)).toMatchObject({
        id: 'conn_1',
        version: 2,
      });
    });
  });
}
