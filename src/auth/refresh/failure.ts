import type { ConfiguredProvider, TokenSet } from '../../providers/types.js';
import { probe } from '../../providers/api-client.js';
import { waitAfterFailure } from './backoff.js';
import type { TokenFailure } from './classify.js';
import type { RefreshObserver } from './observer.js';
import type { RefreshDeps, RefreshReason } from './deps.js';
import { type RefreshOutcome, settled } from './outcome.js';
import type { ErrorKind } from '../../contract.js';
import { transition } from '../states.js';
import type { ConnectionRow } from '../../vault/types.js';
import { about, recordEvent } from '../../vault/events.js';

/**
 * What the refresher does when a refresh fails (refresh.ts holds the lease meanwhile). A rejected grant is
 * proven with a live probe before anything is downgraded (seed 004); every other failure is recorded,
 * backed off and alerted once per episode, and leaves the connection's state alone.
 */
export class RefreshFailures {
  constructor(
    private readonly d: RefreshDeps,
    private readonly episodes: RefreshObserver,
  ) {}

  /** The provider rejected the grant. Downgrade only if the current access token also fails a live probe. */
  async rejected(
    row: ConnectionRow,
    p: ConfiguredProvider,
    tokens: TokenSet,
    failure: TokenFailure,
    reason: RefreshReason,
  ): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const current = await store.getConnectionById(row.id);
    if (current && current.version !== row.version) {
      // Another worker rotated meanwhile: the invalid_grant is about the refresh token it spent, not the
      // user's grant (rotation_conflict). Use what it stored.
      this.d.log.info(
        { connection: row.id, provider: row.provider, errorCode: failure.code },
        'rotation conflict: another worker rotated first; using its tokens',
      );
      return settled(current);
    }
    const seen = await probe(p, tokens.accessToken, this.d.fetch ?? fetch, {
      timeoutMs: this.d.probeTimeoutMs ?? 10_000,
      ...(tokens.values ? { values: tokens.values } : {}),
    });
    const now = this.d.clock.now();
    // The last refresh's answer was lost and this one is refused: that lost answer held the only live token.
    const lost = row.refreshLostAt !== null && p.declaration.token.rotatesRefreshToken;
    const evidence = {
      refreshError: failure.code ?? failure.kind,
      refreshStatus: failure.status ?? null,
      probe: seen.verdict,
      probeStatus: seen.status ?? null,
      // A probe with a token already past its expiry fails whatever the grant's fate: say so.
      accessExpired: row.accessExpiresAt !== null && row.accessExpiresAt <= now,
      trigger: reason,
      // A failed attempt just before (a lost response?) may have spent the refresh token: keep it on record.
      ...(row.failureStreak > 0 && row.lastError ? { priorFailure: row.lastError } : {}),
      ...(lost
        ? {
            responseLostAt: new Date(row.refreshLostAt ?? now).toISOString(),
            reuseGraceSec: p.declaration.token.reuseGraceSec,
          }
        : {}),
    };
    if (seen.verdict !== 'invalid') {
      this.d.log.warn(
        { connection: row.id, errorCode: failure.code, probe: seen.verdict },
        'grant error but the access token is not proven dead; keeping state',
      );
      // A valid probe makes the rejection a fact worth an operator's eye; no answer makes it a transient.
      const kind: ErrorKind = seen.verdict === 'valid' ? failure.kind : 'transient';
      return this.failed(row, { ...failure, kind }, reason, evidence);
    }
    const moved = await transition(
      store,
      row,
      {
        to: 'reauthorization_required',
        reason: lost ? 'rotation_response_lost' : 'refresh_rejected_and_probe_failed',
        evidence,
        lastError: { kind: 'revoked', at: now, ...(failure.code ? { code: failure.code } : {}) },
      },
      now,
    );
    if (!moved) {
      const latest = await store.getConnectionById(row.id);
      return latest
        ? settled(latest)
        : { ok: false, row: null, kind: 'revoked', code: 'connection_deleted', downgraded: false };
    }
    // The alert for this state change is raised by the alert rules (alerts.ts), like every other downgrade.
    this.d.log.warn(
      {
        connection: row.id,
        provider: row.provider,
        errorCode: failure.code,
        probeStatus: seen.status,
        ...(lost ? { because: 'rotation_response_lost' } : {}),
      },
      'connection needs reauthorization',
    );
    return {
      ok: false,
      row: moved,
      kind: 'revoked',
      ...(failure.code ? { code: failure.code } : {}),
      downgraded: true,
    };
  }

  /**
   * A failure that says nothing final about the user's grant: record, back off, alert once per episode; keep
   * state. `lostAt` marks a refresh whose response was lost (see the class comment). The backoff is capped at
   * 60 s whatever the provider asked; the provider's own wait (a Retry-After of an hour) is what callers are
   * told, and is kept on the row as `lastError.retryAt`.
   */
  async failed(
    row: ConnectionRow,
    failure: Pick<TokenFailure, 'kind' | 'code' | 'status' | 'retryAfterSeconds'>,
    reason: RefreshReason,
    extra: Record<string, unknown> = {},
    lostAt: number | null = null,
  ): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const now = this.d.clock.now();
    const streak = row.failureStreak + 1;
    const waitMs = waitAfterFailure(streak, failure.retryAfterSeconds, this.d.random);
    const askedMs = Math.max(0, failure.retryAfterSeconds ?? 0) * 1000;
    const retryAt = askedMs > waitMs ? now + askedMs : undefined;
    const updated = await store.updateConnection(
      row.id,
      {
        failureStreak: streak,
        lastError: {
          kind: failure.kind,
          at: now,
          ...(failure.code ? { code: failure.code } : {}),
          ...(retryAt !== undefined ? { retryAt } : {}),
        },
        refreshDueAt: now + waitMs,
        ...(lostAt !== null ? { refreshLostAt: lostAt } : {}),
      },
      now,
      row.version,
    );
    if (!updated) {
      // Someone committed while we failed (our lease had lapsed): their success stands, our failure is moot.
      const current = await store.getConnectionById(row.id);
      return current
        ? settled(current)
        : { ok: false, row: null, kind: 'revoked', code: 'connection_deleted', downgraded: false };
    }
    await recordEvent(store, about(row), now, {
      type: 'refresh_failed',
      reason,
      detail: {
        kind: failure.kind,
        code: failure.code ?? null,
        status: failure.status ?? null,
        streak,
        retryInMs: waitMs,
        ...extra,
      },
    });
    await this.episodes.refreshFailed(row, failure, streak).catch((err: unknown) => this.episodeError(err));
    return {
      ok: false,
      row: updated,
      kind: failure.kind,
      ...(failure.code ? { code: failure.code } : {}),
      retryAfterSeconds: Math.ceil(Math.max(waitMs, askedMs) / 1000),
      downgraded: false,
    };
  }

  episodeError(err: unknown): void {
    this.d.log.error({ err: (err as Error).message }, 'alert episode bookkeeping failed');
  }
}
