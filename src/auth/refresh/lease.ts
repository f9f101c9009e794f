import type { Clock } from '../../clock.js';
import type { Store } from '../../vault/types.js';

/**
 * Keeps a refresh lease alive while its holder is working (token endpoint call, probe). A lease that lapses
 * under a live holder lets a second worker present the same refresh token, and a provider with reuse
 * detection (oidc-provider, Auth0) then revokes the whole grant. Renewing every third of the lease means only
 * a dead or frozen holder loses it; its lease then expires on its own and another worker takes over.
 */
export class LeaseKeeper {
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  #stopped = false;
  /** A renewal found the lease in someone else's hands: the commit will be fenced out. */
  lost = false;

  constructor(
    private readonly store: Store,
    private readonly id: string,
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  /** Renews every `everyMs` real milliseconds; 0 disables renewal. */
  start(everyMs: number): this {
    if (everyMs <= 0) return this;
    this.#timer = setInterval(() => {
      if (this.#stopped) return;
      this.#pending = this.store
        .acquireLease(this.id, this.owner, this.clock.now(), this.leaseMs)
        .then((row) => {
          if (!row) this.lost = true;
        })
        .catch(() => undefined);
    }, everyMs);
    this.#timer.unref();
    return this;
  }

  /** Stops renewing; resolves once no renewal is in flight, so a release after it cannot be undone. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
  }
}
