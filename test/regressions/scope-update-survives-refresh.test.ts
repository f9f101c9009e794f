import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * What broke: the store's refresh commit set the state to `healthy` unconditionally, so a connection waiting
 * for a scope update silently flipped back to healthy on its next refresh (no event, the scope still
 * missing); and the scheduler listed only healthy rows, so such a connection was never refreshed ahead of
 * time and its granted scopes died with the access token.
 */

describe('a connection in scope_update_required', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('is refreshed on schedule and keeps its state through the refresh', async () => {
    const row = await rig.connect('sam');
    rig.wire.failApiNext({
      status: 403,
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="api:write"' },
    });
    expect(await rig.act('sam')).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const gap = await rig.row('sam');
    expect(gap.state).toBe('scope_update_required');

    rig.toLife(row, 0.8);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, refreshed: 1 });
    const after = await rig.row('sam');
    expect(after).toMatchObject({ state: 'scope_update_required', failureStreak: 0 });
    expect(after.accessExpiresAt).toBeGreaterThan(row.accessExpiresAt!);
    // The only state change is the one into the scope gap: nothing moved it back without a consent.
    expect((await rig.stateChanges('sam')).map((e) => e.toState)).toEqual(['scope_update_required']);
    expect(rig.wire.badCalls()).toEqual([]);
  });
});
