import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs, waitAfterFailure } from '../../src/auth/refresh/backoff.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * Rate limits and outages: Retry-After is honoured, toolvault's own waits are capped at 60 s while the agent is
 * told the provider's real wait, every retry is bounded, and while a failed refresh backs off callers get a
 * fast answer instead of piling token requests on a provider that is already down.
 */

const SEC = 1_000;

describe('rate-limited and failing token endpoints', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  async function expiredUser(user: string) {
    const row = await rig.connect(user);
    rig.clock.set(Math.max(rig.clock.now(), row.accessExpiresAt! + SEC));
    return row;
  }
  const refreshes = () => rig.wire.tokenRequests('refresh_token').length;

  it('honours Retry-After on a 429 and sends no token request until it has passed', async () => {
    await expiredUser('rl');
    rig.wire.failTokenNext({ status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '30' } });
    const t0 = rig.clock.now();
    const first = await rig.act('rl');
    expect(first).toMatchObject({ ok: false, failure: { kind: 'rate_limited', retryAfterSeconds: 30 } });
    expect((await rig.row('rl')).refreshDueAt).toBe(t0 + 30 * SEC);

    const n = refreshes();
    rig.clock.set(t0 + 10 * SEC);
    const during = await Promise.all(Array.from({ length: 50 }, () => rig.act('rl')));
    for (const r of during)
      expect(r).toMatchObject({ ok: false, failure: { kind: 'rate_limited', retryAfterSeconds: 20 } });
    rig.clock.set(t0 + 29 * SEC);
    expect(await rig.act('rl')).toMatchObject({ ok: false });
    expect(refreshes()).toBe(n);

    rig.clock.set(t0 + 30 * SEC);
    expect(await rig.act('rl')).toEqual({ ok: true, value: 'rl' });
    expect(refreshes()).toBe(n + 1);
  });

  it('reads Retry-After from a bare 429 and as an HTTP date', async () => {
    await expiredUser('rl-bare');
    rig.wire.failTokenNext({ status: 429, headers: { 'retry-after': '45' } });
    const t0 = rig.clock.now();
    expect(await rig.act('rl-bare')).toMatchObject({ ok: false, failure: { kind: 'rate_limited' } });
    expect((await rig.row('rl-bare')).refreshDueAt).toBe(t0 + 45 * SEC);

    await expiredUser('rl-date');
    const t1 = rig.clock.now();
    const date = new Date(t1 + 20 * SEC).toUTCString(); // by toolvault's (injected) clock
    rig.wire.failTokenNext({ status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': date } });
    expect(await rig.act('rl-date')).toMatchObject({ ok: false, failure: { kind: 'rate_limited' } });
    expect((await rig.row('rl-date')).refreshDueAt).toBe(t1 + 20 * SEC);
  });

  it('tells the agent a Retry-After of an hour as it is, and still retries itself after 60 s', async () => {
    await expiredUser('rl-hour');
    rig.wire.failTokenNext({ status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '3600' } });
    const t0 = rig.clock.now();
    expect(await rig.act('rl-hour')).toMatchObject({ ok: false, failure: { retryAfterSeconds: 3600 } });
    // toolvault's own backoff stays capped at 60 s ...
    expect((await rig.row('rl-hour')).refreshDueAt).toBe(t0 + 60 * SEC);
    // ... while callers during it hear what remains of the provider's hour, without a token request.
    const n = refreshes();
    rig.clock.set(t0 + 10 * SEC);
    expect(await rig.act('rl-hour')).toMatchObject({
      ok: false,
      failure: { kind: 'rate_limited', retryAfterSeconds: 3590 },
    });
    expect(refreshes()).toBe(n);
    rig.clock.set(t0 + 60 * SEC);
    expect(await rig.act('rl-hour')).toEqual({ ok: true, value: 'rl-hour' });
  });

  it('backs off exponentially, never beyond 60 s, through a long outage, and keeps the state', async () => {
    await expiredUser('outage');
    for (let i = 0; i < 12; i++) {
      rig.as.failNext('503_html');
      expect(await rig.act('outage')).toMatchObject({ ok: false, failure: { kind: 'transient' } });
      rig.clock.set((await rig.row('outage')).refreshDueAt!);
    }
    const waits = (await rig.events('outage', 'refresh_failed')).map((e) => e.detail['retryInMs'] as number);
    expect(waits).toHaveLength(12);
    for (const w of waits) expect(w).toBeLessThanOrEqual(60 * SEC);
    expect(waits[0]).toBeLessThanOrEqual(2 * SEC);
    expect(Math.min(...waits.slice(6))).toBeGreaterThanOrEqual(30 * SEC);
    expect(await rig.row('outage')).toMatchObject({ state: 'healthy', failureStreak: 12 });
    expect(await rig.events('outage', 'alert')).toHaveLength(1);
    expect(await rig.act('outage')).toEqual({ ok: true, value: 'outage' });
  });

  it('answers callers during the backoff fast, with zero extra token requests (no pile-up)', async () => {
    await expiredUser('herd');
    rig.as.failNext('500');
    // The callers that arrive while the failing refresh is in flight share it: one token request.
    const n0 = refreshes();
    const first = await Promise.all(Array.from({ length: 200 }, () => rig.act('herd')));
    expect(first.every((r) => !r.ok)).toBe(true);
    const n = refreshes();
    expect(n).toBe(n0 + 1);

    const started = performance.now();
    const during = await Promise.all(Array.from({ length: 500 }, () => rig.act('herd')));
    const ms = performance.now() - started;
    expect(refreshes()).toBe(n);
    for (const r of during) {
      expect(r).toMatchObject({ ok: false, failure: { type: 'error', kind: 'transient', retryable: true } });
    }
    expect(ms).toBeLessThan(2_000);
    console.info(`500 calls during an outage's backoff: ${Math.round(ms)} ms, 0 token requests`);
  });

  it('first callers during an outage share one failing refresh, through MCP too', async () => {
    await expiredUser('local');
    const n = refreshes();
    rig.as.failNext('500');
    const results = await Promise.all(Array.from({ length: 200 }, () => rig.tv.call('demo_whoami')));
    expect(refreshes()).toBe(n + 1);
    for (const r of results)
      expect(sc(r)).toMatchObject({ status: 'error', kind: 'transient', retryable: true });
  });
});

describe('API-side limits and outages', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.connect('api');
  });
  afterAll(() => rig?.close());

  it("passes a 429 through as rate_limited with the provider's real Retry-After, without a refresh", async () => {
    rig.wire.failApiNext({ status: 429, headers: { 'retry-after': '120' } });
    const out = await rig.act('api');
    expect(out).toMatchObject({ ok: false, failure: { kind: 'rate_limited', retryAfterSeconds: 120 } });
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(0);
    expect((await rig.row('api')).state).toBe('healthy');
  });

  it('reports a 503 as transient and leaves the connection alone', async () => {
    rig.wire.failApiNext({ status: 503, body: '<html>down</html>' });
    expect(await rig.act('api')).toMatchObject({
      ok: false,
      failure: { kind: 'transient', retryable: true },
    });
    expect(await rig.row('api')).toMatchObject({ state: 'healthy', failureStreak: 0 });
    expect(await rig.act('api')).toEqual({ ok: true, value: 'api' });
  });
});

describe('backoff arithmetic', () => {
  it('grows from ~1–2 s and never exceeds 60 s, whatever the streak or Retry-After', () => {
    expect(backoffMs(1, 60_000, 2_000, () => 0)).toBe(1_000);
    expect(backoffMs(1, 60_000, 2_000, () => 1)).toBe(2_000);
    for (let s = 1; s < 50; s++) expect(backoffMs(s, 60_000, 2_000, () => 1)).toBeLessThanOrEqual(60_000);
    expect(waitAfterFailure(1, 10_000, () => 0)).toBe(60_000);
    expect(waitAfterFailure(1, 30, () => 0)).toBe(30_000);
    expect(waitAfterFailure(40, undefined, () => 0)).toBe(30_000);
  });
});
