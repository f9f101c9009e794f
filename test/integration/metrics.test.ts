import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape } from '../support/prometheus.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { startToolvault } from '../support/toolvault.js';

/**
 * /metrics after scripted scenarios: each step scrapes, acts, scrapes again and checks that exactly the
 * series it should have moved did (a refresh of each kind, a 5xx burst, a revocation, tool calls).
 */

const SEC = 1000;

describe('GET /metrics', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());
  const m = () => scrape(rig.tv.url);
  const attempts = (reason: string, outcome: string) => ({ provider: 'demo', reason, outcome });

  it('serves Prometheus text with every configured provider at zero before any connection', async () => {
    const res = await fetch(`${rig.tv.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = await m();
    expect(s.has('toolvault_connections', { provider: 'demo', state: 'healthy' })).toBe(true);
    expect(s.value('toolvault_connections', { provider: 'demo' })).toBe(0);
    expect(s.text).toContain('# TYPE toolvault_tool_call_duration_seconds histogram');
    expect(s.has('toolvault_seconds_since_last_refresh')).toBe(false);
  });

  it('counts connections by state and ages the oldest token with the clock', async () => {
    await rig.connect('local');
    let s = await m();
    expect(s.value('toolvault_connections', { provider: 'demo', state: 'healthy' })).toBe(1);
    expect(s.value('toolvault_oldest_token_age_seconds', { provider: 'demo' })).toBe(0);
    rig.clock.advance(42 * SEC);
    s = await m();
    expect(s.value('toolvault_oldest_token_age_seconds', { provider: 'demo' })).toBe(42);
  });

  it('counts a proactive refresh and reports the seconds since the last one', async () => {
    const before = await m();
    rig.toLife(await rig.row('local'), 0.8);
    expect(await rig.tv.app.scheduler.tick()).toMatchObject({ refreshed: 1 });
    let s = await m();
    expect(s.value('toolvault_refresh_attempts_total', attempts('proactive', 'ok'))).toBe(
      before.value('toolvault_refresh_attempts_total', attempts('proactive', 'ok')) + 1,
    );
    expect(s.value('toolvault_seconds_since_last_refresh', { provider: 'demo' })).toBe(0);
    expect(s.value('toolvault_oldest_token_age_seconds', { provider: 'demo' })).toBe(0);
    rig.clock.advance(100 * SEC);
    s = await m();
    expect(s.value('toolvault_seconds_since_last_refresh', { provider: 'demo' })).toBe(100);
  });

  it('counts tool calls by result, times them, and tells preflight from reactive refreshes', async () => {
    const before = await m();
    rig.clock.set((await rig.row('local')).accessExpiresAt! + SEC);
    expect((await rig.tv.call('demo_whoami')).isError).toBeFalsy();
    rig.wire.failApiNext({ status: 401, body: { error: 'invalid_token' } });
    expect((await rig.tv.call('demo_whoami')).isError).toBeFalsy();
    expect((await rig.tv.call('auth_status', {})).isError).toBeFalsy();
    const s = await m();
    const delta = (name: string, labels: Record<string, string>) =>
      s.value(name, labels) - before.value(name, labels);
    expect(delta('toolvault_refresh_attempts_total', attempts('preflight', 'ok'))).toBe(1);
    expect(delta('toolvault_refresh_attempts_total', attempts('reactive', 'ok'))).toBe(1);
    expect(delta('toolvault_tool_calls_total', { tool: 'demo.whoami', status: 'ok' })).toBe(2);
    expect(delta('toolvault_tool_calls_total', { tool: 'auth.status', status: 'ok' })).toBe(1);
    expect(delta('toolvault_tool_call_duration_seconds_count', { tool: 'demo.whoami' })).toBe(2);
    expect(s.value('toolvault_tool_call_duration_seconds_sum', { tool: 'demo.whoami' })).toBeGreaterThan(0);
    expect(s.value('toolvault_tool_call_duration_seconds_bucket', { tool: 'demo.whoami', le: '+Inf' })).toBe(
      s.value('toolvault_tool_call_duration_seconds_count', { tool: 'demo.whoami' }),
    );
  });

  it('counts a 5xx burst as transient attempts, failed calls and one alert, and keeps the state', async () => {
    const before = await m();
    rig.clock.set((await rig.row('local')).accessExpiresAt! + SEC);
    for (let i = 0; i < 3; i++) {
      rig.as.failNext('500');
      expect(await rig.tv.call('demo_whoami')).toMatchObject({ isError: true });
      rig.clock.set((await rig.row('local')).refreshDueAt!);
    }
    const s = await m();
    const delta = (name: string, labels: Record<string, string>) =>
      s.value(name, labels) - before.value(name, labels);
    expect(delta('toolvault_refresh_attempts_total', attempts('preflight', 'transient'))).toBe(3);
    expect(
      delta('toolvault_tool_calls_total', { tool: 'demo.whoami', status: 'error', kind: 'transient' }),
    ).toBe(3);
    expect(delta('toolvault_alerts_total', { provider: 'demo', reason: 'refresh_failing' })).toBe(1);
    expect(s.value('toolvault_connections', { provider: 'demo', state: 'healthy' })).toBe(1);
    // The outage ends: the next call refreshes and succeeds.
    expect((await rig.tv.call('demo_whoami')).isError).toBeFalsy();
  });

  it('counts a revocation: the rejected attempt, the state change, the alert and the gauge', async () => {
    const before = await m();
    const bob = await rig.connect('bob');
    rig.as.revokeGrantFor('bob');
    rig.clock.set(Math.max(rig.clock.now(), bob.accessExpiresAt! + SEC));
    expect(await rig.act('bob')).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    const s = await m();
    const delta = (name: string, labels: Record<string, string>) =>
      s.value(name, labels) - before.value(name, labels);
    expect(delta('toolvault_refresh_attempts_total', attempts('preflight', 'revoked'))).toBe(1);
    expect(
      delta('toolvault_connection_state_changes_total', { provider: 'demo', to: 'reauthorization_required' }),
    ).toBe(1);
    expect(delta('toolvault_alerts_total', { provider: 'demo', reason: 'reauthorization_required' })).toBe(1);
    expect(s.value('toolvault_connections', { provider: 'demo', state: 'reauthorization_required' })).toBe(1);
    expect(s.value('toolvault_connections', { provider: 'demo', state: 'healthy' })).toBe(1);
    // A token that can no longer be used does not count as the oldest one in use.
    expect(s.value('toolvault_oldest_token_age_seconds', { provider: 'demo' })).toBeLessThan(3600);
  });

  it('keeps each app in its own registry', async () => {
    const other = await startToolvault();
    try {
      const s = await scrape(other.url);
      expect(s.value('toolvault_refresh_attempts_total')).toBe(0);
      expect(s.value('toolvault_tool_calls_total')).toBe(0);
      expect((await m()).value('toolvault_refresh_attempts_total')).toBeGreaterThan(5);
    } finally {
      await other.close();
    }
  });
});
