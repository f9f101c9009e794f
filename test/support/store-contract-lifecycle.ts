import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/vault/types.js';
import { connect, grant, MINUTE, newConsent, secret, T0 } from './store-fixtures.js';

/**
 * The Store contract of issue 8 (migration 5): check plans and refresh-token ends on connections, the
 * refresh commit that keeps a scope gap, the lost-refresh marker, account-switch holds on consents, and open
 * alert episodes. `get` returns the current test's store.
 */
export function describeLifecycleContract(get: () => Store): void {
  describe('check plans', () => {
    it('stores the next check and the refresh-token end with the grant', async () => {
      const row = await connect(get(), 'u1', 'p', {
        grant: grant('t', { refreshDueAt: null, nextCheckAt: T0 + 5, refreshExpiresAt: T0 + 9 }),
      });
      expect(row).toMatchObject({ refreshDueAt: null, nextCheckAt: T0 + 5, refreshExpiresAt: T0 + 9 });
      expect(row.refreshLostAt).toBeNull();
    });

    it('lists usable rows due for a refresh or a check, each once, earliest first', async () => {
      const s = get();
      await connect(s, 'refresh', 'p', { grant: grant('a', { refreshDueAt: T0 + 3 }) });
      await connect(s, 'check', 'p', { grant: grant('b', { refreshDueAt: null, nextCheckAt: T0 + 1 }) });
      await connect(s, 'both', 'p', { grant: grant('c', { refreshDueAt: T0 + 2, nextCheckAt: T0 + 2 }) });
      const gap = await connect(s, 'gap', 'p', { grant: grant('d', { refreshDueAt: T0 + 4 }) });
      await s.updateConnection(gap.id, { state: 'scope_update_required' }, T0);
      const gone = await connect(s, 'gone', 'p', {
        grant: grant('e', { refreshDueAt: null, nextCheckAt: T0 }),
      });
      await s.updateConnection(gone.id, { state: 'reauthorization_required' }, T0);
      await connect(s, 'later', 'p', { grant: grant('f', { refreshDueAt: null, nextCheckAt: T0 + 99 }) });
      expect((await s.listDue(T0 + 4, 10)).map((r) => r.userId)).toEqual(['check', 'both', 'refresh', 'gap']);
      expect((await s.listDue(T0 + 4, 2)).map((r) => r.userId)).toEqual(['check', 'both']);
    });

    it('patches the next check and the lost-refresh marker, leaving them alone otherwise', async () => {
      const row = await connect(get(), 'u1', 'p');
      const patched = await get().updateConnection(
        row.id,
        { nextCheckAt: T0 + 7, refreshLostAt: T0 + 1 },
        T0,
      );
      expect(patched).toMatchObject({ nextCheckAt: T0 + 7, refreshLostAt: T0 + 1 });
      const other = await get().updateConnection(row.id, { failureStreak: 2 }, T0 + 1);
      expect(other).toMatchObject({ nextCheckAt: T0 + 7, refreshLostAt: T0 + 1, failureStreak: 2 });
    });

    it('commits a refresh keeping the state and the known end, clearing the lost-refresh marker', async () => {
      const s = get();
      const row = await connect(s, 'u1', 'p', { grant: grant('t', { refreshExpiresAt: T0 + 50 * MINUTE }) });
      await s.updateConnection(row.id, { state: 'scope_update_required', refreshLostAt: T0 }, T0);
      const leased = await s.acquireLease(row.id, 'w1', T0 + 1, 30_000);
      const committed = await s.commitRefresh(
        row.id,
        'w1',
        leased!.version,
        grant('r', { refreshExpiresAt: null, nextCheckAt: null }),
        T0 + 2,
      );
      expect(committed).toMatchObject({
        state: 'scope_update_required',
        refreshExpiresAt: T0 + 50 * MINUTE,
        refreshLostAt: null,
      });
      const again = await s.acquireLease(row.id, 'w1', T0 + 3, 30_000);
      const renewed = await s.commitRefresh(
        row.id,
        'w1',
        again!.version,
        grant('r2', { refreshExpiresAt: T0 + 90 * MINUTE }),
        T0 + 4,
      );
      expect(renewed?.refreshExpiresAt).toBe(T0 + 90 * MINUTE);
    });
  });

  describe('account switches', () => {
    const exchanging = async () => {
      const s = get();
      const c = await s.createConsent(newConsent('u1', 'p'));
      await s.markRedirected(
        c.linkId,
        { oauthState: `st-${c.authId}`, verifier: secret('v'), callbackExpiresAt: T0 + 10 * MINUTE },
        T0,
      );
      await s.claimCallback(c.authId, T0);
      return c;
    };

    it('holds an exchanging consent for confirmation and gives it back once for its token', async () => {
      const s = get();
      const c = await exchanging();
      const held = await s.holdForSwitch(
        c.authId,
        { account: { id: 'B', name: 'Bea' }, tokenHash: 'h1', until: T0 + 5 * MINUTE },
        T0,
      );
      expect(held).toMatchObject({ status: 'exchanging', switchAccount: { id: 'B', name: 'Bea' } });
      expect(await s.takeSwitch('nope', T0)).toBeNull();
      expect(await s.takeSwitch('h1', T0 + 1)).toMatchObject({
        authId: c.authId,
        switchAccount: { id: 'B' },
      });
      expect(await s.takeSwitch('h1', T0 + 2)).toBeNull();
    });

    it('refuses a token after the deadline, and holds only exchanging consents', async () => {
      const s = get();
      const c = await exchanging();
      await s.holdForSwitch(c.authId, { account: { id: 'B' }, tokenHash: 'h2', until: T0 + MINUTE }, T0);
      expect(await s.takeSwitch('h2', T0 + MINUTE)).toBeNull();
      const fresh = await s.createConsent(newConsent('u2', 'p'));
      expect(
        await s.holdForSwitch(
          fresh.authId,
          { account: { id: 'B' }, tokenHash: 'h3', until: T0 + MINUTE },
          T0,
        ),
      ).toBeNull();
    });

    it('re-arms a held consent with a new state and the confirmed account', async () => {
      const s = get();
      const c = await exchanging();
      await s.holdForSwitch(c.authId, { account: { id: 'B' }, tokenHash: 'h4', until: T0 + MINUTE }, T0);
      const armed = await s.rearmConsent(
        c.authId,
        {
          oauthState: 'st-again',
          verifier: secret('v2'),
          callbackExpiresAt: T0 + 20 * MINUTE,
          expectedAccount: 'B',
        },
        T0 + 1,
      );
      expect(armed).toMatchObject({ status: 'redirected', oauthState: 'st-again', expectedAccount: 'B' });
      expect(await s.getConsentByState('st-again')).toMatchObject({ authId: c.authId });
      expect(await s.takeSwitch('h4', T0 + 2)).toBeNull();
      expect(await s.claimCallback(c.authId, T0 + 3)).toMatchObject({ status: 'exchanging' });
      expect(
        await s.rearmConsent(
          (await s.createConsent(newConsent('u3', 'p'))).authId,
          { oauthState: 'x', verifier: secret('v'), callbackExpiresAt: T0, expectedAccount: 'B' },
          T0,
        ),
      ).toBeNull();
    });
  });

  describe('alert episodes', () => {
    const episode = (key: string, provider = 'p', connectionId: string | null = null) => ({
      key,
      scope: connectionId ? ('connection' as const) : ('provider' as const),
      provider,
      connectionId,
      userId: connectionId ? 'u1' : null,
      reason: 'provider_outage',
      openedAt: T0,
      lastFailureAt: T0,
    });

    it('opens an episode once, counts what it sees, and closes it once', async () => {
      const s = get();
      expect(await s.openEpisode(episode('provider:p:outage'))).toMatchObject({
        failures: 1,
        lastSuccessAt: null,
      });
      expect(await s.openEpisode(episode('provider:p:outage'))).toBeNull();
      expect(await s.noteEpisode('provider:p:outage', { failureAt: T0 + 5 })).toMatchObject({
        failures: 2,
        lastFailureAt: T0 + 5,
      });
      expect(await s.noteEpisode('provider:p:outage', { successAt: T0 + 6 })).toMatchObject({
        failures: 2,
        lastFailureAt: T0 + 5,
        lastSuccessAt: T0 + 6,
      });
      expect(await s.noteEpisode('provider:p:missing', { failureAt: T0 })).toBeNull();
      expect(await s.closeEpisode('provider:p:outage')).toMatchObject({
        key: 'provider:p:outage',
        failures: 2,
      });
      expect(await s.closeEpisode('provider:p:outage')).toBeNull();
      expect(await s.openEpisode(episode('provider:p:outage'))).not.toBeNull();
    });

    it('lists open episodes by provider and by connection', async () => {
      const s = get();
      await s.openEpisode(episode('provider:p:outage'));
      await s.openEpisode(episode('connection:c1:refresh_failing', 'p', 'c1'));
      await s.openEpisode(episode('provider:q:outage', 'q'));
      expect((await s.listEpisodes()).map((e) => e.key).sort()).toEqual([
        'connection:c1:refresh_failing',
        'provider:p:outage',
        'provider:q:outage',
      ]);
      expect((await s.listEpisodes({ provider: 'p' })).map((e) => e.key).sort()).toEqual([
        'connection:c1:refresh_failing',
        'provider:p:outage',
      ]);
      expect(await s.listEpisodes({ connectionId: 'c1' })).toMatchObject([
        { scope: 'connection', userId: 'u1' },
      ]);
    });
  });
}
