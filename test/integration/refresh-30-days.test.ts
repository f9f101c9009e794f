import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenFault } from '../support/oidc-server.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { prng } from '../support/prng.js';

/**
 * Thirty simulated days of hourly access tokens against a real oidc-provider (rotation and reuse detection on),
 * driven by toolvault's clock: the scheduler ticks every 10 minutes, every user acts every hour, and the
 * token endpoint and the API suffer 5xx, HTML 503s, timeouts, resets and 429s at random (seeded), plus a
 * two-hour outage that outlives the tokens, plus one revocation. What must hold: no false
 * `reauthorization_required`, no call ever sent with an expired token, exactly the revoked connection
 * surfaced, and nobody ever presented a refresh token twice.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('30 days of hourly tokens', () => {
  let rig: Rig;
  // Two connections: ~1,400 real refreshes through oidc-provider (~3–4 ms each) is what fits in the budget.
  const users = ['ada', 'cy'];
  const revoked = 'cy';
  beforeAll(async () => {
    rig = await startRig({ accessTokenTtlSec: 3600, random: prng(7) });
    for (const u of users) await rig.connect(u);
  });
  afterAll(() => rig?.close());

  it('keeps every healthy connection working and surfaces only the revoked one', async () => {
    const random = prng(20261123);
    const started = performance.now();
    const start = rig.clock.now();
    const outage = { from: start + 5 * DAY + 3 * HOUR, to: start + 5 * DAY + 5 * HOUR };
    const revokeAt = start + 10 * DAY + 7 * HOUR + 13 * MIN;
    const injected: Record<string, number> = {};
    const tally: Record<string, Record<string, number>> = Object.fromEntries(users.map((u) => [u, {}]));
    const faults: Array<[string, () => void]> = [
      ...(['500', '503_html', 'reset'] as TokenFault[]).map((f): [string, () => void] => [
        `token ${f}`,
        () => rig.as.failNext(f),
      ]),
      ['token timeout', () => rig.wire.failTokenNext({ hangMs: 20 })],
      [
        'token 429',
        () =>
          rig.wire.failTokenNext({
            status: 429,
            body: { error: 'slow_down' },
            headers: { 'retry-after': '45' },
          }),
      ],
      ['api 503', () => rig.wire.failApiNext({ status: 503, body: '<html>busy</html>' })],
      ['api 429', () => rig.wire.failApiNext({ status: 429, headers: { 'retry-after': '30' } })],
    ];
    let inOutage = false;
    let revokedYet = false;

    for (let step = 1; rig.clock.now() < start + 30 * DAY; step++) {
      rig.clock.advance(10 * MIN);
      const now = rig.clock.now();
      if (!inOutage && now >= outage.from && now < outage.to) {
        inOutage = true;
        rig.wire.setTokenOutage({ status: 503, body: '<html>maintenance</html>' });
      } else if (inOutage && now >= outage.to) {
        inOutage = false;
        rig.wire.setTokenOutage(null);
      }
      if (!revokedYet && now >= revokeAt) {
        revokedYet = true;
        rig.as.revokeGrantFor(revoked);
      }
      if (random() < 0.06) {
        const [name, inject] = faults[Math.floor(random() * faults.length)]!;
        injected[name] = (injected[name] ?? 0) + 1;
        inject();
      }
      await rig.tv.app.scheduler.tick();
      if (step % 6 === 0) {
        const results = await Promise.all(users.map((u) => rig.act(u)));
        results.forEach((r, i) => {
          const key = r.ok ? 'ok' : r.failure.type === 'error' ? r.failure.kind : r.failure.type;
          const t = tally[users[i]!]!;
          t[key] = (t[key] ?? 0) + 1;
        });
      }
    }
    const ms = performance.now() - started;

    // Zero calls with an expired (or unknown) token, judged by toolvault's clock at the moment of sending.
    expect(rig.wire.badCalls()).toEqual([]);
    // Zero false reauthorization_required: only the revoked connection ever changed state.
    for (const u of users) {
      const changes = await rig.stateChanges(u);
      if (u === revoked) {
        expect(changes.map((c) => c.toState)).toEqual(['reauthorization_required']);
        expect(changes[0]?.detail).toMatchObject({ refreshError: 'invalid_grant', probeStatus: 401 });
        expect(changes[0]!.at).toBeGreaterThanOrEqual(revokeAt);
        expect(changes[0]!.at).toBeLessThan(revokeAt + HOUR);
      } else {
        expect(changes).toEqual([]);
        expect((await rig.row(u)).state).toBe('healthy');
        expect(tally[u]!['auth_required']).toBeUndefined();
      }
    }
    expect((await rig.row(revoked)).state).toBe('reauthorization_required');
    expect(tally[revoked]!['auth_required']).toBeGreaterThan(400);
    // Healthy users: everything but the outage (tokens outlived by it) and injected API faults succeeded.
    for (const u of users.filter((x) => x !== revoked)) {
      const t = tally[u]!;
      expect(
        Object.keys(t)
          .filter((k) => k !== 'ok')
          .every((k) => ['transient', 'rate_limited'].includes(k)),
      ).toBe(true);
      expect(await rig.act(u)).toEqual({ ok: true, value: u });
    }
    // Failures are the injected API faults plus the calls made while the outage outlived the tokens.
    const healthyFailures = users
      .filter((u) => u !== revoked)
      .reduce((n, u) => n + Object.entries(tally[u]!).reduce((m, [k, v]) => m + (k === 'ok' ? 0 : v), 0), 0);
    const apiFaults = (injected['api 503'] ?? 0) + (injected['api 429'] ?? 0);
    expect(healthyFailures).toBeGreaterThanOrEqual(apiFaults - 2);
    expect(healthyFailures).toBeLessThanOrEqual(apiFaults + 2 * 2); // two calls an hour, two hours
    // Reuse detection never fired: no refresh token was ever presented twice.
    expect(rig.grantRevocations).toEqual([]);
    expect(new Set(rig.presentedRefreshTokens).size).toBe(rig.presentedRefreshTokens.length);
    expect(Object.keys(injected).length).toBeGreaterThanOrEqual(6);

    const refreshes = rig.wire.tokenRequests('refresh_token').length;
    const alerts = (await rig.tv.app.vault.store.listEvents({ limit: 100_000 })).filter(
      (e) => e.type === 'alert',
    );
    console.info(
      `30 days: ${Math.round(ms)} ms, ${refreshes} token requests (${rig.presentedRefreshTokens.length} reached the AS), ` +
        `${rig.wire.apiCalls({ probes: false }).length} API calls, ${rig.wire.apiCalls({ probes: true }).length} probes, ` +
        `${alerts.length} alerts; injected ${JSON.stringify(injected)}; results ${JSON.stringify(tally)}`,
    );
    // ~5 s alone on this 2-core machine; the bound only catches a runaway (retry storms, lease waits).
    expect(ms).toBeLessThan(25_000);
  }, 30_000);
});
