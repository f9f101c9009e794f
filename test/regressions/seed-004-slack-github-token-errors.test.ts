import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionRig, startActionRig } from '../support/action-rig.js';

/**
 * Seed article 004 (see seed-004-invalid-request-keeps-healthy.test.ts) where token errors come in HTTP 200
 * bodies: Slack and GitHub. The declarations say which codes are grant errors and which are the app's; a
 * connection still moves only on a definitive grant error AND a failing live probe.
 */

const MINUTE = 60_000;

describe('seed 004 at Slack and GitHub (200-status token errors)', () => {
  let rig: ActionRig;
  beforeAll(async () => {
    rig = await startActionRig();
    await rig.connect('slack');
    await rig.connect('github');
  });
  afterAll(() => rig?.close());

  const store = () => rig.tv.app.vault.store;
  const row = async (provider: string) => (await store().getConnection('local', provider))!;
  const events = async (provider: string, type: string) =>
    (await store().listEvents({ connectionId: (await row(provider)).id })).filter((e) => e.type === type);
  const act = (provider: 'slack' | 'github') =>
    rig.tv.app.services.access.call('local', provider, [], async (api) => {
      const r = await api.request(
        provider === 'slack' ? 'POST' : 'GET',
        provider === 'slack' ? 'auth.test' : 'user',
      );
      return r.status;
    });
  const expire = async (provider: string) => {
    const r = await row(provider);
    rig.clock.set(Math.max(rig.clock.now(), r.accessExpiresAt! + 1_000));
  };

  it('Slack invalid_grant_type (HTTP 200) is a configuration error: healthy, alerted', async () => {
    await expire('slack');
    rig.slack.failNext('oauth.v2.access', { error: 'invalid_grant_type' });
    expect(await act('slack')).toMatchObject({ ok: false, failure: { kind: 'config_error' } });
    expect(await row('slack')).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'invalid_grant_type' },
    });
    expect(await events('slack', 'alert')).toMatchObject([{ reason: 'provider_config_error' }]);
  });

  it('Slack ratelimited on the token endpoint honours its Retry-After', async () => {
    rig.clock.advance(MINUTE);
    rig.slack.failNext('oauth.v2.access', { kind: 'ratelimited', retryAfter: 42 });
    const t0 = rig.clock.now();
    expect(await act('slack')).toMatchObject({
      ok: false,
      failure: { kind: 'rate_limited', retryAfterSeconds: 42 },
    });
    expect((await row('slack')).refreshDueAt).toBe(t0 + 42_000);
    rig.clock.advance(42_000);
    expect(await act('slack')).toEqual({ ok: true, value: 200 });
  });

  it('a revoked Slack install is proven gone (token_revoked in a 200, then auth.test fails) and surfaced', async () => {
    await expire('slack');
    rig.slack.revoke('U0000000001');
    const out = await act('slack');
    expect(out).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const [changed] = (await events('slack', 'state_changed')).filter(
      (e) => e.toState === 'reauthorization_required',
    );
    expect(changed?.detail).toMatchObject({ refreshError: 'token_revoked', probe: 'invalid' });
  });

  it('GitHub incorrect_client_credentials (HTTP 200) is a configuration error: healthy, alerted', async () => {
    await expire('github');
    rig.github.failNext('POST /login/oauth/access_token', { error: 'incorrect_client_credentials' });
    expect(await act('github')).toMatchObject({ ok: false, failure: { kind: 'config_error' } });
    expect(await row('github')).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'incorrect_client_credentials' },
    });
  });

  it('GitHub bad_refresh_token while GET /user still answers keeps the connection, and alerts', async () => {
    rig.clock.advance(MINUTE);
    expect(await act('github')).toEqual({ ok: true, value: 200 }); // recovers, fresh token
    const fresh = await row('github');
    rig.clock.set(fresh.refreshDueAt!);
    rig.github.failNext('POST /login/oauth/access_token', { error: 'bad_refresh_token' });
    const out = await rig.tv.app.refresher.refresh(fresh.id, 'proactive', fresh.version);
    expect(out).toMatchObject({ ok: false, kind: 'revoked', downgraded: false });
    expect(await row('github')).toMatchObject({ state: 'healthy' });
    expect((await events('github', 'alert')).at(-1)).toMatchObject({
      reason: 'refresh_rejected_but_token_alive',
    });
  });
});
