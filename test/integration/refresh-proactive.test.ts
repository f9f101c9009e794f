import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_AT_FRACTION, REFRESH_JITTER_FRACTION, grantWrite } from '../../src/auth/refresh/grant.js';
import type { RefreshOutcome, Refresher } from '../../src/auth/refresh/refresher.js';
import { RefreshScheduler } from '../../src/auth/refresh/scheduler.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { createLogger } from '../../src/log.js';
import type { ConfiguredProvider } from '../../src/providers/types.js';
import { FakeClock } from '../support/clock.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { connect, grant, T0 } from '../support/store-fixtures.js';

/**
 * Proactive refresh: the scheduler renews a token at 65–75% of its life (75% minus jitter, so connections
 * issued together do not all refresh in the same second), with bounded concurrency; and before every call a
 * token within the skew window of expiry is refreshed first, so no call ever leaves with an expired token.
 */

const HOUR = 3_600_000;

describe('proactive refresh against the authorization server', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('schedules the refresh at 65–75% of the token life and refreshes once it is due', async () => {
    const row = await rig.connect('sched');
    const life = row.accessExpiresAt! - row.accessIssuedAt!;
    expect(row.refreshDueAt! - row.accessIssuedAt!).toBeGreaterThanOrEqual(life * 0.65);
    expect(row.refreshDueAt! - row.accessIssuedAt!).toBeLessThanOrEqual(life * 0.75);

    rig.clock.set(row.refreshDueAt! - 1_000);
    expect(await rig.tv.app.scheduler.tick()).toEqual({ due: 0, refreshed: 0, skipped: 0, failed: 0 });
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(0);

    rig.clock.set(row.refreshDueAt!);
    expect(await rig.tv.app.scheduler.tick()).toEqual({ due: 1, refreshed: 1, skipped: 0, failed: 0 });
    const next = await rig.row('sched');
    expect(next.version).toBe(row.version + 1);
    expect(next.accessIssuedAt).toBe(row.refreshDueAt);
    expect(next.refreshDueAt! - next.accessIssuedAt!).toBeGreaterThanOrEqual(life * 0.65);
    expect((await rig.events('sched', 'refreshed'))[0]).toMatchObject({ reason: 'proactive' });
    expect(rig.tv.app.scheduler.lastTickAt).toBe(rig.clock.now());
  });

  it('skips, without waiting, a due connection another worker is refreshing', async () => {
    const row = await rig.connect('busy');
    rig.clock.set(row.refreshDueAt!);
    await rig.tv.app.vault.store.acquireLease(row.id, 'another-process', rig.clock.now(), 30_000);
    const n = rig.wire.tokenRequests('refresh_token').length;
    const started = performance.now();
    // (Connections from earlier tests may be due too: only `busy` is held by someone else.)
    const report = await rig.tv.app.scheduler.tick();
    expect(report).toMatchObject({ skipped: 1, failed: 0 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(n + report.refreshed);
    expect((await rig.row('busy')).version).toBe(row.version);
    await rig.tv.app.vault.store.releaseLease(row.id, 'another-process');
  });

  it('refreshes before a call once the token is within the 60 s skew, and not before', async () => {
    const row = await rig.connect('skew');
    rig.clock.set(row.accessExpiresAt! - 61_000);
    const refreshes = () => rig.wire.tokenRequests('refresh_token').length;
    const n0 = refreshes();
    expect(await rig.act('skew')).toEqual({ ok: true, value: 'skew' });
    expect(refreshes()).toBe(n0);

    rig.clock.set(row.accessExpiresAt! - 59_000);
    expect(await rig.act('skew')).toEqual({ ok: true, value: 'skew' });
    expect(refreshes()).toBe(n0 + 1);
    const last = rig.wire.apiCalls({ probes: false }).at(-1)!;
    expect(last.token).not.toBe(rig.wire.apiCalls({ probes: false }).at(-2)!.token);
    expect((await rig.events('skew', 'refreshed'))[0]).toMatchObject({ reason: 'preflight' });
    expect(rig.wire.badCalls()).toEqual([]);
  });

  it('a 401 from the API triggers exactly one refresh and one retry; a second 401 is a classified error', async () => {
    await rig.connect('react');
    const n0 = rig.wire.tokenRequests('refresh_token').length;
    const calls0 = rig.wire.apiCalls({ probes: false }).length;
    const unauthorized = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    rig.wire.failApiNext(unauthorized);
    expect(await rig.act('react')).toEqual({ ok: true, value: 'react' });
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(n0 + 1);
    expect(rig.wire.apiCalls({ probes: false })).toHaveLength(calls0 + 2);
    expect((await rig.events('react', 'refreshed'))[0]).toMatchObject({ reason: 'reactive' });

    rig.wire.failApiNext(unauthorized, 2);
    const out = await rig.act('react');
    expect(out).toMatchObject({ ok: false, failure: { type: 'error', kind: 'expired_access' } });
    // Bounded: one more refresh, two more API attempts, nothing else.
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(n0 + 2);
    expect(rig.wire.apiCalls({ probes: false })).toHaveLength(calls0 + 4);
    expect((await rig.row('react')).state).toBe('healthy');
  });

  it('honours a configured skew (TOOLVAULT_REFRESH_SKEW_SEC)', async () => {
    const wide = await startRig({ env: { TOOLVAULT_REFRESH_SKEW_SEC: '120' } });
    try {
      const row = await wide.connect('wide');
      wide.clock.set(row.accessExpiresAt! - 119_000);
      expect(await wide.act('wide')).toEqual({ ok: true, value: 'wide' });
      expect(wide.wire.tokenRequests('refresh_token')).toHaveLength(1);
    } finally {
      await wide.close();
    }
  });
});

describe('spreading and bounding proactive refreshes', () => {
  const provider = {
    declaration: { token: { defaultAccessLifetimeSec: 3600 }, offlineScopes: [] },
    settings: { clientId: 'x' },
  } as unknown as ConfiguredProvider;

  it('spreads a thousand connections issued in the same second over the jitter window', () => {
    const now = T0;
    const due = Array.from({ length: 1000 }, (_, i) =>
      grantWrite(
        provider,
        { tokens: { accessToken: `a${i}`, refreshToken: `r${i}`, tokenType: 'bearer' }, expiresIn: 3600 },
        [],
        now,
        { keyId: 'k', blob: new Uint8Array() },
      ),
    ).map((w) => w.refreshDueAt! - now);
    const lo = HOUR * (REFRESH_AT_FRACTION - REFRESH_JITTER_FRACTION);
    const hi = HOUR * REFRESH_AT_FRACTION;
    expect(Math.min(...due)).toBeGreaterThanOrEqual(lo);
    expect(Math.max(...due)).toBeLessThanOrEqual(hi);
    // Spread over most of the 360 s window, never more than a handful in any one second.
    expect(Math.max(...due) - Math.min(...due)).toBeGreaterThan(0.9 * (hi - lo));
    const perSecond = new Map<number, number>();
    for (const d of due) perSecond.set(Math.floor(d / 1000), (perSecond.get(Math.floor(d / 1000)) ?? 0) + 1);
    expect(perSecond.size).toBeGreaterThan(250);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(15);
  });

  it('refreshes a thousand due connections in batches with at most `concurrency` at once', async () => {
    const store = openSqliteStore(':memory:');
    const clock = new FakeClock(T0);
    for (let i = 0; i < 1000; i++) {
      await connect(store, `u${i}`, 'demo', { grant: grant(`t${i}`, { refreshDueAt: T0 + i * 100 }) });
    }
    let inFlight = 0;
    let maxInFlight = 0;
    const refreshed: string[] = [];
    const refresher = {
      async refresh(id: string): Promise<RefreshOutcome> {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        refreshed.push(id);
        const row = await store.updateConnection(id, { refreshDueAt: clock.now() + HOUR }, clock.now());
        inFlight--;
        return { ok: true, row: row!, refreshed: true };
      },
    } as unknown as Refresher;
    const scheduler = new RefreshScheduler(
      { store, refresher, clock, log: createLogger('silent') },
      { concurrency: 4, batch: 200 },
    );
    clock.set(T0 + 50_000); // the first 501 are due
    expect(await scheduler.tick()).toEqual({ due: 200, refreshed: 200, skipped: 0, failed: 0 });
    expect(await scheduler.tick()).toMatchObject({ due: 200 });
    expect(await scheduler.tick()).toMatchObject({ due: 101 });
    expect(await scheduler.tick()).toMatchObject({ due: 0 });
    expect(maxInFlight).toBe(4);
    expect(new Set(refreshed).size).toBe(501);
    await store.close();
  });
});
