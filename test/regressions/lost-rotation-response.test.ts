import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * Issue 8, item 4: a refresh whose response never arrived. The provider rotated (the refresh token sent is
 * spent) but the new tokens were lost on the way back. Where the provider declares a reuse grace window,
 * toolvault asks again with the same refresh token inside it and gets the new tokens; elsewhere the loss is
 * marked, the next attempt finds out, and a grant that is gone surfaces as reauthorization_required with
 * reason `rotation_response_lost` — so an operator knows it was not the user who revoked anything.
 */

const SEC = 1_000;

describe('a lost rotation response at a provider with a reuse grace window', () => {
  const GRACE_SEC = 600;
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ demo: { rotatesRefreshToken: true, reuseGraceSec: GRACE_SEC } });
  });
  afterAll(() => rig?.close());

  it('is recovered by asking again with the same refresh token inside the window', async () => {
    const before = await rig.connect('grace');
    rig.clock.set(before.accessExpiresAt! + SEC);
    rig.wire.loseRefreshResponses(1, { graceMs: GRACE_SEC * SEC });
    expect(await rig.act('grace')).toEqual({ ok: true, value: 'grace' });

    const [first, second] = rig.wire.tokenRequests('refresh_token');
    expect(first?.refreshToken).toBe(second?.refreshToken);
    expect(second).toMatchObject({ injected: true, status: 200 });
    // The server rotated once; the tokens it issued are the ones toolvault now holds.
    expect(rig.presentedRefreshTokens).toHaveLength(1);
    const after = await rig.row('grace');
    expect(after).toMatchObject({ state: 'healthy', refreshLostAt: null, failureStreak: 0 });
    expect((await rig.events('grace', 'refreshed')).at(-1)?.detail).toMatchObject({
      rotated: true,
      recoveredLostResponse: true,
    });
    // And they work: the next rotation is accepted by the server.
    rig.clock.set(after.accessExpiresAt! + SEC);
    expect(await rig.act('grace')).toEqual({ ok: true, value: 'grace' });
    expect(rig.grantRevocations).toEqual([]);
  });

  it('outside the window, a grant that is gone surfaces as rotation_response_lost', async () => {
    const before = await rig.connect('late');
    rig.clock.set(before.accessExpiresAt! + SEC);
    // The network drops the answer and both quick retries inside the window.
    rig.wire.loseRefreshResponses(3, { graceMs: GRACE_SEC * SEC });
    expect(await rig.act('late')).toMatchObject({ ok: false, failure: { kind: 'transient' } });
    const marked = await rig.row('late');
    expect(marked).toMatchObject({ state: 'healthy', failureStreak: 1 });
    expect(marked.refreshLostAt).not.toBeNull();
    expect((await rig.events('late', 'refresh_failed'))[0]?.detail).toMatchObject({ responseLost: true });

    rig.clock.advance((GRACE_SEC + 1) * SEC);
    const out = await rig.act('late');
    expect(out).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const [changed] = await rig.stateChanges('late');
    expect(changed).toMatchObject({ toState: 'reauthorization_required', reason: 'rotation_response_lost' });
    expect(changed?.detail).toMatchObject({
      refreshError: 'invalid_grant',
      probe: 'invalid',
      reuseGraceSec: 600,
    });
    expect(await rig.events('late', 'alert')).toMatchObject([
      { reason: 'reauthorization_required', detail: { because: 'rotation_response_lost' } },
    ]);
  });
});

describe('a lost rotation response at a provider without a grace window (oidc-provider)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ demo: { rotatesRefreshToken: true } });
  });
  afterAll(() => rig?.close());

  it('is marked, then proven: the spent token is refused, the probe fails, rotation_response_lost', async () => {
    const before = await rig.connect('lost');
    rig.clock.set(before.accessExpiresAt! + SEC);
    rig.as.failNext('lose_response');
    expect(await rig.act('lost')).toMatchObject({ ok: false, failure: { kind: 'transient' } });
    // One request only: without a grace window a retry would only get the spent token refused.
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(1);
    const marked = await rig.row('lost');
    expect(marked).toMatchObject({ state: 'healthy' });
    expect(marked.refreshLostAt).toBe(before.accessExpiresAt! + SEC);

    rig.clock.set(marked.refreshDueAt!);
    expect(await rig.act('lost')).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const [changed] = await rig.stateChanges('lost');
    expect(changed).toMatchObject({ toState: 'reauthorization_required', reason: 'rotation_response_lost' });
    expect(changed?.detail).toMatchObject({
      refreshError: 'invalid_grant',
      probe: 'invalid',
      responseLostAt: new Date(marked.refreshLostAt!).toISOString(),
      reuseGraceSec: 0,
    });
  });

  it('is no loss when the provider never processed the request: the retry works, nothing is downgraded', async () => {
    const before = await rig.connect('held');
    rig.clock.set(before.accessExpiresAt! + SEC);
    rig.hangNext(); // the server reads the request and never answers (nor acts)
    expect(await rig.act('held')).toMatchObject({ ok: false, failure: { kind: 'transient' } });
    expect((await rig.row('held')).refreshLostAt).not.toBeNull();

    rig.clock.set((await rig.row('held')).refreshDueAt!);
    expect(await rig.act('held')).toEqual({ ok: true, value: 'held' });
    expect(await rig.row('held')).toMatchObject({ state: 'healthy', refreshLostAt: null });
    expect(await rig.stateChanges('held')).toEqual([]);
  });
});
