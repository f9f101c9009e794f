import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src/ops/heartbeat.js';
import type { ConnectionRow, SealedSecret } from '../../src/vault/types.js';
import { type Rig, startRig } from '../support/refresh-rig.js';

/**
 * The probe step the scheduler's checks and the heartbeat share (auth/token-probe.ts): a secret that cannot
 * be opened is a named case — logged, and handed to the refresher, which records it as the operator's
 * problem and keeps the connection's state; anything else that goes wrong is logged and rethrown, never
 * taken for a dead token (a refresh on a guess) nor for "no answer" (silence).
 */

describe('the probe step', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig?.close());

  /** Re-stores the connection's tokens as never expiring, optionally under `secret`, due for a probe now. */
  async function neverExpiring(
    row: ConnectionRow,
    o: { secret?: (row: ConnectionRow) => SealedSecret; checkNow?: boolean } = {},
  ) {
    const held = await rig.tv.app.vault.store.acquireLease(row.id, 'test', rig.clock.now(), 1_000);
    const committed = await rig.tv.app.vault.store.commitRefresh(
      row.id,
      'test',
      held!.version,
      {
        secret: o.secret?.(held!) ?? held!.secret,
        scopes: held!.scopes,
        account: held!.account,
        accessExpiresAt: null,
        accessIssuedAt: null,
        refreshDueAt: null,
        nextCheckAt: o.checkNow ? rig.clock.now() : null,
      },
      rig.clock.now(),
    );
    return committed!;
  }

  /** A sealed secret under a key the ring does not hold (an operator dropped a key too early). */
  const underMissingKey = (row: ConnectionRow): SealedSecret => ({
    keyId: 'k_dropped',
    blob: row.secret.blob,
  });

  const logged = (msg: string) => rig.tv.logs.filter((l) => l.includes(msg));

  it('a scheduled check of an unreadable secret logs it and lets the refresher record it, state kept', async () => {
    const row = await neverExpiring(await rig.connect('check-unreadable'), {
      secret: underMissingKey,
      checkNow: true,
    });
    const tokenRequests = rig.wire.tokenRequests('refresh_token').length;
    await rig.tv.app.scheduler.tick();
    expect(logged('probe skipped: the stored secret cannot be opened').join('\n')).toContain(row.id);
    expect(await rig.row('check-unreadable')).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'secret_unreadable' },
    });
    expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(tokenRequests);
  });

  it('a scheduled check whose probe step fails unexpectedly logs it and starts no refresh', async () => {
    const row = await neverExpiring(await rig.connect('check-bug'), { checkNow: true });
    const vault = rig.tv.app.vault;
    const open = vault.openTokens.bind(vault);
    vault.openTokens = (r) => {
      if (r.id === row.id) throw new TypeError('a bug in the probe path');
      return open(r);
    };
    try {
      const tokenRequests = rig.wire.tokenRequests('refresh_token').length;
      const report = await rig.tv.app.scheduler.tick();
      expect(report.failed).toBeGreaterThanOrEqual(1);
      expect(logged('a bug in the probe path').join('\n')).toContain(row.id);
      expect(rig.wire.tokenRequests('refresh_token')).toHaveLength(tokenRequests);
      expect(await rig.row('check-bug')).toMatchObject({ state: 'healthy', lastError: null });
    } finally {
      vault.openTokens = open;
    }
  });

  it('the heartbeat counts and logs a never-expiring token whose secret is unreadable', async () => {
    const row = await neverExpiring(await rig.connect('beat-unreadable'), { secret: underMissingKey });
    const m = new HealthMonitor(
      {
        vault: rig.tv.app.vault,
        providers: rig.tv.app.providers,
        refresher: rig.tv.app.refresher,
        clock: rig.clock,
        log: rig.tv.app.log,
        fetch: rig.wire.fetch,
      },
      { probeEveryMs: 60_000 },
    );
    rig.clock.advance(61_000);
    expect(await m.check()).toMatchObject({ probed: 1, probeFailures: 1 });
    expect(logged('probe skipped: the stored secret cannot be opened').join('\n')).toContain(row.id);
    expect(await rig.row('beat-unreadable')).toMatchObject({
      state: 'healthy',
      lastError: { kind: 'config_error', code: 'secret_unreadable' },
    });
  });
});
