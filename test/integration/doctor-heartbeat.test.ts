import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/ops/doctor.js';
import { HealthMonitor } from '../../src/ops/heartbeat.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * Startup validation and the heartbeat (seeds 003 and 004): `doctor` proves every connection with a live
 * probe and exits non-zero listing what is broken and what to do; the server's periodic health check logs a
 * heartbeat with counts per state even when nothing happens, so silence is never mistaken for health.
 */

const run = promisify(execFile);

describe('toolvault doctor', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.connect('good');
    await rig.connect('stale');
    await rig.connect('gone');
  });
  afterAll(() => rig?.close());

  const doctor = () =>
    runDoctor({
      vault: rig.tv.app.vault,
      providers: rig.tv.app.providers,
      oauth: rig.tv.app.oauth,
      refresher: rig.tv.app.refresher,
      clock: rig.clock,
      log: rig.tv.app.log,
      fetch: rig.wire.fetch,
    });

  it('probes every connection, refreshes expired tokens first, and reports the revoked one as broken', async () => {
    rig.as.revokeGrantFor('gone');
    const stale = await rig.row('stale');
    rig.clock.set(stale.accessExpiresAt! + 1_000); // every token has expired by now
    const report = await doctor();
    expect(report.ok).toBe(false);
    const by = Object.fromEntries(report.findings.map((f) => [f.subject, f]));
    expect(by['provider demo']).toMatchObject({ status: 'ok' });
    expect(by['key']).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('3 of 3 stored secret(s) open'),
    });
    expect(by['good/demo']).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('works as good'),
    });
    expect(by['stale/demo']).toMatchObject({ status: 'ok' });
    expect(by['gone/demo']).toMatchObject({
      status: 'broken',
      action: 'toolvault connect demo --user gone',
    });
    // Its verdict came with evidence, through the refresher: refresh rejected AND probe failed.
    expect(await rig.row('gone')).toMatchObject({ state: 'reauthorization_required' });
    expect((await rig.stateChanges('gone'))[0]?.detail).toMatchObject({
      refreshError: 'invalid_grant',
      probeStatus: 401,
    });
    expect(await rig.row('good')).toMatchObject({ state: 'healthy', failureStreak: 0 });
    expect(rig.wire.badCalls()).toEqual([]);
  });

  it('reports a provider rejecting the client configuration as broken, without touching the connection', async () => {
    const good = await rig.row('good');
    rig.clock.set(good.accessExpiresAt! + 1_000);
    rig.as.failNext('invalid_client');
    const report = await doctor();
    const finding = report.findings.find((f) => f.subject === 'good/demo');
    expect(finding).toMatchObject({ status: 'broken', message: expect.stringContaining('invalid_client') });
    expect(finding?.action).toContain('providers.demo');
    expect(await rig.row('good')).toMatchObject({ state: 'healthy' });
  });

  it('the built CLI exits 1 listing what is broken and what to do, and 0 when all is well', async () => {
    assertBuilt();
    const env = {
      PATH: process.env['PATH'] ?? '',
      TOOLVAULT_HOME: rig.tv.home,
      TOOLVAULT_CONFIG: join(rig.tv.home, 'toolvault.config.json'),
      TOOLVAULT_MASTER_KEY: rig.tv.masterKey,
      TOOLVAULT_DEMO: '0',
    };
    const broken = await run(process.execPath, [CLI, 'doctor'], { env }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^BROKEN\s+gone\/demo\s+the grant is gone/m);
    expect(broken.stdout).toContain('-> toolvault connect demo --user gone');
    expect(broken.stdout).toMatch(/^ok\s+good\/demo\s+works as good/m);

    // Reconnecting is what the line says to do; then doctor is content (the CLI runs on the real clock).
    await rig.tv.app.vault.store.deleteConnection((await rig.row('gone')).id);
    const json = await run(process.execPath, [CLI, 'doctor', '--json'], { env });
    const parsed = JSON.parse(json.stdout) as { ok: boolean; findings: Array<{ status: string }> };
    expect(parsed.ok).toBe(true);
    expect(parsed.findings.every((f) => f.status === 'ok')).toBe(true);
  });

  it('the built CLI names a bad configuration or a wrong key as the broken thing', async () => {
    assertBuilt();
    const badConfig = join(rig.tv.home, 'bad.config.json');
    writeFileSync(badConfig, JSON.stringify({ providers: { demo: { type: 'oidc' } } }));
    const base = { PATH: process.env['PATH'] ?? '', TOOLVAULT_HOME: rig.tv.home, TOOLVAULT_DEMO: '0' };
    const fail = (env: Record<string, string>) =>
      run(process.execPath, [CLI, 'doctor'], { env }).then(
        () => ({ code: 0, stdout: '' }),
        (err: { code: number; stdout: string }) => err,
      );
    const cfg = await fail({ ...base, TOOLVAULT_CONFIG: badConfig, TOOLVAULT_MASTER_KEY: rig.tv.masterKey });
    expect(cfg.code).toBe(1);
    expect(cfg.stdout).toMatch(/^BROKEN\s+config\s+providers\.demo\.issuer/m);

    const key = await fail({
      ...base,
      TOOLVAULT_CONFIG: join(rig.tv.home, 'toolvault.config.json'),
      TOOLVAULT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(key.code).toBe(1);
    expect(key.stdout).toMatch(/^BROKEN\s+config\s+TOOLVAULT_MASTER_KEY/m);
  });
});

describe('the periodic health check and heartbeat', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  const monitor = (o: ConstructorParameters<typeof HealthMonitor>[1] = {}) =>
    new HealthMonitor(
      {
        vault: rig.tv.app.vault,
        providers: rig.tv.app.providers,
        refresher: rig.tv.app.refresher,
        clock: rig.clock,
        log: rig.tv.app.log,
        fetch: rig.wire.fetch,
        scheduler: rig.tv.app.scheduler,
      },
      o,
    );
  const heartbeats = () =>
    rig.tv.logs
      .filter((l) => l.includes('"msg":"heartbeat'))
      .map((l) => JSON.parse(l) as Record<string, any>);

  it('logs a heartbeat even with nothing to report, so silence is never health', async () => {
    const report = await monitor().check();
    expect(report).toMatchObject({ connections: 0, problems: [] });
    expect(heartbeats().at(-1)).toMatchObject({
      level: 30,
      heartbeat: { connections: 0, states: { healthy: 0 } },
    });
  });

  it('counts connections per state and names what needs attention', async () => {
    await rig.connect('h1');
    await rig.connect('h2');
    await rig.connect('r1');
    rig.as.revokeGrantFor('r1');
    const r1 = await rig.row('r1');
    rig.clock.set(r1.accessExpiresAt! + 1_000);
    await rig.act('r1'); // proven gone
    rig.clock.advance(6 * 60_000);
    await rig.act('h1'); // refreshed
    const report = await monitor().check();
    expect(report.states).toMatchObject({ healthy: 2, reauthorization_required: 1 });
    // h2 was not used since its token expired: the scheduler is not running in this test, so it shows.
    expect(report.expired).toBe(1);
    expect(report.overdue).toBe(1);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        '1 connection(s) need the user to reconnect',
        '1 usable connection(s) hold an expired token',
        '1 refresh(es) overdue: is the scheduler running?',
      ]),
    );
    expect(heartbeats().at(-1)).toMatchObject({ level: 40, msg: 'heartbeat: attention needed' });

    await rig.tv.app.scheduler.tick();
    const after = await monitor().check();
    expect(after).toMatchObject({ expired: 0, overdue: 0, schedulerLastTickAt: rig.clock.now() });
  });

  it('probes tokens that never expire and downgrades a dead one only through the refresher’s evidence', async () => {
    const row = await rig.connect('forever');
    // Re-store the same tokens as never expiring (as a GitHub OAuth App token would be).
    const held = await rig.tv.app.vault.store.acquireLease(row.id, 'test', rig.clock.now(), 1_000);
    await rig.tv.app.vault.store.commitRefresh(
      row.id,
      'test',
      held!.version,
      {
        secret: held!.secret,
        scopes: held!.scopes,
        account: held!.account,
        accessExpiresAt: null,
        accessIssuedAt: null,
        refreshDueAt: null,
      },
      rig.clock.now(),
    );
    const m = monitor({ probeEveryMs: 60_000 });
    rig.clock.advance(61_000);
    expect(await m.check()).toMatchObject({ probed: 1, probeFailures: 0 });
    expect(await m.check()).toMatchObject({ probed: 0 }); // not again until probeEveryMs has passed

    rig.as.revokeGrantFor('forever');
    rig.clock.advance(61_000);
    expect(await m.check()).toMatchObject({ probed: 1, probeFailures: 1 });
    expect(await rig.row('forever')).toMatchObject({ state: 'reauthorization_required' });
    expect((await rig.stateChanges('forever'))[0]).toMatchObject({
      detail: { refreshError: 'invalid_grant', probeStatus: 401, trigger: 'health' },
    });
  });
});
