import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ConfiguredProvider } from '../providers/types.js';
import { effectiveState } from '../auth/connections.js';
import { probeToken } from '../auth/token-probe.js';
import type { ExpiryWatch } from './expiry-watch.js';
import type { Refresher } from '../auth/refresh/refresher.js';
import { CONNECTION_STATES, type ConnectionRow, type ConnectionState } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';

/**
 * The server's periodic health check and its heartbeat (seed 004: "every silent path emits a heartbeat").
 * Every interval it logs one line with the connections per state, those failing to refresh, those whose
 * token has expired, and those the scheduler should have refreshed but has not — even when all is well and
 * even with no connections at all, so that silence is never mistaken for health. Tokens that never expire are
 * probed by the scheduler on their planned check (checks.ts); this check probes only those stored without a
 * plan (written before plans existed, or by hand), hands a failed probe to the refresher, which collects the
 * evidence before any downgrade, and counts connections nothing can check. It also runs the expiry watch:
 * refresh tokens about to end raise a warning telling their owner to reconnect (expiry-watch.ts).
 */

export interface HealthReport {
  at: number;
  connections: number;
  states: Record<ConnectionState, number>;
  /** Usable connections whose last refresh failed. */
  failing: number;
  /** Of those, the ones past the alert threshold or failing on configuration. */
  alerting: number;
  /** Usable connections whose access token has expired: calls need a refresh first (an outage, if many). */
  expired: number;
  /** Healthy connections due for refresh for longer than `overdueMs`, not backing off: a stalled scheduler. */
  overdue: number;
  schedulerLastTickAt: number | null;
  /** Probes of never-expiring tokens this check made, and how many said the token is dead. */
  probed: number;
  probeFailures: number;
  /** Usable connections with neither a refresh nor a probe planned: nothing will notice if they die. */
  unplanned: number;
  /** Usable connections whose refresh token ends within the warning window (a reconnect link was raised). */
  expiringSoon: number;
  /** One line each, for the log and `doctor`. */
  problems: string[];
}

export interface HealthDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  refresher: Refresher;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  scheduler?: { lastTickAt: number | null };
  /** Raises reconnect warnings before refresh tokens end. */
  expiry?: ExpiryWatch;
  /** Runs with every check, e.g. dropping expired web sessions, tickets and held grants. */
  housekeeping?: () => Promise<unknown>;
}

export interface HealthOptions {
  /** Between checks (real ms). Default one minute. */
  intervalMs?: number;
  /** A due refresh this late means the scheduler is not running. Default 5 minutes. */
  overdueMs?: number;
  /** How often a never-expiring token is probed. Default 6 hours. */
  probeEveryMs?: number;
  /** Probes per check at most, so a big vault does not hammer providers. Default 20. */
  probesPerCheck?: number;
  alertAfter?: number;
}

const USABLE = new Set<ConnectionState>(['healthy', 'scope_update_required']);

export class HealthMonitor {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<HealthReport> | undefined;
  readonly #probedAt = new Map<string, number>();
  last: HealthReport | null = null;

  constructor(
    private readonly d: HealthDeps,
    private readonly o: HealthOptions = {},
  ) {}

  /** One health check and heartbeat line; overlapping calls share the one in progress. */
  check(): Promise<HealthReport> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #check(): Promise<HealthReport> {
    const rows = await this.d.vault.store.listConnections();
    const probes = await this.#probeNeverExpiring(rows);
    const warned = this.d.expiry
      ? await this.d.expiry.check(rows).catch((err: unknown) => {
          this.d.log.error({ err: (err as Error).message }, 'expiry watch failed');
          return 0;
        })
      : 0;
    await this.d.housekeeping?.().catch((err: unknown) => {
      this.d.log.error({ err: (err as Error).message }, 'housekeeping failed');
    });
    const now = this.d.clock.now();
    const report = summarize(await this.d.vault.store.listConnections(), now, {
      overdueMs: this.o.overdueMs ?? 5 * 60_000,
      alertAfter: this.o.alertAfter ?? 3,
      schedulerLastTickAt: this.d.scheduler?.lastTickAt ?? null,
      ...(this.d.expiry ? { warnMs: this.d.expiry.warnMs } : {}),
    });
    report.probed = probes.probed;
    report.probeFailures = probes.failed;
    if (probes.failed > 0) report.problems.push(`${probes.failed} never-expiring token(s) failed a probe`);
    if (warned > 0) this.d.log.warn({ warned }, 'reconnect warnings raised for refresh tokens about to end');
    this.last = report;
    const { problems, at: _at, ...counts } = report;
    if (problems.length > 0) this.d.log.warn({ heartbeat: counts, problems }, 'heartbeat: attention needed');
    else this.d.log.info({ heartbeat: counts }, 'heartbeat');
    return report;
  }

  async #probeNeverExpiring(rows: ConnectionRow[]): Promise<{ probed: number; failed: number }> {
    const every = this.o.probeEveryMs ?? 6 * 3_600_000;
    const limit = this.o.probesPerCheck ?? 20;
    let probed = 0;
    let failed = 0;
    for (const row of rows) {
      if (probed >= limit) break;
      // The scheduler probes tokens that have a plan; this is the safety net for those without one.
      if (!USABLE.has(row.state) || row.accessExpiresAt !== null) continue;
      if (row.refreshDueAt !== null || row.nextCheckAt !== null) continue;
      const now = this.d.clock.now();
      const last = this.#probedAt.get(row.id) ?? row.lastRefreshAt ?? row.createdAt;
      if (now - last < every) continue;
      const p = this.d.providers.get(row.provider);
      if (!p?.declaration.probe) continue;
      this.#probedAt.set(row.id, now);
      probed++;
      const finding = await probeToken(this.d, p, row);
      if (finding === 'alive' || finding === 'no_answer') continue;
      failed++;
      // A failed probe is half the evidence: the refresher asks the provider for the other half (or, for an
      // unreadable secret, records the operator's problem).
      await this.d.refresher.refresh(row.id, 'health', row.version).catch((err: unknown) => {
        this.d.log.error({ connection: row.id, err: (err as Error).message }, 'health refresh crashed');
      });
    }
    return { probed, failed };
  }

  start(intervalMs = this.o.intervalMs ?? 60_000): void {
    if (this.#timer) return;
    const run = () => {
      this.check().catch((err: unknown) =>
        this.d.log.error({ err: (err as Error).message }, 'health check failed'),
      );
    };
    run();
    this.#timer = setInterval(run, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}

/** Counts per state and the trouble signs, from the rows alone (shared with `doctor`). */
export function summarize(
  rows: ConnectionRow[],
  now: number,
  o: { overdueMs: number; alertAfter: number; schedulerLastTickAt: number | null; warnMs?: number },
): HealthReport {
  const states = Object.fromEntries(CONNECTION_STATES.map((s) => [s, 0])) as Record<ConnectionState, number>;
  let failing = 0;
  let alerting = 0;
  let expired = 0;
  let overdue = 0;
  let unplanned = 0;
  let expiringSoon = 0;
  for (const row of rows) {
    states[effectiveState(row, now)]++;
    if (!USABLE.has(row.state)) continue;
    if (row.refreshDueAt === null && row.nextCheckAt === null) unplanned++;
    if (o.warnMs !== undefined && row.refreshExpiresAt !== null && row.refreshExpiresAt - now <= o.warnMs)
      expiringSoon++;
    if (row.failureStreak > 0) {
      failing++;
      if (row.failureStreak >= o.alertAfter || row.lastError?.kind === 'config_error') alerting++;
    }
    if (row.accessExpiresAt !== null && row.accessExpiresAt <= now) expired++;
    if (
      row.state === 'healthy' &&
      row.failureStreak === 0 &&
      row.refreshDueAt !== null &&
      now - row.refreshDueAt > o.overdueMs
    )
      overdue++;
  }
  const problems: string[] = [];
  const reauth = states.reauthorization_required;
  if (reauth > 0) problems.push(`${reauth} connection(s) need the user to reconnect`);
  if (alerting > 0) problems.push(`${alerting} connection(s) keep failing to refresh`);
  if (expired > 0) problems.push(`${expired} usable connection(s) hold an expired token`);
  if (overdue > 0) problems.push(`${overdue} refresh(es) overdue: is the scheduler running?`);
  if (unplanned > 0) problems.push(`${unplanned} connection(s) have no refresh or check planned`);
  if (expiringSoon > 0)
    problems.push(`${expiringSoon} connection(s) must be reconnected before their grant ends`);
  return {
    at: now,
    connections: rows.length,
    states,
    failing,
    alerting,
    expired,
    overdue,
    schedulerLastTickAt: o.schedulerLastTickAt,
    probed: 0,
    probeFailures: 0,
    unplanned,
    expiringSoon,
    problems,
  };
}
