import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../vault/types.js';

/**
 * Keeps a refresh lease alive while its holder is working (token endpoint call, probe). A lease that lapses
 * under a live holder lets a second worker present the same refresh token, and a provider with reuse
 * detection (oidc-provider, Auth0) then revokes the whole grant. Renewing every third of the lease means only
 * a dead or frozen holder loses it; its lease then expires on its own and another worker takes over.
 *
 * A renewal that finds the lease in someone else's hands, or that fails (the store did not answer, so the
 * lease may lapse), marks it lost, logs it and stops renewing: a holder that lost its lease never takes it
 * back behind another worker. The holder's commit stays fenced by the lease owner and the row's version
 * (see COMMIT_REFRESH_SQL), which decides whether its tokens may still be kept.
 */
export class LeaseKeeper {
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  #stopped = false;
  /** A renewal found the lease in someone else's hands, or failed: the lease may be someone else's now. */
  lost = false;

  constructor(
    private readonly store: Store,
    private readonly id: string,
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {}

  /** Renews every `everyMs` real milliseconds; 0 disables renewal. */
  start(everyMs: number): this {
    if (everyMs <= 0) return this;
    this.#timer = setInterval(() => {
      if (this.#stopped) return;
      this.#pending = this.store.acquireLease(this.id, this.owner, this.clock.now(), this.leaseMs).then(
        (row) => {
          if (!row) this.#lose('taken by another worker');
        },
        (err: unknown) => this.#lose('renewal failed', err),
      );
    }, everyMs);
    this.#timer.unref();
    return this;
  }

  #lose(why: string, err?: unknown): void {
    if (this.lost) return;
    this.lost = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.log.error(
      { connection: this.id, why, ...(err !== undefined ? { err: (err as Error).message } : {}) },
      'refresh lease lost',
    );
  }

  /** Stops renewing; resolves once no renewal is in flight, so a release after it cannot be undone. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
  }
}
