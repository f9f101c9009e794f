import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeConsent } from '../support/browser.js';
import type { TokenFault } from '../support/oidc-server.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * Seed article 004: a refresh job read a `400 invalid_request` (a wrong grant type) as "credential dead",
 * marked a healthy connection expired and ten days of data silently stopped. Here a failed refresh is a
 * question: only a definitive grant error AND a failing live probe with the current access token move a
 * connection to `reauthorization_required`; everything else keeps its state, is recorded and alerts.
 */

const MINUTE = 60_000;

describe('seed 004: a failed refresh never downgrades a connection on a guess', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('keeps a healthy connection when refresh fails with invalid_request while the token is valid', async () => {
    const before = await rig.connect('local');
    rig.toLife(before, 0.8);
    rig.as.failNext('invalid_request');
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, refreshed: 0, failed: 1 });

    const after = await rig.row('local');
    expect(after.state).toBe('healthy');
    expect(after.version).toBe(before.version);
    expect(after.lastError).toMatchObject({ kind: 'config_error', code: 'invalid_request' });
    expect(await rig.stateChanges('local')).toEqual([]);
    const [failed] = await rig.events('local', 'refresh_failed');
    expect(failed?.detail).toMatchObject({ kind: 'config_error', code: 'invalid_request', status: 400 });
    const alerts = await rig.events('local', 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ reason: 'provider_config_error' });
    expect(rig.tv.logs.some((l) => l.includes('alert: provider_config_error'))).toBe(true);
    // No grant error, so nothing to probe: the access token was never put on trial.
    expect(rig.wire.apiCalls({ probes: true })).toEqual([]);

    // The still-valid token keeps working, inside the skew window, without another token request.
    const tokenRequests = rig.wire.tokenRequests().length;
    const r = await rig.tv.call('demo_whoami');
    expect(sc(r)).toMatchObject({ status: 'ok', subject: 'local' });
    expect(rig.wire.tokenRequests()).toHaveLength(tokenRequests);

    // Once the provider behaves, the next scheduled attempt recovers and the streak resets.
    rig.clock.advance(MINUTE);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ refreshed: 1 });
    const healed = await rig.row('local');
    expect(healed).toMatchObject({ state: 'healthy', failureStreak: 0, lastError: null });
    expect((await rig.events('local', 'refreshed'))[0]?.detail).toMatchObject({ recoveredAfter: 1 });
    expect(rig.wire.badCalls()).toEqual([]);
  });

  it('downgrades a revoked grant only after the live probe fails, and the next call links to reconnect', async () => {
    const before = await rig.connect('rita');
    rig.as.revokeGrantFor('rita');
    rig.toLife(before, 0.8);
    const out = await rig.tv.app.refresher.refresh(before.id, 'proactive', before.version);
    expect(out).toMatchObject({ ok: false, kind: 'revoked', code: 'invalid_grant', downgraded: true });

    const changed = await rig.stateChanges('rita');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      fromState: 'healthy',
      toState: 'reauthorization_required',
      reason: 'refresh_rejected_and_probe_failed',
    });
    expect(changed[0]?.detail).toMatchObject({
      refreshError: 'invalid_grant',
      refreshStatus: 400,
      probe: 'invalid',
      probeStatus: 401,
      accessExpired: false,
    });
    const probes = rig.wire.apiCalls({ probes: true });
    expect(probes).toHaveLength(1);
    expect(probes[0]?.status).toBe(401);

    const call = await rig.tv.app.services.access.call('rita', 'demo', ['openid'], async () => 'ran');
    expect(call.ok).toBe(false);
    if (call.ok || call.failure.type !== 'auth_required') throw new Error('expected auth_required');
    expect(call.failure.start).toMatchObject({ reason: 'reauthorization_required', provider: 'demo' });
    expect(call.failure.start.authUrl).toMatch(new RegExp(`^${rig.tv.url}/connect/`));

    // The link restores the same connection.
    await completeConsent(call.failure.start.authUrl, { name: 'rita' });
    expect(await rig.row('rita')).toMatchObject({ id: before.id, state: 'healthy' });
    expect(await rig.act('rita')).toEqual({ ok: true, value: 'rita' });
  });

  it('returns the auth-required result with a link to the agent once the grant is proven gone', async () => {
    const before = await rig.connect('local2');
    rig.as.revokeGrantFor('local2');
    rig.clock.set(before.accessExpiresAt! + 1000);
    const out = await rig.tv.app.services.access.call('local2', 'demo', ['openid'], async () => 'never');
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure).toMatchObject({
      type: 'auth_required',
      start: { reason: 'reauthorization_required' },
    });
    expect((await rig.row('local2')).state).toBe('reauthorization_required');
    // The evidence says the probe ran with an already expired token: honest about what it proves.
    const [changed] = await rig.stateChanges('local2');
    expect(changed?.detail).toMatchObject({ probeStatus: 401, accessExpired: true, trigger: 'preflight' });
  });

  it('keeps the connection when the grant is rejected but the probe says the token is alive, and alerts', async () => {
    const before = await rig.connect('gina');
    rig.toLife(before, 0.8);
    rig.wire.failTokenNext({ status: 400, body: { error: 'invalid_grant' } });
    const out = await rig.tv.app.refresher.refresh(before.id, 'proactive', before.version);
    expect(out).toMatchObject({ ok: false, kind: 'revoked', downgraded: false });
    expect(await rig.row('gina')).toMatchObject({ state: 'healthy', lastError: { kind: 'revoked' } });
    expect(await rig.events('gina', 'alert')).toMatchObject([{ reason: 'refresh_rejected_but_token_alive' }]);
    expect((await rig.events('gina', 'refresh_failed'))[0]?.detail).toMatchObject({ probe: 'valid' });
  });

  it('keeps the connection when the grant is rejected and the probe gets no answer', async () => {
    const before = await rig.connect('paul');
    rig.toLife(before, 0.8);
    rig.wire.failTokenNext({ status: 400, body: { error: 'invalid_grant' } });
    rig.wire.failProbeNext({ status: 503, body: '<html>down</html>' });
    const out = await rig.tv.app.refresher.refresh(before.id, 'proactive', before.version);
    expect(out).toMatchObject({ ok: false, kind: 'transient', downgraded: false });
    expect((await rig.row('paul')).state).toBe('healthy');
    expect(await rig.stateChanges('paul')).toEqual([]);
  });

  const faults: Array<{ name: string; inject: (r: Rig) => void; kind: string; code?: string }> = [
    ...(['invalid_request', 'unsupported_grant_type', 'invalid_client'] as TokenFault[]).map((f) => ({
      name: f,
      inject: (r: Rig) => r.as.failNext(f),
      kind: 'config_error',
      code: f,
    })),
    { name: '500', inject: (r) => r.as.failNext('500'), kind: 'transient', code: 'http_500' },
    { name: '503_html', inject: (r) => r.as.failNext('503_html'), kind: 'transient', code: 'http_503' },
    { name: 'timeout', inject: (r) => r.hangNext(), kind: 'transient', code: 'timeout' },
    { name: 'reset', inject: (r) => r.as.failNext('reset'), kind: 'transient' },
    {
      name: 'an error code nobody knows',
      inject: (r) => r.wire.failTokenNext({ status: 400, body: { error: 'grant_type_needs_coffee' } }),
      kind: 'unknown',
      code: 'grant_type_needs_coffee',
    },
    {
      name: 'a 418 HTML page',
      inject: (r) => r.wire.failTokenNext({ status: 418, body: '<html>teapot</html>' }),
      kind: 'unknown',
    },
  ];

  for (const f of faults) {
    it(`never downgrades on ${f.name}: the call gets a ${f.kind} error, the state stays healthy`, async () => {
      const user = `u-${f.name.replace(/\W+/g, '-')}`;
      const before = await rig.connect(user);
      rig.clock.set(Math.max(rig.clock.now(), before.accessExpiresAt! + 1000));
      const probes = rig.wire.apiCalls({ probes: true }).length;
      f.inject(rig);
      const out = await rig.act(user);
      expect(out.ok).toBe(false);
      if (out.ok) return;
      expect(out.failure).toMatchObject({ type: 'error', kind: f.kind });
      const row = await rig.row(user);
      expect(row.state).toBe('healthy');
      expect(row.lastError).toMatchObject({ kind: f.kind, ...(f.code ? { code: f.code } : {}) });
      expect(await rig.stateChanges(user)).toEqual([]);
      expect(rig.wire.apiCalls({ probes: true })).toHaveLength(probes);
      expect(rig.wire.badCalls()).toEqual([]);
    });
  }

  it('raises exactly one alert for three (or more) failures in a row, and again after a recovery', async () => {
    const before = await rig.connect('streaky');
    rig.clock.set(Math.max(rig.clock.now(), before.accessExpiresAt! + 1000));
    const failOnce = async (fault: TokenFault) => {
      if (fault === 'timeout') rig.hangNext();
      else rig.as.failNext(fault);
      expect((await rig.act('streaky')).ok).toBe(false);
      rig.clock.advance(MINUTE); // past any backoff (capped at 60 s)
    };
    for (const f of ['500', 'timeout', '503_html', 'reset', '500'] as TokenFault[]) await failOnce(f);
    expect(await rig.events('streaky', 'refresh_failed')).toHaveLength(5);
    const alerts = await rig.events('streaky', 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ reason: 'refresh_failing', detail: { streak: 3 } });
    expect((await rig.row('streaky')).state).toBe('healthy');

    expect(await rig.act('streaky')).toEqual({ ok: true, value: 'streaky' });
    const renewed = await rig.row('streaky');
    rig.clock.set(renewed.accessExpiresAt! + 1000);
    for (const f of ['500', '500', '500'] as TokenFault[]) await failOnce(f);
    expect(await rig.events('streaky', 'alert')).toHaveLength(2);
  });

  it('raises one alert for a configuration error however often it repeats', async () => {
    const before = await rig.connect('confy');
    rig.clock.set(Math.max(rig.clock.now(), before.accessExpiresAt! + 1000));
    for (let i = 0; i < 4; i++) {
      rig.as.failNext('unsupported_grant_type');
      expect((await rig.act('confy')).ok).toBe(false);
      rig.clock.advance(MINUTE);
    }
    expect(await rig.events('confy', 'refresh_failed')).toHaveLength(4);
    expect(await rig.events('confy', 'alert')).toHaveLength(1);
  });
});

describe('seed 004 with HTTP Basic client authentication', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ authMethod: 'client_secret_basic' });
  });
  afterAll(() => rig?.close());

  it('treats a 401 invalid_client challenge as a configuration error, never a revoked grant', async () => {
    const before = await rig.connect('basil');
    rig.clock.set(before.accessExpiresAt! + 1000);
    rig.as.failNext('invalid_client');
    const out = await rig.act('basil');
    expect(out).toMatchObject({ ok: false, failure: { type: 'error', kind: 'config_error' } });
    expect(await rig.row('basil')).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'invalid_client' },
    });
    expect(await rig.events('basil', 'alert')).toHaveLength(1);
    expect(rig.wire.apiCalls({ probes: true })).toEqual([]);
    // The basic-auth refresh itself works once the fault is gone.
    rig.clock.advance(MINUTE);
    expect(await rig.act('basil')).toEqual({ ok: true, value: 'basil' });
  });
});

/**
 * The same rule where providers report token errors in HTTP 200 bodies (their quirks are data in the
 * declarations): Slack's `invalid_grant_type` is seed 004's wrong grant type, GitHub's
 * `incorrect_client_credentials` a bad secret; neither says anything about the user's grant.
 */
