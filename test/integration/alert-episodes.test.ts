import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/vault/types.js';
import { completeConsent } from '../support/browser.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

/**
 * Issue 8, item 5: recovery signals without flapping. An alert opens once per episode and a `recovered`
 * event closes it when things work again; webhooks carry both. A 5xx burst across 50 connections of one
 * provider is one `provider_outage` alert and one `recovered`, not fifty of each; a provider-wide
 * configuration error is one alert for the provider; a connection's own failure streak, a downgrade and an
 * idle spell each close with `recovered` when a refresh, a reconnect or a call succeeds.
 */

const SEC = 1_000;
const MINUTE = 60 * SEC;
const SECRET = 'episodes-webhook-secret-0123';

const byReason = (events: EventRow[], reason: string) => events.filter((e) => e.reason === reason);

describe('a provider-wide outage', () => {
  const USERS = Array.from({ length: 50 }, (_, i) => `u${String(i).padStart(2, '0')}`);
  let rig: Rig;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver(SECRET);
    rig = await startRig({
      env: {
        TOOLVAULT_WEBHOOK_URL: rx.url,
        TOOLVAULT_WEBHOOK_SECRET: SECRET,
        TOOLVAULT_WEBHOOK_EVENTS: 'alert,recovered',
      },
    });
    for (const u of USERS) await rig.connect(u);
  });
  afterAll(async () => {
    await rig?.close();
    await rx?.close();
  });

  const all = async (type: string) => rig.tv.app.vault.store.listEvents({ type, limit: 10_000 });
  const tick = () => rig.tv.app.scheduler.tick();

  it('raises one alert for 50 failing connections and one recovered event when it is over', async () => {
    rig.toLife(await rig.row(USERS[0]!), 0.8); // every token was issued at the same moment: all due now
    rig.wire.setTokenOutage({ status: 503, body: '<html>upstream down</html>' });
    for (let round = 0; round < 4; round++) {
      expect(await tick()).toMatchObject({ due: 50, failed: 50 });
      rig.clock.advance(MINUTE + SEC); // past every backoff
    }
    const alerts = await all('alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      provider: 'demo',
      reason: 'provider_outage',
      detail: { scope: 'provider', kind: 'transient', connections: 3 },
    });
    // Every connection is four failures deep, yet none raised an alert of its own.
    expect((await rig.row(USERS[49]!)).failureStreak).toBe(4);
    expect(await all('recovered')).toEqual([]);

    rig.wire.setTokenOutage(null);
    expect(await tick()).toMatchObject({ due: 50, refreshed: 50 });
    // A success right after the last failure does not end it yet: the provider has to stay up a while.
    expect(await all('recovered')).toEqual([]);
    rig.clock.advance(2 * MINUTE);
    await tick();
    const recovered = await all('recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({
      provider: 'demo',
      reason: 'provider_outage',
      // 4 rounds x 50 failures, less the two that came before the third connection opened it.
      detail: { scope: 'provider', failures: 198, by: 'settled' },
    });
    expect(await all('alert')).toHaveLength(1);
    for (const u of USERS) expect((await rig.row(u)).state).toBe('healthy');

    // Webhooks carried both, once each.
    const got = await rx.waitFor(2);
    expect(got.map((d) => [d.body['type'], d.body['reason']])).toEqual([
      ['alert', 'provider_outage'],
      ['recovered', 'provider_outage'],
    ]);
  });

  it('does not flap: a single failure after recovery raises nothing', async () => {
    const row = await rig.row(USERS[7]!);
    rig.clock.set(row.refreshDueAt!);
    rig.wire.failTokenNext({ status: 503, body: '<html>blip</html>' });
    await rig.tv.app.refresher.refresh(row.id, 'proactive', row.version);
    rig.clock.advance(MINUTE + SEC);
    await tick();
    expect(await all('alert')).toHaveLength(1);
    expect(await all('recovered')).toHaveLength(1);
  });
});

describe('episodes of one provider or one connection', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ env: { TOOLVAULT_IDLE_ALERT_SEC: '3600' } });
  });
  afterAll(() => rig?.close());

  const all = async (type: string) => rig.tv.app.vault.store.listEvents({ type, limit: 10_000 });

  it('a configuration error is one alert for the provider, closed once a refresh works again', async () => {
    const rows = [];
    for (const u of ['c1', 'c2', 'c3', 'c4']) rows.push(await rig.connect(u));
    rig.toLife(rows[0]!, 0.8);
    const before = (await all('alert')).length;
    rig.wire.setTokenOutage({ status: 401, body: { error: 'invalid_client' } });
    await rig.tv.app.scheduler.tick();
    rig.clock.advance(MINUTE + SEC);
    await rig.tv.app.scheduler.tick();
    const alerts = (await all('alert')).slice(before);
    expect(alerts).toMatchObject([{ reason: 'provider_config_error', detail: { scope: 'provider' } }]);

    rig.wire.setTokenOutage(null); // an operator fixed the secret
    rig.clock.advance(3 * MINUTE);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ refreshed: 4 });
    expect(byReason(await all('recovered'), 'provider_config_error')).toMatchObject([
      { detail: { by: 'refresh', scope: 'provider' } },
    ]);
  });

  it("a connection's failure streak opens at the third failure and closes on the next refresh", async () => {
    const row = await rig.connect('streak');
    rig.clock.set(row.accessExpiresAt! + SEC);
    for (let i = 0; i < 4; i++) {
      rig.as.failNext('500');
      expect((await rig.act('streak')).ok).toBe(false);
      rig.clock.advance(MINUTE + SEC);
    }
    expect(byReason(await rig.events('streak', 'alert'), 'refresh_failing')).toMatchObject([
      { detail: { streak: 3, scope: 'connection' } },
    ]);
    expect(await rig.act('streak')).toEqual({ ok: true, value: 'streak' });
    expect(await rig.events('streak', 'recovered')).toMatchObject([
      { reason: 'refresh_failing', detail: { by: 'refresh', failures: 2 } },
    ]);
  });

  it('a downgrade closes with recovered when the user reconnects', async () => {
    const row = await rig.connect('rita');
    rig.as.revokeGrantFor('rita');
    rig.clock.set(row.accessExpiresAt! + SEC);
    const out = await rig.act('rita');
    if (out.ok || out.failure.type !== 'auth_required') throw new Error('expected auth_required');
    await rig.act('rita'); // asked again: still one episode
    expect(await rig.events('rita', 'alert')).toMatchObject([{ reason: 'reauthorization_required' }]);
    await completeConsent(out.failure.start.authUrl, { name: 'rita' });
    expect(await rig.events('rita', 'recovered')).toMatchObject([
      { reason: 'reauthorization_required', detail: { by: 'reconnected' } },
    ]);
  });

  it('an idle spell closes with recovered on the next successful call', async () => {
    const row = await rig.connect('quiet');
    rig.clock.set(row.accessIssuedAt! + 3601 * SEC);
    await rig.tv.app.idleWatch.check();
    await rig.tv.app.idleWatch.check();
    expect(byReason(await rig.events('quiet', 'alert'), 'connection_idle')).toHaveLength(1);
    expect(await rig.act('quiet')).toEqual({ ok: true, value: 'quiet' });
    expect(await rig.events('quiet', 'recovered')).toMatchObject([{ reason: 'connection_idle' }]);
  });
});
