import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ConfiguredProvider } from '../../providers/types.js';
import { nextProbeAt, PROBE_RETRY_MS } from './plan.js';
import type { Refresher } from './refresher.js';
import { probeToken } from '../token-probe.js';
import type { ConnectionRow } from '../../vault/types.js';
import type { Vault } from '../../vault/vault.js';

/**
 * The scheduled check of a token with no refresh plan (plan.ts): a probe with the provider's cheap read-only
 * call. Alive: the next probe is planned. Dead: the refresher takes over — it refreshes when it can, and
 * otherwise gathers the evidence (a refused refresh or none possible, and a failing probe) before any
 * downgrade. No answer: try again in a minute; a probe that cannot answer proves nothing (seed 004).
 */

export type CheckResult = 'alive' | 'refreshed' | 'downgraded' | 'failed' | 'unknown';

export interface CheckDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  refresher: Pick<Refresher, 'refresh'>;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  probeTimeoutMs?: number;
  random?: () => number;
}

export class ConnectionChecker {
  constructor(private readonly d: CheckDeps) {}

  async check(row: ConnectionRow): Promise<CheckResult> {
    const store = this.d.vault.store;
    const p = this.d.providers.get(row.provider);
    const now = this.d.clock.now();
    if (!p?.declaration.probe) {
      // Configuration changed under the row (provider gone, probe removed): nothing left to check with.
      await store.updateConnection(row.id, { nextCheckAt: null }, now);
      return 'unknown';
    }
    const finding = await probeToken(this.d, p, row, { timeoutMs: this.d.probeTimeoutMs ?? 10_000 });
    const at = this.d.clock.now();
    if (finding === 'alive') {
      const next = nextProbeAt(
        p.declaration,
        { now: at, accessExpiresAt: row.accessExpiresAt },
        this.d.random,
      );
      await store.updateConnection(row.id, { nextCheckAt: next }, at);
      return 'alive';
    }
    if (finding === 'no_answer') {
      await store.updateConnection(row.id, { nextCheckAt: at + PROBE_RETRY_MS }, at);
      return 'unknown';
    }
    // Dead, or unreadable: the refresher gathers the rest of the evidence, or records the unopenable secret
    // as the operator's problem, and backs off.
    if (finding === 'dead')
      this.d.log.info(
        { connection: row.id, provider: row.provider },
        'probe found the token dead; refreshing',
      );
    const out = await this.d.refresher.refresh(row.id, 'health', row.version);
    if (out.ok) return 'refreshed';
    if (out.downgraded) return 'downgraded';
    // The failed refresh set its own retry time (refreshDueAt); probing meanwhile would only repeat itself.
    await store.updateConnection(row.id, { nextCheckAt: null }, this.d.clock.now());
    return 'failed';
  }
}
