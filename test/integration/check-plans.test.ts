import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_FRACTION, PROBE_EVERY_MS } from '../../src/auth/refresh/plan.js';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { completeConsent } from '../support/browser.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * Issue 8, items 1 and 2: no token without a plan, idle keep-alive, absolute expiry. A token response
 * without `expires_in` gets the declared default lifetime, or else a periodic probe that starts a refresh
 * when it finds the token dead; every usable connection shows its next check in `auth.status`; a refresh
 * token with an idle limit is used well before it; a refresh token's absolute end raises, days ahead, one
 * alert carrying a reconnect link that works, and the reconnect closes it. Time is a fake clock throughout.
 */

const SEC = 1_000;
const HOUR = 3_600 * SEC;
const DAY = 24 * HOUR;

/** A provider that leaves `expires_in` out of its token responses. */
const withoutExpiry = (rig: Rig) =>
  rig.wire.rewriteTokenResponses((json) => {
    delete json['expires_in'];
  });

/** What auth.status shows `user` (the MCP client here speaks for the configured local user only). */
const statusOf = (rig: Rig, user: string) => rig.tv.app.services.connections.list(user);

describe('a token response without expires_in', () => {
  describe('from a provider that declares a default lifetime', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig({ demo: { defaultAccessLifetimeSec: 600 } });
      withoutExpiry(rig);
    });
    afterAll(() => rig?.close());

    it('expires after the declared default and is refreshed at 65–75% of it', async () => {
      const row = await rig.connect('local');
      expect(row.accessExpiresAt).toBe(row.accessIssuedAt! + 600 * SEC);
      const due = row.refreshDueAt! - row.accessIssuedAt!;
      expect(due).toBeGreaterThanOrEqual(0.65 * 600 * SEC);
      expect(due).toBeLessThanOrEqual(0.75 * 600 * SEC);
      // The agent sees when toolvault will next look at it.
      const [view] = sc(await rig.tv.call('auth_status')).connections;
      expect(view).toMatchObject({
        state: 'healthy',
        nextCheckAt: new Date(row.refreshDueAt!).toISOString(),
      });

      rig.clock.set(row.refreshDueAt! - SEC);
      expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 0 });
      rig.clock.set(row.refreshDueAt!);
      expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, refreshed: 1 });
      expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(1);
      const after = await rig.row('local');
      expect(after.accessExpiresAt).toBe(rig.clock.now() + 600 * SEC);
    });
  });

  describe('from a provider that declares none', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig();
      withoutExpiry(rig);
    });
    afterAll(() => rig?.close());

    it('is probed every few hours, and refreshed when the probe finds it dead', async () => {
      const row = await rig.connect('local');
      expect(row).toMatchObject({ accessExpiresAt: null, refreshDueAt: null });
      expect(row.nextCheckAt).toBeGreaterThan(rig.clock.now() + 0.85 * PROBE_EVERY_MS);
      expect(row.nextCheckAt).toBeLessThanOrEqual(rig.clock.now() + PROBE_EVERY_MS);
      const [view] = sc(await rig.tv.call('auth_status')).connections;
      expect(view.nextCheckAt).toBe(new Date(row.nextCheckAt!).toISOString());

      // Alive: no token request, the next probe planned.
      rig.clock.set(row.nextCheckAt!);
      expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, probed: 1, skipped: 1 });
      expect(rig.wire.apiCalls({ probes: true }).map((c) => c.status)).toEqual([200]);
      expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(0);
      const alive = await rig.row('local');
      expect(alive.nextCheckAt).toBeGreaterThan(rig.clock.now() + 0.85 * PROBE_EVERY_MS);

      // Dead (the provider expired it on its own schedule): the refresher takes over and refreshes.
      rig.clock.set(alive.nextCheckAt!);
      rig.wire.failProbeNext({ status: 401, body: { error: 'invalid_token' } });
      expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, probed: 1, refreshed: 1 });
      expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(1);
      const refreshed = await rig.row('local');
      expect(refreshed).toMatchObject({ state: 'healthy', version: row.version + 1, refreshDueAt: null });
      expect(refreshed.nextCheckAt).toBeGreaterThan(rig.clock.now());
      expect(await rig.act('local')).toEqual({ ok: true, value: 'local' });
    });

    it('gives every usable connection a next check, and none to one waiting for its user', async () => {
      await rig.connect('second');
      rig.as.revokeGrantFor('second');
      rig.wire.failProbeNext({ status: 401 });
      const r = await rig.row('second');
      await rig.tv.app.refresher.refresh(r.id, 'health', r.version); // proven gone
      const views = await statusOf(rig, 'local');
      expect(views[0]!.nextCheckAt).not.toBeNull();
      const gone = await statusOf(rig, 'second');
      expect(gone[0]).toMatchObject({ state: 'reauthorization_required', nextCheckAt: null });
      expect((await rig.tv.app.health.check()).unplanned).toBe(0);
    });
  });
});

describe('a token that never expires and cannot be refreshed (GitHub OAuth App)', () => {
  let rig: ActionRig;
  beforeAll(async () => {
    rig = await startActionRig({ github: { mode: 'oauth-app' } });
    await rig.connect('github');
  });
  afterAll(() => rig?.close());

  const row = async () => (await rig.tv.app.vault.store.getConnection('local', 'github'))!;

  it('is probed with GET /user on schedule, and a revoked one is surfaced without waiting for a call', async () => {
    const first = await row();
    expect(first).toMatchObject({ accessExpiresAt: null, refreshDueAt: null, state: 'healthy' });
    rig.clock.set(first.nextCheckAt!);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, probed: 1 });
    const alive = await row();
    expect(alive.nextCheckAt).toBeGreaterThan(rig.clock.now());

    rig.github.revoke('octocat');
    rig.clock.set(alive.nextCheckAt!);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ due: 1, probed: 1, failed: 1 });
    expect(await row()).toMatchObject({ state: 'reauthorization_required' });
    expect(rig.github.tokenRequests()['refresh_token'] ?? 0).toBe(0);
  });
});

describe('a refresh token with an idle limit', () => {
  const IDLE_DAYS = 30;
  let rig: Rig;
  beforeAll(async () => {
    // No expiry on the access token: nothing but the idle limit would ever make toolvault refresh it.
    rig = await startRig({ demo: { refreshIdleLimitSec: IDLE_DAYS * 24 * 3600 } });
    withoutExpiry(rig);
  });
  afterAll(() => rig?.close());

  it('is used well before the limit, again and again, while nobody calls', async () => {
    const row = await rig.connect('idle');
    expect(row.refreshDueAt! - rig.clock.now()).toBeLessThanOrEqual(KEEP_ALIVE_FRACTION * IDLE_DAYS * DAY);
    const start = rig.clock.now();
    const refreshedAt: number[] = [];
    for (let day = 1; day <= 120; day++) {
      rig.clock.set(start + day * DAY);
      const tick = await rig.tv.app.scheduler.tick();
      if (tick.refreshed > 0) refreshedAt.push(rig.clock.now());
    }
    expect(refreshedAt.length).toBeGreaterThanOrEqual(8);
    const gaps = [start, ...refreshedAt].slice(1).map((t, i) => t - [start, ...refreshedAt][i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(KEEP_ALIVE_FRACTION * IDLE_DAYS * DAY);
    expect(rig.wire.tokenRequests('refresh_token').every((r) => r.status === 200)).toBe(true);
    expect((await rig.row('idle')).state).toBe('healthy');
  });
});

describe('a refresh token with an absolute end', () => {
  const LIFETIME_DAYS = 30;
  let rig: Rig;
  let end = 0;
  beforeAll(async () => {
    rig = await startRig({ env: { TOOLVAULT_EXPIRY_WARNING_DAYS: '7' } });
    // The consent says when the refresh token ends (GitHub's refresh_token_expires_in); refreshes do not
    // move it (the declaration does not rotate), so only a reconnect can.
    rig.wire.rewriteTokenResponses((json, grantType) => {
      if (grantType === 'authorization_code') json['refresh_token_expires_in'] = LIFETIME_DAYS * 24 * 3600;
    });
  });
  afterAll(() => rig?.close());

  const alerts = async (type = 'alert') =>
    (await rig.tv.app.vault.store.listEvents({ type })).filter((e) => e.reason === 'refresh_token_expiring');

  it('is stored and shown to the agent', async () => {
    const row = await rig.connect('local');
    end = row.refreshExpiresAt!;
    expect(end).toBe(rig.clock.now() + LIFETIME_DAYS * DAY);
    const [view] = sc(await rig.tv.call('auth_status')).connections;
    expect(view.refreshExpiresAt).toBe(new Date(end).toISOString());
    // A refresh keeps the end where it is.
    rig.toLife(row, 0.8);
    await rig.tv.app.scheduler.tick();
    expect((await rig.row('local')).refreshExpiresAt).toBe(end);
  });

  it('raises one warning 7 days ahead, with no link in it; auth_start gives the owner one days later', async () => {
    rig.clock.set(end - 7 * DAY - HOUR);
    await rig.tv.app.health.check();
    expect(await alerts()).toEqual([]);

    rig.clock.set(end - 7 * DAY + HOUR);
    const report = await rig.tv.app.health.check();
    expect(report.expiringSoon).toBe(1);
    expect(report.problems).toContain('1 connection(s) must be reconnected before their grant ends');
    await rig.tv.app.health.check();
    const [warning, ...more] = await alerts();
    expect(more).toEqual([]);
    expect(warning).toMatchObject({
      userId: 'local',
      provider: 'demo',
      detail: { kind: 'expiring', daysLeft: 6, refreshExpiresAt: new Date(end).toISOString() },
    });
    // Alerts reach webhooks and logs: no live link there, only how the owner gets one.
    expect(JSON.stringify(warning)).not.toContain('/connect/');
    expect(warning!.detail['reconnect']).toContain('auth_start');

    // The owner gets round to it three days later: auth_start answers with a link, which moves the end.
    rig.clock.advance(3 * DAY);
    const started = sc(await rig.tv.call('auth_start', { provider: 'demo' }));
    expect(started).toMatchObject({ status: 'pending', reason: 'reauthorization_required' });
    const page = await completeConsent(started.authUrl, { name: 'local' });
    expect(page.html).toContain('is connected');
    const renewed = await rig.row('local');
    expect(renewed.refreshExpiresAt).toBe(rig.clock.now() + LIFETIME_DAYS * DAY);
    expect(await alerts('recovered')).toMatchObject([{ detail: { by: 'reconnected' } }]);
    await rig.tv.app.health.check();
    expect(await alerts()).toHaveLength(1);
  });
});
