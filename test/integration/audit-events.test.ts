import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printEvents } from '../../src/cli/events.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * The audit trail, correlation ids, the alert rules and the flat-line alert, and `toolvault events`: what an
 * operator reads after the fact.
 */

const SEC = 1000;
const lines = (logs: string[]) => logs.map((l) => JSON.parse(l) as Record<string, any>);

describe('audit trail and correlation ids', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.connect('local');
  });
  afterAll(() => rig?.close());

  it('records every tool call — who, what, result, duration, correlation id — and never its arguments', async () => {
    const before = (await rig.tv.app.vault.store.listAudit()).length;
    await rig.tv.call('demo_whoami');
    await rig.tv.call('auth_status', { provider: 'CANARY-ARGUMENT-1' });
    await rig.tv.call('auth_start', { provider: 42 });
    await rig.tv.app.flushAudit();
    const records = (await rig.tv.app.vault.store.listAudit()).slice(before);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      at: rig.clock.now(),
      userId: 'local',
      tool: 'demo.whoami',
      provider: 'demo',
      status: 'ok',
      kind: null,
      correlationId: expect.stringMatching(/^call_[\w-]{12}$/),
    });
    expect(records[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(records[1]).toMatchObject({ tool: 'auth.status', status: 'ok' });
    expect(records[2]).toMatchObject({ tool: 'auth.start', status: 'error', kind: 'invalid_request' });
    expect(new Set(records.map((r) => r.correlationId)).size).toBe(3);
    expect(JSON.stringify(records)).not.toContain('CANARY-ARGUMENT');
    expect(rig.tv.logs.join('\n')).not.toContain('CANARY-ARGUMENT');
  });

  it('puts the call id on every log line and event of the call, and a refresh id on those of its refresh', async () => {
    rig.clock.set((await rig.row('local')).accessExpiresAt! + SEC);
    const from = rig.tv.logs.length;
    await rig.tv.call('demo_whoami');
    await rig.tv.app.flushAudit();
    const [record] = await rig.tv.app.vault.store.listAudit({ newestFirst: true, limit: 1 });
    const callId = record!.correlationId;
    const logged = lines(rig.tv.logs.slice(from));
    const refreshed = logged.find((l) => l.msg === 'refreshed');
    expect(refreshed).toMatchObject({ callId, refreshId: expect.stringMatching(/^refresh_/) });
    expect(logged.find((l) => l.msg === 'tool call')).toMatchObject({
      callId,
      tool: 'demo.whoami',
      status: 'ok',
    });
    // Nothing the call logged lacks its id.
    expect(logged.filter((l) => l.callId !== callId)).toEqual([]);
    const [event] = await rig.events('local', 'refreshed').then((e) => e.slice(-1));
    expect(event!.detail).toMatchObject({ callId, refreshId: refreshed!.refreshId });
  });

  it('gives a proactive refresh its own refresh id and no call id', async () => {
    rig.toLife(await rig.row('local'), 0.8);
    const from = rig.tv.logs.length;
    await rig.tv.app.scheduler.tick();
    const refreshed = lines(rig.tv.logs.slice(from)).find((l) => l.msg === 'refreshed');
    expect(refreshed).toMatchObject({ reason: 'proactive', refreshId: expect.stringMatching(/^refresh_/) });
    expect(refreshed).not.toHaveProperty('callId');
  });
});

describe('alerts', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ env: { TOOLVAULT_IDLE_ALERT_SEC: '3600' } });
  });
  afterAll(() => rig?.close());

  it('alerts when a connection needs reauthorization, once', async () => {
    const row = await rig.connect('rita');
    rig.as.revokeGrantFor('rita');
    rig.clock.set(row.accessExpiresAt! + SEC);
    await rig.act('rita');
    await rig.act('rita');
    const alerts = await rig.events('rita', 'alert');
    expect(alerts).toMatchObject([
      {
        reason: 'reauthorization_required',
        detail: { kind: 'revoked', because: 'refresh_rejected_and_probe_failed' },
      },
    ]);
  });

  it('alerts when a call needs a scope the grant lacks', async () => {
    await rig.connect('sam');
    rig.wire.failApiNext({
      status: 403,
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="api:write"' },
    });
    expect(await rig.act('sam')).toMatchObject({ ok: false, failure: { type: 'auth_required' } });
    expect(await rig.events('sam', 'alert')).toMatchObject([
      { reason: 'scope_update_required', detail: { kind: 'missing_scope', needed: ['api:write'] } },
    ]);
  });

  it('does not alert on what an operator did', async () => {
    const row = await rig.connect('olga');
    await rig.tv.app.operator.disable(row.id, 'test');
    await rig.tv.app.operator.enable(row.id, 'test');
    expect(await rig.events('olga', 'alert')).toEqual([]);
    expect((await rig.events('olga', 'state_changed')).slice(-2)).toMatchObject([
      { toState: 'disabled', reason: 'operator_disabled', detail: { actor: 'test' } },
      { fromState: 'disabled', toState: 'healthy', reason: 'operator_enabled' },
    ]);
  });

  it('announces the flat line: one alert per quiet spell of a healthy connection, none for others', async () => {
    const watch = rig.tv.app.idleWatch;
    const quiet = await rig.connect('quinn');
    const busy = await rig.connect('bea');
    const off = await rig.connect('otto');
    await rig.tv.app.operator.disable(off.id, 'test');
    rig.clock.set(Math.max(quiet.accessIssuedAt!, busy.accessIssuedAt!) + 3000 * SEC);
    expect(await rig.act('bea')).toMatchObject({ ok: true });
    rig.clock.advance(700 * SEC); // quinn: 3700 s without a success; bea: 700 s
    await watch.check();
    expect(await rig.events('quinn', 'alert')).toMatchObject([
      { reason: 'connection_idle', detail: { kind: 'idle', windowSec: 3600 } },
    ]);
    expect(await rig.events('bea', 'alert')).toEqual([]);
    expect(await rig.events('otto', 'alert')).toEqual([]);
    // Still quiet: no second alert for the same spell.
    rig.clock.advance(3600 * SEC);
    await watch.check();
    expect(await rig.events('quinn', 'alert')).toHaveLength(1);
    // A success ends the spell; the next long silence is announced again.
    expect(await rig.act('quinn')).toMatchObject({ ok: true });
    rig.clock.advance(3601 * SEC);
    await watch.check();
    expect(await rig.events('quinn', 'alert')).toHaveLength(2);
  });
});

describe('toolvault events', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.connect('local');
  });
  afterAll(() => rig?.close());

  it('prints the latest events as lines or JSON, and the audit trail with --audit', async () => {
    const out: string[] = [];
    await printEvents(rig.tv.app, { limit: 5 }, (l) => out.push(l));
    expect(out.at(-1)).toMatch(/^2026-.*Z #\d+ state_changed local\/demo .*-> healthy/);
    const json: string[] = [];
    await printEvents(rig.tv.app, { json: true, type: 'state_changed' }, (l) => json.push(l));
    expect(JSON.parse(json.at(-1)!)).toMatchObject({
      type: 'state_changed',
      toState: 'healthy',
      userId: 'local',
    });
    await rig.tv.call('demo_whoami');
    const audit: string[] = [];
    await printEvents(rig.tv.app, { audit: true }, (l) => audit.push(l));
    expect(audit.at(-1)).toMatch(/ demo\.whoami local\/demo ok \d+ ms call_/);
  });

  it('follows new events as they are written until stopped', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const following = printEvents(
      rig.tv.app,
      { follow: true, pollMs: 10, type: 'alert' },
      (l) => out.push(l),
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(out).toEqual([]);
    const row = await rig.row('local');
    rig.as.revokeGrantFor('local');
    rig.clock.set(row.accessExpiresAt! + SEC);
    await rig.act('local');
    const until = Date.now() + 2000;
    while (out.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await following;
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/ alert local\/demo \(reauthorization_required\) kind=revoked/);
  });
});
