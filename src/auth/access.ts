import type { Clock } from '../clock.js';
import { type ErrorKind, RETRYABLE } from '../contract.js';
import type { Logger } from '../log.js';
import { type ApiClient, createApiClient } from '../providers/api-client.js';
import type { ApiSignal, ConfiguredProvider } from '../providers/types.js';
import type { ConsentService, StartResult } from './consent/links.js';
import type { LifecycleObserver } from './refresh/observer.js';
import type { Refresher } from './refresh/refresher.js';
import { defaultScopes, missingScopes, normalizeScopes } from './scopes.js';
import { transition } from './states.js';
import type { ConnectionRow } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';

/**
 * The path of every provider call (DESIGN, "The way a call travels"): connection state, scopes, a fresh
 * token (refreshed first when it expires within the skew), the call with the token injected by the API
 * client, then one refresh and one retry on a 401-equivalent. Tools get an ApiClient and never a token.
 */

export type AccessFailure =
  | { type: 'auth_required'; providerName: string; start: Extract<StartResult, { status: 'pending' }> }
  | {
      type: 'error';
      kind: ErrorKind | 'disabled';
      message: string;
      retryable: boolean;
      retryAfterSeconds?: number;
      code?: string;
    };

export type AccessResult<T> = { ok: true; value: T } | { ok: false; failure: AccessFailure };

/** Thrown inside a tool's run when a response carries a credential or transport signal; caught here. */
class SignalAbort extends Error {
  constructor(readonly signal: ApiSignal) {
    super(`provider signal ${signal.kind}`);
  }
}

/**
 * The provider signal `err` carries on its way to the broker, or null. For tools that must know what a
 * write ran into (did the provider refuse it, or may it have acted?), and for a tool that already wrote and
 * makes an optional follow-up read: letting that read's signal through would make the broker re-run the
 * whole tool (a refresh and retry) or report the write as failed, and the agent would repeat it.
 */
export function providerSignalOf(err: unknown): ApiSignal | null {
  return err instanceof SignalAbort ? err.signal : null;
}

export interface AccessDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  consent: ConsentService;
  refresher: Refresher;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** Refresh before a call when the token expires within this many seconds (DESIGN default 60). */
  skewSec: number;
  /** Told when a call succeeds after an idle spell, which ends that alert episode. */
  episodes?: Pick<LifecycleObserver, 'callSucceeded'>;
}

/**
 * The longest wait passed on to an agent. Not a backoff (toolvault's own retries stay capped at 60 s): the
 * provider's real wait, so an agent told "GitHub's limit resets in an hour" does not retry every minute.
 */
const RETRY_REPORT_CAP_SEC = 24 * 3600;
/** lastUsedAt is bookkeeping for idle detection: minute resolution is enough and spares a write per call. */
const USED_RESOLUTION_MS = 60_000;

export class AccessBroker {
  constructor(private readonly d: AccessDeps) {}

  async call<T>(
    userId: string,
    providerId: string,
    scopes: readonly string[],
    run: (api: ApiClient) => Promise<T>,
  ): Promise<AccessResult<T>> {
    const p = this.d.providers.get(providerId);
    if (!p) return fail('config_error', `The ${providerId} provider is not configured on this toolvault.`);
    const name = p.declaration.displayName;
    let row = await this.d.vault.store.getConnection(userId, providerId);
    // A first consent asks for the provider's usual scopes too, not one consent per tool.
    if (!row) return this.#authRequired(userId, providerId, [...defaultScopes(p), ...scopes], name);
    if (row.state === 'disabled') return fail('disabled', `An operator disabled this ${name} connection.`);
    if (row.state === 'reauthorization_required' || row.state === 'pending')
      return this.#authRequired(userId, providerId, scopes, name);
    if (missingScopes(row.scopes, scopes).length > 0)
      return this.#authRequired(userId, providerId, scopes, name);

    if (this.#expiresSoon(row)) {
      const fresh = await this.#refresh(row, 'preflight', userId, scopes, name);
      if (!fresh.ok) return fresh;
      row = fresh.value;
    }
    for (let attempt = 1; ; attempt++) {
      const tokens = this.d.vault.openTokens(row);
      const api = this.#client(p, tokens.accessToken);
      try {
        const value = await run(api);
        await this.#touch(row);
        return { ok: true, value };
      } catch (err) {
        if (!(err instanceof SignalAbort)) throw err;
        const s = err.signal;
        if ((s.kind === 'expired_access' || s.kind === 'revoked') && attempt === 1) {
          // A 401 (or Slack's 200-status equivalent) means the provider did not act: refresh once, retry once.
          const fresh = await this.#refresh(row, 'reactive', userId, scopes, name);
          if (!fresh.ok) return fresh;
          row = fresh.value;
          continue;
        }
        if (s.kind === 'transient' && s.neverReached && attempt === 1) continue;
        if (s.kind === 'missing_scope') return this.#scopeGap(row, s, userId, providerId, scopes, name);
        return this.#signalFailure(s, name);
      }
    }
  }

  #client(p: ConfiguredProvider, accessToken: string): ApiClient {
    const inner = createApiClient({
      declaration: p.declaration,
      accessToken,
      now: () => this.d.clock.now(),
      ...(this.d.fetch ? { fetch: this.d.fetch } : {}),
    });
    return {
      async request(method, path, options) {
        const r = await inner.request(method, path, options);
        if (r.signal) throw new SignalAbort(r.signal);
        return r;
      },
    };
  }

  #expiresSoon(row: ConnectionRow): boolean {
    return row.accessExpiresAt !== null && row.accessExpiresAt - this.d.clock.now() <= this.d.skewSec * 1000;
  }

  async #refresh(
    row: ConnectionRow,
    reason: 'preflight' | 'reactive',
    userId: string,
    scopes: readonly string[],
    name: string,
  ): Promise<AccessResult<ConnectionRow>> {
    const now = this.d.clock.now();
    // During an outage the last attempt's backoff is still running: answer fast instead of piling up token
    // requests (a still-valid token simply keeps working until the backoff ends).
    if (row.failureStreak > 0 && row.refreshDueAt !== null && row.refreshDueAt > now) {
      if (reason === 'preflight' && (row.accessExpiresAt === null || row.accessExpiresAt > now))
        return { ok: true, value: row };
      const wait = Math.ceil((Math.max(row.refreshDueAt, row.lastError?.retryAt ?? 0) - now) / 1000);
      const kind = duringBackoff(row.lastError?.kind);
      return fail(kind, refreshMessage(kind, name, wait), wait);
    }
    const out = await this.d.refresher.refresh(row.id, reason, row.version);
    if (out.ok) return { ok: true, value: out.row };
    if (out.downgraded || out.row?.state === 'reauthorization_required')
      return this.#authRequired(userId, row.provider, scopes, name);
    // A token that is still valid outlives a failed preflight refresh; the scheduler keeps trying.
    if (
      reason === 'preflight' &&
      out.row &&
      out.row.accessExpiresAt !== null &&
      out.row.accessExpiresAt > this.d.clock.now()
    ) {
      return { ok: true, value: out.row };
    }
    return fail(out.kind, refreshMessage(out.kind, name, out.retryAfterSeconds), out.retryAfterSeconds);
  }

  async #scopeGap(
    row: ConnectionRow,
    s: ApiSignal,
    userId: string,
    providerId: string,
    scopes: readonly string[],
    name: string,
  ): Promise<AccessResult<never>> {
    const now = this.d.clock.now();
    const needed = normalizeScopes([...scopes, ...(s.missingScopes ?? [])]);
    const moved = await transition(
      this.d.vault.store,
      row,
      {
        to: 'scope_update_required',
        reason: 'provider_reported_missing_scope',
        evidence: { needed: s.missingScopes ?? [], granted: s.grantedScopes ?? null, code: s.code ?? null },
        lastError: { kind: 'missing_scope', at: now },
      },
      now,
    );
    // The stored grant still lists what the provider now says is missing (an admin narrowed it, or the
    // grant never had it): unless it is forgotten, the consent below finds nothing missing and the tool loops.
    const gone = new Set(s.missingScopes ?? scopes);
    if (moved && moved.scopes.some((sc) => gone.has(sc))) {
      const kept = moved.scopes.filter((sc) => !gone.has(sc));
      await this.d.vault.store.updateConnection(moved.id, { scopes: kept }, now, moved.version);
    }
    return this.#authRequired(userId, providerId, needed, name);
  }

  #signalFailure(s: ApiSignal, name: string): AccessResult<never> {
    const wait =
      s.retryAfterSeconds === undefined
        ? undefined
        : Math.min(RETRY_REPORT_CAP_SEC, Math.max(1, Math.ceil(s.retryAfterSeconds)));
    const messages: Partial<Record<ErrorKind, string>> = {
      rate_limited: `${name} is rate limiting these requests${wait ? `; retry in ${wait} s` : ''}.`,
      transient: `${name} did not answer properly (${s.code ?? 'temporary failure'}); the request may be retried later.`,
      expired_access: `${name} rejected the credential even after a refresh.`,
      revoked: `${name} rejected the credential even after a refresh.`,
      config_error: `toolvault's ${name} configuration was rejected (${s.code ?? 'config error'}).`,
    };
    return fail(
      s.kind,
      messages[s.kind] ?? `${name} returned an unexpected error (${s.code ?? s.kind}).`,
      wait,
      s.code,
    );
  }

  async #authRequired(
    userId: string,
    providerId: string,
    scopes: readonly string[],
    name: string,
  ): Promise<AccessResult<never>> {
    const start = await this.d.consent.start(userId, providerId, [...scopes]);
    if (start.status === 'connected') {
      // Raced with a consent that just finished: the caller may simply retry.
      return fail('transient', `${name} was connected a moment ago; retry the action.`, 1);
    }
    return { ok: false, failure: { type: 'auth_required', providerName: name, start } };
  }

  async #touch(row: ConnectionRow): Promise<void> {
    const now = this.d.clock.now();
    if (row.lastUsedAt !== null && now - row.lastUsedAt < USED_RESOLUTION_MS) return;
    await this.d.vault.store.updateConnection(row.id, { lastUsedAt: now }, now);
    // At most once a minute per connection, like the write above: an idle spell ends with a success.
    await this.d.episodes?.callSucceeded(row).catch((err: unknown) => {
      this.d.log.error(
        { connection: row.id, err: (err as Error).message },
        'alert episode bookkeeping failed',
      );
    });
  }
}

function refreshMessage(kind: ErrorKind, name: string, waitSec?: number): string {
  const retry = waitSec ? `try again in ${waitSec} s` : 'try again shortly';
  if (kind === 'config_error')
    return `toolvault could not refresh the ${name} credential because of a configuration problem; an operator has been alerted.`;
  if (kind === 'rate_limited') return `${name} is rate limiting token refreshes; ${retry}.`;
  if (kind === 'transient') return `${name} is not answering token refreshes right now; ${retry}.`;
  return `toolvault could not refresh the ${name} credential right now (${kind}); ${retry}.`;
}

/**
 * What a caller is told while a failed refresh backs off. The connection is not downgraded, so anything
 * but a configuration problem or a rate limit is, for the caller, a transient outage.
 */
function duringBackoff(kind: string | undefined): ErrorKind {
  return kind === 'config_error' || kind === 'rate_limited' ? kind : 'transient';
}

function fail(
  kind: ErrorKind | 'disabled',
  message: string,
  retryAfterSeconds?: number,
  code?: string,
): AccessResult<never> {
  const retryable = kind === 'disabled' ? false : RETRYABLE[kind];
  return {
    ok: false,
    failure: {
      type: 'error',
      kind,
      message,
      retryable,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(code ? { code } : {}),
    },
  };
}
