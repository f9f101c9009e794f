import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ConnectionChecker } from './checks.js';
import type { LifecycleObserver } from './observer.js';
import type { Refresher } from './refresher.js';
import type { ConnectionRow, Store } from '../../vault/types.js';

/**
 * Proactive refresh: finds usable connections past their due time (75% of the token's life, with jitter
 * set when the token was stored, or a keep-alive before a refresh token's idle limit) and refreshes them with
 * bounded concurrency, so a thousand connections issued together are not refreshed in one burst and no call
 * waits on a refresh it could have avoided. Tokens with no refresh plan are probed when their check is due
 * (checks.ts). Each pass ends by closing provider alert episodes that have settled (episodes.ts).
 */
export interface SchedulerOptions {
  intervalMs?: number;
  batch?: number;
  concurrency?: number;
}

export interface TickReport {
  due: number;
  refreshed: number;
  /** Already fresh, or being refreshed by another worker (its lease held): nothing to do here. */
  skipped: number;
  failed: number;
  /** Tokens without a refresh plan that were probed (present when there were any). */
  probed?: number;
}

export class RefreshScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<TickReport> | undefined;
  /** Clock time the last pass finished, for the heartbeat: a stalled scheduler must not look healthy. */
  lastTickAt: number | null = null;
  lastReport: TickReport | null = null;

  constructor(
    private readonly d: {
      store: Store;
      refresher: Refresher;
      clock: Clock;
      log: Logger;
      checker?: ConnectionChecker;
      episodes?: Pick<LifecycleObserver, 'sweep'>;
    },
    private readonly o: SchedulerOptions = {},
  ) {}

  /** One pass over what is due now; overlapping calls share the pass in progress. */
  tick(): Promise<TickReport> {
    this.#running ??= this.#tick().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #tick(): Promise<TickReport> {
    const due = await this.d.store.listDue(this.d.clock.now(), this.o.batch ?? 200);
    const report: TickReport = { due: due.length, refreshed: 0, skipped: 0, failed: 0 };
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < due.length; i = next++) {
        const row = due[i]!;
        try {
          if (!this.#refreshDue(row)) {
            if (!this.d.checker) {
              report.skipped++;
              continue;
            }
            report.probed = (report.probed ?? 0) + 1;
            const seen = await this.d.checker.check(row);
            if (seen === 'refreshed') report.refreshed++;
            else if (seen === 'failed' || seen === 'downgraded') report.failed++;
            else report.skipped++;
            continue;
          }
          const out = await this.d.refresher.refresh(row.id, 'proactive', row.version);
          if (!out.ok) report.failed++;
          else if (out.refreshed) report.refreshed++;
          else report.skipped++;
        } catch (err) {
          report.failed++;
          this.d.log.error({ connection: row.id, err: (err as Error).message }, 'proactive refresh crashed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 4, due.length) }, worker));
    await this.d.episodes?.sweep().catch((err: unknown) => {
      this.d.log.error({ err: (err as Error).message }, 'episode sweep failed');
    });
    this.lastTickAt = this.d.clock.now();
    this.lastReport = report;
    return report;
  }

  /** Listed because its refresh is due (else because its probe is). */
  #refreshDue(row: ConnectionRow): boolean {
    return row.refreshDueAt !== null && row.refreshDueAt <= this.d.clock.now();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.tick().catch((err: unknown) =>
        this.d.log.error({ err: (err as Error).message }, 'scheduler tick failed'),
      );
    }, this.o.intervalMs ?? 15_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
