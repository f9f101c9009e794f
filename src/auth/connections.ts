import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { revokeToken } from '../providers/revocation.js';
import type { ConfiguredProvider } from '../providers/types.js';
import { classifyTokenError } from './refresh/classify.js';
import type { OAuthClients } from './oauth-client.js';
import type { ConnectionState, ErrorKind } from '../contract.js';
import type { ConnectionRow } from '../vault/types.js';
import type { Vault } from '../vault/vault.js';
import { about, recordEvent } from '../vault/events.js';

/** What `auth.status` and `toolvault status` show about a connection. Never a token. */
export interface ConnectionView {
  provider: string;
  state: ConnectionState;
  scopes: string[];
  account: { id: string; name?: string; team?: string } | null;
  accessExpiresAt: string | null;
  lastRefreshAt: string | null;
  nextRefreshAt: string | null;
  /**
   * When toolvault next looks at this connection: its next refresh, or its next probe for a token that
   * never expires. Null only when nothing is left to check (reauthorization needed, disabled).
   */
  nextCheckAt: string | null;
  /** When the refresh token ends whatever its use; a reconnect is needed before then. Null when unknown. */
  refreshExpiresAt: string | null;
  lastError: { kind: ErrorKind; at: string } | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The reported state: `refreshing` while an unexpired lease is held. */
export function effectiveState(row: ConnectionRow, now: number): ConnectionState {
  if (row.state === 'healthy' && row.leaseOwner && row.leaseExpiresAt !== null && row.leaseExpiresAt > now) {
    return 'refreshing';
  }
  return row.state;
}

export function viewConnection(row: ConnectionRow, now: number): ConnectionView {
  return {
    provider: row.provider,
    state: effectiveState(row, now),
    scopes: row.scopes,
    account: row.account,
    accessExpiresAt: iso(row.accessExpiresAt),
    lastRefreshAt: iso(row.lastRefreshAt),
    nextRefreshAt: iso(row.refreshDueAt),
    nextCheckAt: iso(nextCheck(row)),
    refreshExpiresAt: iso(row.refreshExpiresAt),
    lastError: row.lastError
      ? { kind: row.lastError.kind, at: new Date(row.lastError.at).toISOString() }
      : null,
  };
}

/** The earlier of the next refresh and the next probe, for connections the scheduler looks after. */
export function nextCheck(row: ConnectionRow): number | null {
  if (row.state !== 'healthy' && row.state !== 'scope_update_required') return null;
  const times = [row.refreshDueAt, row.nextCheckAt].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

export interface DisconnectResult {
  disconnected: boolean;
  /** Whether the provider confirmed revocation; false when it has no endpoint or could not be reached. */
  revoked: boolean;
  revokeError?: string;
}

export class ConnectionService {
  constructor(
    private readonly d: {
      vault: Vault;
      providers: ReadonlyMap<string, ConfiguredProvider>;
      oauth: OAuthClients;
      clock: Clock;
      log: Logger;
      fetch?: typeof fetch;
    },
  ) {}

  async list(userId: string, provider?: string): Promise<ConnectionView[]> {
    const rows = await this.d.vault.store.listConnections({ userId, ...(provider ? { provider } : {}) });
    const now = this.d.clock.now();
    return rows.map((r) => viewConnection(r, now));
  }

  /**
   * Revokes at the provider where it declares how (refresh token first: RFC 7009 says that also kills its
   * access tokens), then deletes the secrets whatever the provider said: the user asked to forget them.
   */
  async disconnect(userId: string, providerId: string): Promise<DisconnectResult> {
    const store = this.d.vault.store;
    const row = await store.getConnection(userId, providerId);
    if (!row) return { disconnected: false, revoked: false };
    let revoked = false;
    let revokeError: string | undefined;
    const p = this.d.providers.get(providerId);
    if (p?.declaration.endpoints.revokeUrl) {
      const tokens = this.d.vault.openTokens(row);
      const how = p.declaration.revocation ?? 'rfc7009';
      if (how === 'rfc7009') {
        const client = this.d.oauth.get(providerId);
        try {
          const [token, hint] = tokens.refreshToken
            ? [tokens.refreshToken, 'refresh_token' as const]
            : [tokens.accessToken, 'access_token' as const];
          revoked = await client.revoke(token, hint);
        } catch (err) {
          const failure = classifyTokenError(err, p.declaration);
          revokeError = failure.code ?? failure.kind;
        }
      } else {
        // Not RFC 7009 (Slack's auth.revoke, GitHub's grant deletion): the provider's own revocation does it.
        const out = await revokeToken(
          p,
          { token: tokens.accessToken, hint: 'access_token' },
          {
            now: this.d.clock.now(),
            ...(this.d.fetch ? { fetch: this.d.fetch } : {}),
          },
        );
        revoked = out.result === 'revoked' || out.result === 'already_invalid';
        if (out.result === 'failed') revokeError = out.signal.code ?? out.signal.kind;
      }
      if (revokeError) this.d.log.warn({ provider: providerId, errorCode: revokeError }, 'revocation failed');
    }
    const now = this.d.clock.now();
    await store.deleteConnection(row.id);
    await recordEvent(store, about(row), now, {
      type: 'disconnected',
      fromState: row.state,
      reason: 'user_disconnect',
      detail: { revoked, ...(revokeError ? { revokeError } : {}) },
    });
    return { disconnected: true, revoked, ...(revokeError ? { revokeError } : {}) };
  }
}
