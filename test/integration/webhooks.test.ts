import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/vault/types.js';
import { createLogger } from '../../src/log.js';
import { verifySignature, WebhookSender } from '../../src/ops/webhooks.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

/**
 * Webhooks against a local receiver that checks every signature as a real one would and refuses the first
 * attempts: retries with capped backoff, the same delivery id each time, final answers not retried, and no
 * credential in any payload.
 */

const SECRET = 'whsec-0123456789abcdef';
const log = createLogger('silent');

let seq = 0;
function event(over: Partial<EventRow> = {}): EventRow {
  seq++;
  return {
    id: seq,
    at: Date.UTC(2026, 0, 1),
    type: 'alert',
    connectionId: 'conn_1',
    userId: 'alice',
    provider: 'demo',
    fromState: null,
    toState: null,
    reason: 'refresh_failing',
    detail: { kind: 'transient', streak: 3 },
    ...over,
  };
}

describe('WebhookSender', () => {
  let rx: Receiver;
  let sender: WebhookSender | undefined;
  beforeAll(async () => {
    rx = await startReceiver(SECRET);
  });
  afterEach(async () => {
    await sender?.close(0);
    rx.deliveries.length = 0;
  });
  afterAll(() => rx?.close());
  const make = (over: Partial<ConstructorParameters<typeof WebhookSender>[0]> = {}) =>
    (sender = new WebhookSender({
      config: { url: rx.url, secret: SECRET, events: 'all' },
      log,
      baseDelayMs: 10,
      maxDelayMs: 40,
      ...over,
    }));

  it('signs the raw body with HMAC-SHA256 and retries 5xx, 429 and resets until delivered', async () => {
    const outcomes: string[] = [];
    make({ onOutcome: (o) => outcomes.push(o) });
    rx.failNext(503);
    rx.failNext(500);
    rx.failNext(429, 1, { 'retry-after': '0' });
    const e = event();
    sender!.enqueue(e);
    await sender!.idle();
    expect(rx.deliveries.map((d) => d.answered)).toEqual([503, 500, 429, 200]);
    expect(outcomes).toEqual(['retry', 'retry', 'retry', 'delivered']);
    for (const d of rx.deliveries) {
      expect(d.signatureValid).toBe(true);
      expect(d.headers['x-toolvault-signature']).toBe(
        `sha256=${createHmac('sha256', SECRET).update(d.raw).digest('hex')}`,
      );
      expect(d.headers['x-toolvault-delivery']).toBe(String(e.id));
      expect(d.headers['x-toolvault-event']).toBe('alert');
      expect(d.headers['content-type']).toBe('application/json');
      // The timestamp header is also inside the signed body, so a receiver can refuse replays.
      expect(Number(d.headers['x-toolvault-timestamp'])).toBe(d.body['sentAt']);
      expect(Math.abs(d.body['sentAt'] - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(rx.deliveries[3]!.body).toMatchObject({
      id: e.id,
      type: 'alert',
      at: '2026-01-01T00:00:00.000Z',
      connectionId: 'conn_1',
      userId: 'alice',
      provider: 'demo',
      reason: 'refresh_failing',
      detail: { kind: 'transient', streak: 3 },
    });
  });

  it('a signature does not verify under another secret or over a changed body', async () => {
    make();
    sender!.enqueue(event());
    await sender!.idle();
    const [d] = rx.deliveries;
    const header = String(d!.headers['x-toolvault-signature']);
    expect(verifySignature(SECRET, d!.raw, header)).toBe(true);
    expect(verifySignature('another-secret-entirely', d!.raw, header)).toBe(false);
    expect(verifySignature(SECRET, d!.raw.replace('alice', 'mallory'), header)).toBe(false);
    expect(verifySignature(SECRET, d!.raw, null)).toBe(false);
  });

  it('backs off exponentially with jitter and never waits longer than the cap', async () => {
    make({ random: () => 1, maxAttempts: 6 });
    rx.failNext(503, 5);
    sender!.enqueue(event());
    await sender!.idle();
    const gaps = rx.deliveries.slice(1).map((d, i) => d.at - rx.deliveries[i]!.at);
    expect(gaps).toHaveLength(5);
    // 10, 20, 40, 40, 40 ms planned (capped at 40); timers may run late, never early.
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    for (const g of gaps) expect(g).toBeLessThan(40 + 100);
    expect(rx.deliveries.at(-1)!.answered).toBe(200);
  });

  it('gives up after the last attempt, and does not retry a final 4xx', async () => {
    const outcomes: string[] = [];
    make({ maxAttempts: 3, onOutcome: (o) => outcomes.push(o) });
    rx.failNext(503, 3);
    sender!.enqueue(event());
    await sender!.idle();
    expect(rx.deliveries).toHaveLength(3);
    expect(outcomes.at(-1)).toBe('gave_up');

    rx.deliveries.length = 0;
    rx.failNext(400);
    sender!.enqueue(event());
    await sender!.idle();
    expect(rx.deliveries).toHaveLength(1);
    expect(outcomes.at(-1)).toBe('rejected');
  });

  it('delivers in order, only the types asked for, and drops credential-named fields at any depth', async () => {
    make({ config: { url: rx.url, secret: SECRET, events: ['alert', 'state_changed'] } });
    sender!.enqueue(event({ type: 'refreshed' }));
    sender!.enqueue(
      event({
        type: 'state_changed',
        detail: {
          refresh_token: 'CANARY-1',
          nested: { accessToken: 'CANARY-2', ok: true },
          list: [{ secret: 'CANARY-3' }],
        },
      }),
    );
    sender!.enqueue(event({ type: 'alert' }));
    await sender!.idle();
    expect(rx.deliveries.map((d) => d.body['type'])).toEqual(['state_changed', 'alert']);
    expect(rx.deliveries.map((d) => d.raw).join('')).not.toContain('CANARY');
    expect(rx.deliveries[0]!.body['detail']).toEqual({ nested: { ok: true }, list: [{}] });
  });
});

describe('webhooks from a running toolvault', () => {
  let rig: Rig;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver(SECRET);
    rig = await startRig({
      env: {
        TOOLVAULT_WEBHOOK_URL: rx.url,
        TOOLVAULT_WEBHOOK_SECRET: SECRET,
        TOOLVAULT_WEBHOOK_EVENTS: 'alert,state_changed',
      },
    });
  });
  afterAll(async () => {
    await rig?.close();
    await rx?.close();
  });

  it('delivers the state change and the alert of a revoked grant, signed, after the receiver failed once', async () => {
    const row = await rig.connect('alice');
    // The consent itself is a state change; then the receiver stumbles once.
    await rx.waitFor(1);
    rx.failNext(503);
    rig.as.revokeGrantFor('alice');
    rig.clock.set(row.accessExpiresAt! + 1000);
    expect(await rig.act('alice')).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const got = await rx.waitFor(3);
    expect(rx.deliveries.every((d) => d.signatureValid)).toBe(true);
    expect(rx.deliveries.filter((d) => d.answered === 503)).toHaveLength(1);
    const [changed, alert] = got.slice(1).map((d) => d.body);
    expect(changed).toMatchObject({
      type: 'state_changed',
      userId: 'alice',
      provider: 'demo',
      fromState: 'healthy',
      toState: 'reauthorization_required',
      detail: { refreshError: 'invalid_grant', probeStatus: 401 },
    });
    expect(alert).toMatchObject({
      type: 'alert',
      reason: 'reauthorization_required',
      detail: { kind: 'revoked' },
    });
    // The retried delivery carried the same id both times.
    const ids = rx.deliveries.slice(1).map((d) => d.headers['x-toolvault-delivery']);
    expect(ids[0]).toBe(ids[1]);
    // No token of the connection in any payload.
    const tokens = rig.tv.app.vault.openTokens(await rig.row('alice'));
    const all = rx.deliveries.map((d) => d.raw).join('\n');
    for (const t of [tokens.accessToken, tokens.refreshToken, SECRET, rig.as.clientSecret])
      expect(all).not.toContain(t);
    const metrics = await (await fetch(`${rig.tv.url}/metrics`)).text();
    expect(metrics).toMatch(/toolvault_webhook_deliveries_total\{outcome="retry"\} 1/);
  });
});
