import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ErrorKind } from '../errors.js';
import type { Logger } from '../log.js';
import { probe } from '../providers/api-client.js';
import type { ConfiguredProvider, NormalizedGrant, TokenSet } from '../providers/types.js';
import { classifyTokenError, type TokenFailure } from './classify.js';
import { grantWrite } from './grant.js';
import type { OAuthClients } from './oauth-client.js';
import { SingleFlight } from './single-flight.js';
import { transition } from './states.js';
import type { ConnectionRow } from './store/types.js';
import type { Vault } from './store/vault.js';

/**
 * One refresh per credential at a time: single-flight inside the process, a lease in the store across
 * processes, and a version fence on the commit. New tokens are committed before anyone uses them. A
 * connection is downgraded only on evidence: a definitive grant error AND a live probe that fails.
 */

export type RefreshReason = 'proactive' | 'reactive' | 'preflight';

export type RefreshOutcome =
  | { ok: true; row: ConnectionRow; refreshed: boolean }
  | {
      ok: false;
      row: ConnectionRow | null;
      kind: ErrorKind;
      code?: string;
      retryAfterSeconds?: number;
      /** The connection was moved to reauthorization_required. */
      downgraded: boolean;
    };

export interface RefreshDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  oauth: OAuthClients;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** How long a lease holds; longer than a token call may take (openid-client times out at 15 s). */
  leaseMs?: number;
  /** Real-time poll interval while another worker holds the lease. */
  pollMs?: number;
  /** Alert after this many failed refreshes in a row. */
  alertAfter?: number;
}

/** Capped exponential backoff with full jitter (DESIGN: every backoff capped at 60 s). */
export function backoffMs(streak: number, capMs = 60_000, baseMs = 2_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, streak - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Refresher {
  readonly owner = `${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #flights = new SingleFlight<string, RefreshOutcome>();
  readonly #leaseMs: number;
  readonly #pollMs: number;

  constructor(private readonly d: RefreshDeps) {
    this.#leaseMs = d.leaseMs ?? 30_000;
    this.#pollMs = d.pollMs ?? 25;
  }

  /**
   * Refreshes the connection unless its token already moved past `seenVersion` (another worker rotated it:
   * use theirs). Concurrent callers in this process share one attempt.
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
        return this.#withLease(held, reason);
      }
      const row = await store.getConnectionById(id);
      if (!row)
        return { ok: false, row: null, kind: 'revoked', code: 'connection_deleted', downgraded: false };
      if (row.version !== seenVersion) return settled(row);
      // The holder failed and let go: share its verdict instead of piling another token request on.
      if (!row.leaseOwner && row.lastError && row.lastError.at >= startedAt) return failedFrom(row);
      if (Date.now() > deadline)
        return { ok: false, row, kind: 'transient', code: 'lease_wait_timeout', downgraded: false };
      await sleep(this.#pollMs);
    }
  }

  async #withLease(row: ConnectionRow, reason: RefreshReason): Promise<RefreshOutcome> {
    const { vault, log } = this.d;
    const p = this.d.providers.get(row.provider);
    if (!p) {
      await vault.store.releaseLease(row.id, this.owner);
      return { ok: false, row, kind: 'config_error', code: 'provider_not_configured', downgraded: false };
    }
    const tokens = vault.openTokens(row);
    if (!tokens.refreshToken) {
      // Nothing to refresh with: only a probe can tell whether the grant is gone.
      return this.#rejected(
        row,
        p,
        tokens,
        {
          kind: 'revoked',
          code: 'no_refresh_token',
          definitiveGrantError: true,
          message: 'no refresh token',
        },
        reason,
      );
    }
    const client = this.d.oauth.get(row.provider);
    let grant: NormalizedGrant;
    try {
      grant = await client.refresh(tokens.refreshToken, tokens);
    } catch (err) {
      const failure = classifyTokenError(err, p.declaration);
      log.warn(
        {
          connection: row.id,
          provider: row.provider,
          reason,
          kind: failure.kind,
          code: failure.code,
          status: failure.status,
        },
        'refresh failed',
      );
      return failure.definitiveGrantError
        ? this.#rejected(row, p, tokens, failure, reason)
        : this.#failed(row, failure, reason);
    }
    const now = this.d.clock.now();
    const write = grantWrite(p, grant, row.scopes, now, vault.sealTokens(row.id, grant.tokens), row.scopes);
    if (!write.account && row.account) write.account = row.account;
    const committed = await vault.store.commitRefresh(row.id, this.owner, row.version, write, now);
    if (!committed) {
      // Our lease lapsed and another worker took over while the provider answered us. Their copy wins.
      log.error(
        { connection: row.id, provider: row.provider },
        'refresh commit fenced out after the lease lapsed',
      );
      const current = await vault.store.getConnectionById(row.id);
      return { ok: false, row: current, kind: 'rotation_conflict', code: 'lease_lost', downgraded: false };
    }
    await vault.store.appendEvent({
      at: now,
      type: 'refreshed',
      connectionId: row.id,
      userId: row.userId,
      provider: row.provider,
      fromState: null,
      toState: null,
      reason,
      detail: {
        rotated: grant.tokens.refreshToken !== tokens.refreshToken,
        expiresAt: committed.accessExpiresAt,
      },
    });
    log.info({ connection: row.id, provider: row.provider, reason }, 'refreshed');
    return { ok: true, row: committed, refreshed: true };
  }

  /** The provider rejected the grant. Downgrade only if the current access token also fails a live probe. */
  async #rejected(
    row: ConnectionRow,
    p: ConfiguredProvider,
    tokens: TokenSet,
    failure: TokenFailure,
    reason: RefreshReason,
  ): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const current = await store.getConnectionById(row.id);
    if (current && current.version !== row.version) {
      // Another worker rotated meanwhile: its invalid_grant is ours, not the user's.
      await store.releaseLease(row.id, this.owner);
      return { ok: true, row: current, refreshed: false };
    }
    const seen = await probe(p, tokens.accessToken, this.d.fetch ?? fetch);
    const now = this.d.clock.now();
    if (seen.verdict !== 'invalid') {
      this.d.log.warn(
        { connection: row.id, code: failure.code, probe: seen.verdict },
        'grant error but the access token is not proven dead; keeping state',
      );
      return this.#failed(
        row,
        { ...failure, kind: seen.verdict === 'valid' ? failure.kind : 'transient' },
        reason,
        { probe: seen.verdict, probeStatus: seen.status ?? null },
      );
    }
    const moved = await transition(
      store,
      row,
      {
        to: 'reauthorization_required',
        reason: 'refresh_rejected_and_probe_failed',
        evidence: {
          refreshError: failure.code ?? failure.kind,
          refreshStatus: failure.status ?? null,
          probeStatus: seen.status ?? null,
          trigger: reason,
        },
        lastError: { kind: 'revoked', at: now, ...(failure.code ? { code: failure.code } : {}) },
      },
      now,
    );
    await store.releaseLease(row.id, this.owner);
    this.d.log.warn(
      { connection: row.id, provider: row.provider, code: failure.code },
      'connection needs reauthorization',
    );
    return {
      ok: false,
      row: moved,
      kind: 'revoked',
      ...(failure.code ? { code: failure.code } : {}),
      downgraded: moved !== null,
    };
  }

  /** A failure that says nothing about the user's grant: record, back off, alert on a streak; keep state. */
  async #failed(
    row: ConnectionRow,
    failure: Pick<TokenFailure, 'kind' | 'code' | 'status' | 'retryAfterSeconds'>,
    reason: RefreshReason,
    extra: Record<string, unknown> = {},
  ): Promise<RefreshOutcome> {
    const store = this.d.vault.store;
    const now = this.d.clock.now();
    const streak = row.failureStreak + 1;
    const waitMs = Math.max(backoffMs(streak), Math.min(60, failure.retryAfterSeconds ?? 0) * 1000);
    const updated = await store.updateConnection(
      row.id,
      {
        failureStreak: streak,
        lastError: { kind: failure.kind, at: now, ...(failure.code ? { code: failure.code } : {}) },
        refreshDueAt: now + waitMs,
      },
      now,
    );
    await store.appendEvent({
      at: now,
      type: 'refresh_failed',
      connectionId: row.id,
      userId: row.userId,
      provider: row.provider,
      fromState: null,
      toState: null,
      reason,
      detail: {
        kind: failure.kind,
        code: failure.code ?? null,
        status: failure.status ?? null,
        streak,
        ...extra,
      },
    });
    if (streak === (this.d.alertAfter ?? 3) || (failure.kind === 'config_error' && streak === 1)) {
      await store.appendEvent({
        at: now,
        type: 'alert',
        connectionId: row.id,
        userId: row.userId,
        provider: row.provider,
        fromState: null,
        toState: null,
        reason: failure.kind === 'config_error' ? 'provider_config_error' : 'refresh_failing',
        detail: { kind: failure.kind, code: failure.code ?? null, streak },
      });
      this.d.log.error(
        { connection: row.id, provider: row.provider, kind: failure.kind, code: failure.code, streak },
        'alert: refresh failing',
      );
    }
    await store.releaseLease(row.id, this.owner);
    return {
      ok: false,
      row: updated ?? row,
      kind: failure.kind,
      ...(failure.code ? { code: failure.code } : {}),
      retryAfterSeconds: Math.ceil(waitMs / 1000),
      downgraded: false,
    };
  }
}

/** States whose tokens are still worth refreshing (a scope gap does not stop the granted scopes working). */
const REFRESHABLE = new Set(['healthy', 'scope_update_required']);

function settled(row: ConnectionRow): RefreshOutcome {
  if (REFRESHABLE.has(row.state)) return { ok: true, row, refreshed: false };
  return {
    ok: false,
    row,
    kind: row.state === 'disabled' ? 'config_error' : 'revoked',
    code: row.state,
    downgraded: row.state === 'reauthorization_required',
  };
}

function failedFrom(row: ConnectionRow): RefreshOutcome {
  const kind = (row.lastError?.kind ?? 'transient') as ErrorKind;
  return {
    ok: false,
    row,
    kind,
    ...(row.lastError?.code ? { code: row.lastError.code } : {}),
    downgraded: false,
  };
}
