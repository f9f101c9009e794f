import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthClients } from '../../src/auth/oauth-client.js';
import { Refresher, type RefreshOutcome } from '../../src/auth/refresh/refresher.js';
import { Episodes } from '../../src/ops/episodes.js';
import { type SlackFake, startSlackFake } from '../fakes/slack.js';
import { completeConsent } from '../support/browser.js';
import { FakeClock } from '../support/clock.js';
import { spawnWorker } from '../support/processes.js';
import { type Rig, startRig } from '../support/refresh-rig.js';
import { type Harness, sc, startToolvault } from '../support/toolvault.js';

/**
 * One refresh per credential at a time. oidc-provider detects refresh token reuse: a token presented twice
 * revokes the whole grant, so a single duplicate refresh here would end every later call in auth_required.
 * These tests count token requests at the authorization server, and check that no refresh token was ever
 * presented twice and no grant was revoked.
 */

describe('concurrent callers of one expired token', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  it('500 concurrent tool calls on an expired token cause exactly one token request and all succeed', async () => {
    const before = await rig.connect('local');
    rig.clock.set(before.accessExpiresAt! + 1_000);
    rig.as.clearTokenRequests();
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 500 }, () => rig.tv.call('demo_whoami')));
    const ms = performance.now() - started;

    expect(results.filter((r) => !r.isError && sc(r).subject === 'local')).toHaveLength(500);
    expect(rig.as.tokenRequests()).toHaveLength(1);
    expect(rig.as.tokenRequests()[0]).toMatchObject({ grantType: 'refresh_token', status: 200 });
    const after = await rig.row('local');
    expect(after.version).toBe(before.version + 1);
    // Every call went out with the one new token, none with the expired one.
    const used = new Set(rig.wire.apiCalls({ probes: false }).map((c) => c.token));
    expect(used.size).toBe(1);
    expect(rig.wire.badCalls()).toEqual([]);
    expect(rig.grantRevocations).toEqual([]);
    expect(ms).toBeLessThan(10_000);
    console.info(`500 concurrent calls on an expired token: ${Math.round(ms)} ms, 1 token request`);
  });

  it('4 OS processes x 100 concurrent calls sharing one vault make exactly one token request', async () => {
    const before = await rig.connect('multi');
    rig.as.clearTokenRequests();
    const env = {
      TOOLVAULT_HOME: rig.tv.home,
      TOOLVAULT_CONFIG: `${rig.tv.home}/toolvault.config.json`,
      TOOLVAULT_MASTER_KEY: rig.tv.masterKey,
      TOOLVAULT_DEMO: '0',
    };
    const clockAt = String(before.accessExpiresAt! + 5_000);
    const workers = Array.from({ length: 4 }, () =>
      spawnWorker('test/support/refresh-worker.ts', ['calls', clockAt, 'multi', '100'], env),
    );
    expect(await Promise.all(workers.map((w) => w.next()))).toEqual(Array(4).fill('ready'));
    const started = performance.now();
    for (const w of workers) w.send('go');
    const results = (await Promise.all(workers.map((w) => w.next()))).map(
      (l) => JSON.parse(l) as { owner: string; ok: number; failures: string[]; tokenRequests: number },
    );
    const ms = performance.now() - started;
    expect(await Promise.all(workers.map((w) => w.exited()))).toEqual([0, 0, 0, 0]);

    expect(results.map((r) => r.failures)).toEqual([[], [], [], []]);
    expect(results.reduce((n, r) => n + r.ok, 0)).toBe(400);
    expect(rig.as.tokenRequests()).toEqual([
      expect.objectContaining({ grantType: 'refresh_token', status: 200 }),
    ]);
    expect(results.reduce((n, r) => n + r.tokenRequests, 0)).toBe(1);
    const after = await rig.row('multi');
    expect(after).toMatchObject({ version: before.version + 1, state: 'healthy', leaseOwner: null });
    expect(rig.grantRevocations).toEqual([]);
    console.info(`4 processes x 100 calls: ${Math.round(ms)} ms after go, 1 token request`);
  });

  it('never presents one refresh token twice, across every refresh above', () => {
    expect(rig.presentedRefreshTokens.length).toBeGreaterThanOrEqual(2);
    expect(new Set(rig.presentedRefreshTokens).size).toBe(rig.presentedRefreshTokens.length);
    expect(rig.grantRevocations).toEqual([]);
  });
});

/**
 * Rotation conflicts, against the Slack fake: Slack kills a refresh token on use without revoking the install,
 * so a late duplicate answers `invalid_refresh_token` and leaves the new tokens alive — the case where a
 * worker must reread and use what the other stored, never downgrade.
 */
describe('rotation conflicts', () => {
  let slack: SlackFake;
  let tv: Harness;
  const clock = new FakeClock(Date.UTC(2026, 3, 1));
  let gate: Gate | null = null;
  // Token requests wait at an armed gate (a worker frozen before its request reaches Slack).
  const gatedFetch: typeof fetch = async (input, init) => {
    const g = gate;
    if (g && init?.method === 'POST' && init.body instanceof URLSearchParams && init.body.has('grant_type')) {
      gate = null;
      await g.pass();
    }
    return fetch(input, init);
  };
  const armGate = () => {
    gate = new Gate();
    return gate;
  };

  beforeAll(async () => {
    slack = await startSlackFake({ now: () => clock.now() });
    tv = await startToolvault({
      clock,
      providers: {
        slack: {
          clientId: slack.clientId,
          clientSecret: slack.clientSecret,
          authorizeUrl: `${slack.url}/oauth/v2/authorize`,
          tokenUrl: `${slack.url}/api/oauth.v2.access`,
          apiBaseUrl: `${slack.url}/api`,
        },
      },
    });
  });
  afterAll(async () => {
    await tv?.close();
    await slack?.close();
  });

  async function connect(userId: string) {
    slack.setConsentingUser({ userId });
    const started = await tv.app.services.consent.start(userId, 'slack');
    if (started.status !== 'pending') throw new Error('not pending');
    await completeConsent(started.authUrl);
    const row = await tv.app.vault.store.getConnection(userId, 'slack');
    if (!row) throw new Error('not connected');
    return row;
  }
  const authTest = (userId: string) =>
    tv.app.services.access.call(userId, 'slack', [], async (api) => {
      const r = await api.request('POST', 'auth.test');
      return (r.body as { user_id?: string }).user_id;
    });
  const slowWorker = (renewMs: number) =>
    new Refresher({
      vault: tv.app.vault,
      providers: tv.app.providers,
      oauth: new OAuthClients(tv.app.providers, { fetch: gatedFetch }),
      clock,
      log: tv.app.log,
      episodes: new Episodes({ store: () => tv.app.vault.store, clock, log: tv.app.log }),
      renewMs,
    });

  it('a worker answered invalid_grant after another rotated rereads and uses the stored token', async () => {
    const row = await connect('U_FROZEN');
    clock.set(row.accessExpiresAt! + 1_000);
    slack.clearRequests();
    const before = slack.tokenRequests()['refresh_token'] ?? 0;

    // Worker A takes the lease and freezes before its request reaches Slack (no lease renewal: a stalled
    // process). Its lease lapses; worker B (the app) takes over and rotates.
    const frozen = slowWorker(0);
    const g = armGate();
    const a: Promise<RefreshOutcome> = frozen.refresh(row.id, 'reactive', row.version);
    await g.reached;
    clock.advance(31_000);
    expect(await authTest('U_FROZEN')).toEqual({ ok: true, value: 'U_FROZEN' });
    const rotated = await tv.app.vault.store.getConnectionById(row.id);
    expect(rotated?.version).toBe(row.version + 1);

    // A's request now arrives with the spent refresh token: invalid_refresh_token, a definitive grant error.
    g.open();
    const outcome = await a;
    expect(outcome).toMatchObject({ ok: true, refreshed: false });
    expect(outcome.row?.version).toBe(row.version + 1);
    expect(slack.tokenRequests()['refresh_token']).toBe(before + 2);
    const after = await tv.app.vault.store.getConnectionById(row.id);
    expect(after).toMatchObject({ state: 'healthy', version: row.version + 1, failureStreak: 0 });
    // No probe was needed: the reread explained the rejection.
    expect(slack.requests().filter((r) => r.path === '/api/auth.test')).toHaveLength(1);
    const events = await tv.app.vault.store.listEvents({ connectionId: row.id });
    expect(
      events.filter((e) => e.type === 'state_changed' && e.toState === 'reauthorization_required'),
    ).toEqual([]);
    expect(events.filter((e) => e.type === 'refresh_failed')).toEqual([]);
    expect(await authTest('U_FROZEN')).toEqual({ ok: true, value: 'U_FROZEN' });
  });

  it('a live holder renews its lease, so a slow token request is never duplicated', async () => {
    const row = await connect('U_SLOW');
    clock.set(row.accessExpiresAt! + 1_000);
    const before = slack.tokenRequests()['refresh_token'] ?? 0;
    const slow = slowWorker(10);
    const g = armGate();
    const a = slow.refresh(row.id, 'reactive', row.version);
    await g.reached;
    clock.advance(31_000); // past the lease as first taken
    // Wait (real time) for a renewal to push the lease past the new clock.
    for (let i = 0; i < 400; i++) {
      const r = await tv.app.vault.store.getConnectionById(row.id);
      if (r?.leaseExpiresAt && r.leaseExpiresAt > clock.now()) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const b = authTest('U_SLOW'); // waits on the lease instead of refreshing
    await new Promise((r) => setTimeout(r, 60));
    // A's request is still held before Slack; B sent none of its own.
    expect(slack.tokenRequests()['refresh_token'] ?? 0).toBe(before);
    g.open();
    expect(await a).toMatchObject({ ok: true, refreshed: true });
    expect(await b).toEqual({ ok: true, value: 'U_SLOW' });
    expect(slack.tokenRequests()['refresh_token']).toBe(before + 1);
  });
});

class Gate {
  readonly reached: Promise<void>;
  #arrive!: () => void;
  #open: () => void = () => undefined;
  constructor() {
    this.reached = new Promise((r) => {
      this.#arrive = r;
    });
  }
  pass(): Promise<void> {
    const held = new Promise<void>((r) => {
      this.#open = r;
    });
    this.#arrive();
    return held;
  }
  open(): void {
    this.#open();
  }
}
