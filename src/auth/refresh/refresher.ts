import { randomUUID } from 'node:crypto';
import type { TokenSet } from '../../providers/types.js';
import type { TokenFailure } from './classify.js';
import { grantWrite } from './grant.js';
import { LeaseKeeper } from './lease.js';
import { refreshAtTokenEndpoint } from './lost-response.js';
import { RefreshFailures } from './failure.js';
import { backingOff, failedFrom, REFRESHABLE, type RefreshOutcome, settled } from './outcome.js';
import { SingleFlight } from './single-flight.js';
import type { RefreshDeps, RefreshReason } from './deps.js';
import type { RefreshObserver } from './observer.js';
import { VaultIntegrityError } from '../../vault/seal.js';
import type { ConnectionRow } from '../../vault/types.js';
import { about, recordEvent } from '../../vault/events.js';

/**
 * One refresh per credential at a time: single-flight inside the process, a lease in the store across
 * processes (renewed while the holder works), and a version fence on the commit. New tokens are committed
 * before anyone uses them. A connection is downgraded only on evidence: a definitive grant error AND a live
 * probe that fails. Everything else is recorded, backed off (capped at 60 s) and alerted once per episode.
 *
 * A refresh whose response never arrived (a timeout or reset after the request left) may have rotated the
 * refresh token at the provider: the one we hold may be spent. Where the provider declares a reuse grace
 * window (Atlassian 10 min, Okta 30 s) the same refresh token is tried again inside it, which returns the new
 * tokens. Elsewhere the loss is marked on the row; the next attempt tries the same token (a request lost
 * before the provider processed it still works), and if the provider rejects it and the probe fails, the
 * connection moves to reauthorization_required with reason `rotation_response_lost`.
 */

export type { RefreshOutcome } from './outcome.js';
export type { RefreshDeps, RefreshReason } from './deps.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Refresher {
  readonly owner = `${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #flights = new SingleFlight<string, RefreshOutcome>();
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #pollMs: number;
  readonly #episodes: RefreshObserver;
  readonly #failures: RefreshFailures;

  constructor(private readonly d: RefreshDeps) {
    this.#episodes = d.episodes;
    this.#failures = new RefreshFailures(d, this.#episodes);
    this.#leaseMs = d.leaseMs ?? 30_000;
    this.#renewMs = d.renewMs ?? Math.floor(this.#leaseMs / 3);
    this.#pollMs = d.pollMs ?? 25;
  }

  /**
   * Refreshes the connection unless its token already moved past `seenVersion` (another worker rotated it:
   * use theirs). Concurrent callers in this process share one attempt. During the backoff after a failure
   * it answers with that failure at once, without a token request.
   */
  refresh(connectionId: string, reason: RefreshReason, seenVersion: number): Promise<RefreshOutcome> {
    return this.#flights.run(connectionId, () => this.#refresh(connectionId, reason, seenVersion));
  }

  async #refresh(id: string, reason: RefreshReason, seenVersion: number): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const startedAt = this.d.clock.now();
    const deadline = Date.now() + this.#leaseMs * 2;
    for (;;) {
      const now = this.d.clock.now();
      const held = await store.acquireLease(id, this.owner, now, this.#leaseMs);
      if (held) {
        if (held.version !== seenVersion || !REFRESHABLE.has(held.state)) {
          await store.releaseLease(id, this.owner);
          return settled(held);
        }
        const waiting = backingOff(held, now);
        if (waiting) {
          await store.releaseLease(id, this.owner);
          return waiting;
        }
        return this.#withLease(held, reason);
      }
      const row = await store.getConnectionById(id);
      if (!row)
        return { ok: false, row: null, kind: 'revoked', code: 'connection_deleted', downgraded: false };
      if (row.version !== seenVersion) return settled(row);
      // Another worker is refreshing it; the scheduler has other rows to see to and must not queue here.
      if (reason === 'proactive') return { ok: true, row, refreshed: false };
      // The holder failed and let go: share its verdict instead of piling another token request on.
      if (!row.leaseOwner && row.lastError && row.lastError.at >= startedAt) return failedFrom(row, now);
      if (Date.now() > deadline)
        return { ok: false, row, kind: 'transient', code: 'lease_wait_timeout', downgraded: false };
      await sleep(this.#pollMs);
    }
  }

  async #withLease(row: ConnectionRow, reason: RefreshReason): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const keeper = new LeaseKeeper(store, row.id, this.owner, this.d.clock, this.#leaseMs, this.d.log).start(
      this.#renewMs,
    );
    try {
      return await this.#attempt(row, reason, keeper);
    } finally {
      await keeper.stop();
      // A no-op when the commit already cleared it or another worker owns it now.
      await store.releaseLease(row.id, this.owner);
    }
  }

  async #attempt(row: ConnectionRow, reason: RefreshReason, keeper: LeaseKeeper): Promise<RefreshOutcome> {
    const { vault, log } = this.d;
    const p = this.d.providers.get(row.provider);
    if (!p)
      return this.#failures.failed(row, { kind: 'config_error', code: 'provider_not_configured' }, reason);
    let tokens: TokenSet;
    try {
      tokens = vault.openTokens(row);
    } catch (err) {
      // A key missing from the ring or a damaged row: an operator problem, never the user's grant.
      if (!(err instanceof VaultIntegrityError)) throw err;
      log.error({ connection: row.id, err: (err as Error).name }, 'stored secret cannot be opened');
      return this.#failures.failed(row, { kind: 'config_error', code: 'secret_unreadable' }, reason);
    }
    if (!tokens.refreshToken) {
      // Nothing to refresh with: only a probe can tell whether the grant is gone.
      const failure: TokenFailure = {
        kind: 'revoked',
        code: 'no_refresh_token',
        definitiveGrantError: true,
        message: 'no refresh token',
      };
      return this.#failures.rejected(row, p, tokens, failure, reason);
    }
    const refreshToken = tokens.refreshToken;
    const call = await refreshAtTokenEndpoint({
      send: () => this.d.oauth.get(row.provider).refresh(refreshToken, tokens),
      declaration: p.declaration,
      clock: this.d.clock,
      log,
      context: { connection: row.id, provider: row.provider, reason },
      lostAt: row.refreshLostAt,
      ...(this.d.graceRetryMs !== undefined ? { retryMs: this.d.graceRetryMs } : {}),
    });
    if (!call.ok) {
      const { failure, lost, lostAt } = call;
      if (failure.definitiveGrantError) return this.#failures.rejected(row, p, tokens, failure, reason);
      return this.#failures.failed(
        row,
        failure,
        reason,
        lost ? { responseLost: true } : {},
        lost ? lostAt : null,
      );
    }
    const { grant, lostAt } = call;
    await keeper.stop();
    const now = this.d.clock.now();
    const write = grantWrite(
      p,
      grant,
      row.scopes,
      now,
      vault.sealTokens(row.id, grant.tokens),
      row.scopes,
      this.d.random,
      tokens.refreshToken,
    );
    if (!write.account && row.account) write.account = row.account;
    const committed = await this.#commit(row, write, now);
    if (!committed) {
      // Our lease lapsed and another worker took over while the provider answered us. If it committed,
      // its copy wins; if not, it is refreshing with the refresh token we just spent (issue: holder froze).
      const current = await vault.store.getConnectionById(row.id);
      log.error(
        { connection: row.id, provider: row.provider, renewalLost: keeper.lost },
        'refresh commit fenced out after the lease lapsed',
      );
      if (current && current.version !== row.version) return settled(current);
      return { ok: false, row: current, kind: 'rotation_conflict', code: 'lease_lost', downgraded: false };
    }
    await recordEvent(vault.store, about(row), now, {
      type: 'refreshed',
      reason,
      detail: {
        rotated: grant.tokens.refreshToken !== tokens.refreshToken,
        expiresAt: committed.accessExpiresAt,
        ...(row.failureStreak > 0 ? { recoveredAfter: row.failureStreak } : {}),
        ...(lostAt !== null ? { recoveredLostResponse: true } : {}),
      },
    });
    log.info({ connection: row.id, provider: row.provider, reason }, 'refreshed');
    // Bookkeeping after the fact: a hiccup here must not turn a committed refresh into a failure.
    await this.#episodes
      .refreshSucceeded(committed)
      .catch((err: unknown) => this.#failures.episodeError(err));
    return { ok: true, row: committed, refreshed: true };
  }

  /**
   * The provider already rotated: these tokens are the only live ones. A storage hiccup must not lose them
   * (the MCP SDK once did, STYLE.md), so a throwing commit is retried a few times before giving up loudly.
   */
  async #commit(
    row: ConnectionRow,
    write: ReturnType<typeof grantWrite>,
    now: number,
  ): Promise<ConnectionRow | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.d.vault.store.commitRefresh(row.id, this.owner, row.version, write, now);
      } catch (err) {
        if (attempt >= 3) {
          this.d.log.fatal(
            { connection: row.id, provider: row.provider, err: (err as Error).message },
            'could not store refreshed tokens; the connection will need reauthorization',
          );
          throw err;
        }
        await sleep(20 * attempt);
      }
    }
  }
}
