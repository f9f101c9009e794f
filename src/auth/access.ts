import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { type ApiClient, createApiClient } from '../providers/api-client.js';
import type { ApiSignal, ConfiguredProvider } from '../providers/types.js';
import type { ConsentService } from './consent/links.js';
import type { LifecycleObserver } from './refresh/observer.js';
import type { Refresher } from './refresh/refresher.js';
import { duringBackoff, type Failed, fail, refreshMessage, signalFailure } from './access-failures.js';
import {
  type AccessResult,
  CallStopped,
  createProviderApi,
  type ProviderApi,
  type WireLog,
} from './provider-api.js';
import { defaultScopes, missingScopes, normalizeScopes } from './scopes.js';
import { transition } from './states.js';
import type { ConnectionRow } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';

/**
 * The path of every provider call (DESIGN, "The way a call travels"): connection state, scopes, a fresh
 * token (refreshed first when it expires within the skew), then an API client that injects the token and
 * deals with credential signals one request at a time (provider-api.ts). Tools get that client, never a
 * token, and run once per call.
 */

export type { AccessFailure, AccessResult } from './provider-api.js';

/** One call's access: its API client's record of the wire, and the one run of the tool. */
export interface AccessSession {
  /** What the call's requests did: for the write judge (tools/kit/judge.ts). */
  readonly wire: Readonly<WireLog>;
  /**
   * Runs `run` once with the API client. A call stopped by a signal becomes a failure; bookkeeping after a
   * finished run (last use, alert episodes) is logged when it fails and never changes the answer.
   */
  run<T>(run: (api: ProviderApi) => Promise<T>): Promise<AccessResult<T>>;
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

/** lastUsedAt is bookkeeping for idle detection: minute resolution is enough and spares a write per call. */
const USED_RESOLUTION_MS = 60_000;

export class AccessBroker {
  constructor(private readonly d: AccessDeps) {}

  /** Opens access and runs `run` once: {@link open} and {@link AccessSession.run} in one step. */
  async call<T>(
    userId: string,
    providerId: string,
    scopes: readonly string[],
    run: (api: ProviderApi) => Promise<T>,
  ): Promise<AccessResult<T>> {
    const opened = await this.open(userId, providerId, scopes);
    return opened.ok ? opened.value.run(run) : opened;
  }

  /** Checks the connection, refreshes a token about to expire, and hands out one call's access. */
  async open(
    userId: string,
    providerId: string,
    scopes: readonly string[],
  ): Promise<AccessResult<AccessSession>> {
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
    return { ok: true, value: this.#session(p, row, userId, scopes, name) };
  }

  #session(
    p: ConfiguredProvider,
    first: ConnectionRow,
    userId: string,
    scopes: readonly string[],
    name: string,
  ): AccessSession {
    let row = first;
    let client: { row: ConnectionRow; api: ApiClient } | undefined;
    const wire: WireLog = { reached: 0, last: null };
    const api = createProviderApi(
      {
        client: () => {
          // A new client only when a refresh brought a new row (and token).
          if (client?.row !== row) {
            const tokens = this.d.vault.openTokens(row);
            client = { row, api: this.#client(p, tokens.accessToken, tokens.values) };
          }
          return client.api;
        },
        refresh: async () => {
          const fresh = await this.#refresh(row, 'reactive', userId, scopes, name);
          if (fresh.ok) row = fresh.value;
          return fresh;
        },
        stop: async (s) => {
          if (s.kind === 'missing_scope')
            return (await this.#scopeGap(row, s, userId, p.declaration.id, scopes, name)).failure;
          return signalFailure(s, name).failure;
        },
      },
      wire,
    );
    let ran = false;
    return {
      wire,
      run: async (run) => {
        // A tool runs once per call: a second run would repeat requests the provider may have acted on.
        if (ran) throw new Error('an access session runs one tool call');
        ran = true;
        let value;
        try {
          value = await run(api);
        } catch (err) {
          if (err instanceof CallStopped) return { ok: false, failure: err.failure };
          throw err;
        }
        await this.#touch(row);
        return { ok: true, value };
      },
    };
  }

  #client(p: ConfiguredProvider, accessToken: string, values?: Record<string, string>): ApiClient {
    return createApiClient({
      declaration: p.declaration,
      accessToken,
      ...(values ? { values } : {}),
      now: () => this.d.clock.now(),
      ...(this.d.fetch ? { fetch: this.d.fetch } : {}),
    });
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
  ): Promise<Failed> {
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

  async #authRequired(
    userId: string,
    providerId: string,
    scopes: readonly string[],
    name: string,
  ): Promise<Failed> {
    const start = await this.d.consent.start(userId, providerId, [...scopes]);
    if (start.status === 'connected') {
      // Raced with a consent that just finished: the caller may simply retry.
      return fail('transient', `${name} was connected a moment ago; retry the action.`, 1);
    }
    return { ok: false, failure: { type: 'auth_required', providerName: name, start } };
  }

  /** Bookkeeping after the provider answered: it never fails the call (a full disk must not undo a write). */
  async #touch(row: ConnectionRow): Promise<void> {
    const now = this.d.clock.now();
    if (row.lastUsedAt !== null && now - row.lastUsedAt < USED_RESOLUTION_MS) return;
    try {
      await this.d.vault.store.updateConnection(row.id, { lastUsedAt: now }, now);
    } catch (err) {
      this.d.log.error({ connection: row.id, err: (err as Error).message }, 'could not record the last use');
      return;
    }
    // At most once a minute per connection, like the write above: an idle spell ends with a success.
    await this.d.episodes?.callSucceeded(row).catch((err: unknown) => {
      this.d.log.error(
        { connection: row.id, err: (err as Error).message },
        'alert episode bookkeeping failed',
      );
    });
  }
}
