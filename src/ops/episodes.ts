import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { LifecycleObserver, RefreshFailure } from '../auth/refresh/observer.js';
import type { ConnectionRow, EpisodeRow, EventRow, Store } from '../vault/types.js';
import { about, recordEvent } from '../vault/events.js';

/**
 * Alert episodes: an alert opens once per episode and a `recovered` event closes it, so an operator (and a
 * webhook receiver) sees one alert when trouble starts and one event when it is over — not one per failure.
 *
 * Episodes are scoped:
 * - a connection's: a refresh failure streak (`refresh_failing`, after `alertAfter` failures in a row), a
 *   grant the provider rejected while its token still works (`refresh_rejected_but_token_alive`), a secret
 *   that cannot be opened, a downgrade (`reauthorization_required`, `scope_update_required`), an idle spell
 *   (`connection_idle`), a refresh token about to end (`refresh_token_expiring`);
 * - a provider's: a configuration error (`provider_config_error`: client credentials and grant types are the
 *   provider's, not a user's) and an outage (`provider_outage`: `burstConnections` connections failing with
 *   5xx, timeouts or rate limits within `burstWindowMs`). While a provider episode is open its connections'
 *   failures are counted into it and raise nothing of their own: 50 connections in one outage make one alert.
 *
 * Closing: a connection's episode closes on the success that ends it (a refresh for failure streaks, a call
 * or refresh for idle spells, a completed consent for everything). A provider's closes once a success has
 * followed its last failure by `settleMs` — on that success, or on the next sweep (the scheduler runs one
 * every tick) — so a provider that alternates between failing and answering does not flap between alert and
 * recovered. Open episodes live in the store (one row each, the key unique), so two processes never raise
 * the same alert twice; the burst count is per process.
 */

export interface EpisodeOptions {
  /** A connection's streak of transient failures alerts at this length (default 3, DESIGN). */
  alertAfter?: number;
  /** Connections of one provider failing within `burstWindowMs` that make a provider outage (default 3). */
  burstConnections?: number;
  burstWindowMs?: number;
  /** Quiet time after the last failure before a provider episode is over (default 2 minutes). */
  settleMs?: number;
}

export interface EpisodeDeps extends EpisodeOptions {
  store: () => Store;
  clock: Clock;
  log: Logger;
}

/** Kinds that are about the provider or the network, never the user's grant. */
const OUTAGE_KINDS = new Set(['transient', 'rate_limited', 'unknown']);
/** Connection episodes a successful refresh ends. */
const ENDED_BY_REFRESH = new Set([
  'refresh_failing',
  'refresh_rejected_but_token_alive',
  'secret_unreadable',
  'connection_idle',
]);

export class Episodes implements LifecycleObserver {
  /** provider -> connection -> time of its last outage-kind failure (this process's view). */
  readonly #recent = new Map<string, Map<string, number>>();
  readonly #alertAfter: number;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #settleMs: number;

  constructor(private readonly d: EpisodeDeps) {
    this.#alertAfter = d.alertAfter ?? 3;
    this.#burst = d.burstConnections ?? 3;
    this.#windowMs = d.burstWindowMs ?? 2 * 60_000;
    this.#settleMs = d.settleMs ?? 2 * 60_000;
  }

  /** A refresh failed without proof that the grant is gone (refresh.ts records it, then asks here). */
  async refreshFailed(row: ConnectionRow, f: RefreshFailure, streak: number): Promise<void> {
    const now = this.d.clock.now();
    const detail = { kind: f.kind, code: f.code ?? null, streak };
    if (f.kind === 'config_error' && f.code !== 'secret_unreadable') {
      await this.#open('provider', row, 'provider_config_error', detail, now, true);
      return;
    }
    if (OUTAGE_KINDS.has(f.kind)) {
      const failing = this.#noteBurst(row, now);
      const outage = providerKey(row.provider, 'provider_outage');
      if (await this.d.store().noteEpisode(outage, { failureAt: now })) return;
      if (failing >= this.#burst) {
        const burst = { ...detail, connections: failing, windowSec: Math.round(this.#windowMs / 1000) };
        await this.#open('provider', row, 'provider_outage', burst, now, true);
        return;
      }
      if (streak >= this.#alertAfter)
        await this.#open('connection', row, 'refresh_failing', detail, now, true);
      return;
    }
    const reason =
      f.code === 'secret_unreadable'
        ? 'secret_unreadable'
        : f.kind === 'revoked'
          ? 'refresh_rejected_but_token_alive'
          : 'refresh_failing';
    await this.#open('connection', row, reason, detail, now, true);
  }

  /** A refresh committed: ends the connection's failure and idle episodes, and counts toward a provider's. */
  async refreshSucceeded(row: ConnectionRow): Promise<void> {
    const now = this.d.clock.now();
    this.#recent.get(row.provider)?.delete(row.id);
    for (const ep of await this.d.store().listEpisodes({ provider: row.provider })) {
      if (ep.scope === 'connection') {
        if (ep.connectionId === row.id && ENDED_BY_REFRESH.has(ep.reason))
          await this.#close(ep, 'refresh', now);
      } else if (this.#settled(ep, now)) {
        await this.#close(ep, 'refresh', now, row);
      } else {
        await this.d.store().noteEpisode(ep.key, { successAt: now });
      }
    }
  }

  /** A call through the connection succeeded: ends its idle spell. */
  async callSucceeded(row: ConnectionRow): Promise<void> {
    const now = this.d.clock.now();
    for (const ep of await this.d.store().listEpisodes({ connectionId: row.id })) {
      if (ep.reason === 'connection_idle') await this.#close(ep, 'call', now);
    }
  }

  /** A consent completed for the connection: a fresh grant ends every episode of its own. */
  async reconnected(connectionId: string): Promise<void> {
    const now = this.d.clock.now();
    for (const ep of await this.d.store().listEpisodes({ connectionId })) {
      if (ep.scope === 'connection') await this.#close(ep, 'reconnected', now);
    }
  }

  /** Opens a connection's episode for a downgrade or another condition; false when it was already open. */
  openForConnection(row: ConnectionRow, reason: string, detail: Record<string, unknown>): Promise<boolean> {
    return this.#open('connection', row, reason, detail, this.d.clock.now(), false);
  }

  /** Same, from a stored event about the connection (the alert rules see events, not rows). */
  openFromEvent(e: EventRow, reason: string, detail: Record<string, unknown>): Promise<boolean> {
    if (!e.connectionId || !e.provider) return Promise.resolve(false);
    const subject = { id: e.connectionId, userId: e.userId, provider: e.provider };
    return this.#open('connection', subject, reason, detail, e.at, false);
  }

  /** Closes one episode of a connection if it is open (e.g. an expiry warning that no longer applies). */
  async closeForConnection(connectionId: string, reason: string, cause: string): Promise<void> {
    const ep = (await this.d.store().listEpisodes({ connectionId })).find((e) => e.reason === reason);
    if (ep) await this.#close(ep, cause, this.d.clock.now());
  }

  /**
   * Closes provider episodes that have settled, and episodes of connections that no longer exist (a
   * disconnect ends their trouble too); run periodically (the scheduler's tick).
   */
  async sweep(): Promise<number> {
    const store = this.d.store();
    const now = this.d.clock.now();
    let closed = 0;
    for (const ep of await store.listEpisodes()) {
      if (ep.scope === 'connection') {
        if (ep.connectionId && !(await store.getConnectionById(ep.connectionId))) {
          if (await this.#close(ep, 'connection_deleted', now)) closed++;
        }
        continue;
      }
      if (ep.lastSuccessAt === null) continue;
      if (ep.lastFailureAt !== null && ep.lastSuccessAt < ep.lastFailureAt) continue;
      if (this.#settled(ep, now) && (await this.#close(ep, 'settled', now))) closed++;
    }
    return closed;
  }

  #settled(ep: EpisodeRow, now: number): boolean {
    return ep.lastFailureAt === null || now - ep.lastFailureAt >= this.#settleMs;
  }

  /** Distinct connections of the provider that failed within the burst window, this one included. */
  #noteBurst(row: ConnectionRow, now: number): number {
    let seen = this.#recent.get(row.provider);
    if (!seen) this.#recent.set(row.provider, (seen = new Map()));
    seen.set(row.id, now);
    for (const [id, at] of seen) if (now - at > this.#windowMs) seen.delete(id);
    return seen.size;
  }

  async #open(
    scope: EpisodeRow['scope'],
    row: Subject,
    reason: string,
    detail: Record<string, unknown>,
    now: number,
    failure: boolean,
  ): Promise<boolean> {
    const store = this.d.store();
    const key = scope === 'provider' ? providerKey(row.provider, reason) : `connection:${row.id}:${reason}`;
    const opened = await store.openEpisode({
      key,
      scope,
      provider: row.provider,
      connectionId: scope === 'connection' ? row.id : null,
      userId: scope === 'connection' ? row.userId : null,
      reason,
      openedAt: now,
      lastFailureAt: failure ? now : null,
    });
    if (!opened) {
      if (failure) await store.noteEpisode(key, { failureAt: now });
      return false;
    }
    // A provider-wide alert names the connection that revealed it: where an operator starts looking.
    await recordEvent(store, about(row), now, {
      type: 'alert',
      reason,
      detail: { ...detail, episode: key, scope },
    });
    this.d.log.error(
      {
        connection: row.id,
        provider: row.provider,
        episode: key,
        kind: detail['kind'],
        errorCode: detail['code'],
      },
      `alert: ${reason}`,
    );
    return true;
  }

  async #close(ep: EpisodeRow, cause: string, now: number, via?: ConnectionRow): Promise<boolean> {
    const store = this.d.store();
    const closed = await store.closeEpisode(ep.key);
    if (!closed) return false; // another worker closed it and said so
    const subject = {
      connectionId: closed.connectionId ?? via?.id ?? null,
      userId: closed.userId ?? via?.userId ?? null,
      provider: closed.provider,
    };
    await recordEvent(store, subject, now, {
      type: 'recovered',
      reason: closed.reason,
      detail: {
        episode: closed.key,
        scope: closed.scope,
        openedAt: new Date(closed.openedAt).toISOString(),
        durationSec: Math.round((now - closed.openedAt) / 1000),
        failures: closed.failures,
        by: cause,
      },
    });
    this.d.log.info(
      {
        connection: closed.connectionId ?? via?.id,
        provider: closed.provider,
        episode: closed.key,
        by: cause,
      },
      `recovered: ${closed.reason}`,
    );
    return true;
  }
}

/** What an episode is about: a connection (also for provider episodes: the one that revealed it). */
interface Subject {
  id: string;
  userId: string | null;
  provider: string;
}

function providerKey(provider: string, reason: string): string {
  return `provider:${provider}:${reason}`;
}
