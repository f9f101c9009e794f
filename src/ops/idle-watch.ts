import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Episodes } from './episodes.js';
import type { ConnectionRow, Store } from '../vault/types.js';
import { about, recordEvent } from '../vault/events.js';

/**
 * The flat line of seed 004: a healthy connection through which nothing has succeeded — no call, no refresh —
 * for `windowMs` is announced with one `connection_idle` alert per quiet spell (the next success starts a new
 * one). Silence is what nobody notices; this makes it an event. With `episodes` the spell is an episode: the
 * success that ends it (a call or a refresh) closes it with a `recovered` event.
 */
export class IdleWatch {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    private readonly d: {
      store: Store;
      clock: Clock;
      log: Logger;
      windowMs: number;
      intervalMs?: number;
      episodes?: Episodes;
    },
  ) {}

  /** One pass; resolves to the number of alerts raised. Overlapping calls share the pass in progress. */
  check(): Promise<number> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #check(): Promise<number> {
    const { store, clock, windowMs } = this.d;
    const now = clock.now();
    let raised = 0;
    for (const row of await store.listConnections()) {
      if (row.state !== 'healthy') continue;
      const since = lastSuccess(row);
      if (now - since < windowMs) continue;
      if (this.d.episodes) {
        const opened = await this.d.episodes.openForConnection(row, 'connection_idle', {
          kind: 'idle',
          idleSec: Math.floor((now - since) / 1000),
          windowSec: Math.floor(windowMs / 1000),
          lastUsedAt: row.lastUsedAt,
          lastRefreshAt: row.lastRefreshAt,
        });
        if (opened) raised++;
        continue;
      }
      const recent = await store.listEvents({
        connectionId: row.id,
        type: 'alert',
        newestFirst: true,
        limit: 20,
      });
      if (recent.some((e) => e.reason === 'connection_idle' && e.at >= since)) continue;
      await recordEvent(store, about(row), now, {
        type: 'alert',
        reason: 'connection_idle',
        detail: {
          kind: 'idle',
          idleSec: Math.floor((now - since) / 1000),
          windowSec: Math.floor(windowMs / 1000),
          lastUsedAt: row.lastUsedAt,
          lastRefreshAt: row.lastRefreshAt,
        },
      });
      this.d.log.warn(
        { connection: row.id, provider: row.provider, idleSec: Math.floor((now - since) / 1000) },
        'alert: connection_idle (no successful call or refresh in the alert window)',
      );
      raised++;
    }
    return raised;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.check().catch((err: unknown) =>
        this.d.log.error({ err: (err as Error).message }, 'idle check failed'),
      );
    }, this.d.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

/** The last time anything through this connection worked: a call, a refresh, or the consent itself. */
export function lastSuccess(row: ConnectionRow): number {
  return Math.max(row.lastUsedAt ?? 0, row.lastRefreshAt ?? 0, row.accessIssuedAt ?? row.createdAt);
}
