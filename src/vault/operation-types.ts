import type { AuthReason, ResultKind, ResultStatus } from '../contract.js';
import type { SealedSecret } from './seal.js';

/**
 * The vault's operational records beside connections and consents: alert episodes, the tool-call audit
 * trail, key rotation's view of sealed secrets, idempotency keys and HTTP callers' API keys. Part of the
 * `Store` contract (types.ts), run by the same contract suite on SQLite and PostgreSQL.
 */

/** One tool call, as the audit trail keeps it: who, what, how it ended, how long. Never its arguments. */
export interface AuditRecord {
  id: number;
  at: number;
  userId: string;
  /** Canonical (dotted) tool name. */
  tool: string;
  provider: string | null;
  /** The result's status. */
  status: ResultStatus;
  /** The error kind or auth-required reason; null for success. */
  kind: ResultKind | AuthReason | null;
  durationMs: number;
  /** The call's correlation id (`call_...`), also on its log lines and events. */
  correlationId: string;
}

export type NewAuditRecord = Omit<AuditRecord, 'id'>;

/** A sealed secret found by key rotation: a connection's tokens or a consent's PKCE verifier. */
export interface SealedRef {
  kind: 'connection' | 'consent';
  /** Connection id or consent authId (the additional data the secret is bound to). */
  id: string;
  /** The connection's version when read; null for consents. */
  version: number | null;
  secret: SealedSecret;
}

/**
 * An idempotency key's life: `pending` while one caller holds it and acts, `completed` with the result to
 * replay, `uncertain` when the provider may or may not have acted (a lost response, a 5xx after sending).
 */
export type IdempotencyState = 'pending' | 'completed' | 'uncertain';

export interface IdempotencyRecord {
  userId: string;
  /** Namespaced by the caller, e.g. `github.createIssue:<the agent's key>`. */
  key: string;
  state: IdempotencyState;
  /** Who holds a pending claim; completing or releasing needs it, so a stale holder cannot overwrite. */
  claimId: string;
  /** The result to replay (a tool's structured output: never a secret); null until completed. */
  result: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  /** Pending only: when the holder is presumed dead (null once completed or uncertain). */
  leaseExpiresAt: number | null;
  /** When the record is forgotten and the key may be used afresh. */
  expiresAt: number;
}

/** What claiming a key found: `claimed` (the caller may act) or the record someone else left. */
export type IdempotencyClaim =
  { claimed: true; record: IdempotencyRecord } | { claimed: false; record: IdempotencyRecord };

/**
 * A credential for HTTP callers. Only a hash of the key is stored; `id` is its public part (shown in lists,
 * logs and `revoke`), and the key itself is shown once, when created.
 */
export interface ApiKeyRow {
  id: string;
  userId: string;
  /** An operator's label, e.g. the agent deployment it was made for. */
  name: string | null;
  /** sha256 of the whole key, hex. */
  hash: string;
  createdAt: number;
  /** Updated at most about once a minute: bookkeeping, not an audit trail. */
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export type NewApiKey = Omit<ApiKeyRow, 'lastUsedAt' | 'revokedAt'>;

/**
 * An open alert episode: a connection's failure streak, a provider-wide outage or configuration error, an
 * idle spell, an approaching refresh-token expiry. A row exists only while the episode is open, so opening is
 * an insert that only one process can win; its history is in the `alert` and `recovered` events.
 */
export interface EpisodeRow {
  /** `connection:<id>:<reason>` or `provider:<id>:<reason>`. */
  key: string;
  scope: 'connection' | 'provider';
  provider: string;
  connectionId: string | null;
  userId: string | null;
  /** The alert reason (`refresh_failing`, `provider_outage`, ...). */
  reason: string;
  openedAt: number;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  /** Failures seen while open (the one that opened it included). */
  failures: number;
}

export type NewEpisode = Omit<EpisodeRow, 'lastSuccessAt' | 'failures'>;

export interface OperationsStore {
  // alert episodes
  /** Opens an episode unless one with its key is open; returns the new row, or null when one was open. */
  openEpisode(episode: NewEpisode): Promise<EpisodeRow | null>;
  /** Records a failure or success seen during an open episode; null when it is not open. */
  noteEpisode(key: string, seen: { failureAt?: number; successAt?: number }): Promise<EpisodeRow | null>;
  /** Closes an episode; returns it as it was, or null when it was not open (someone closed it first). */
  closeEpisode(key: string): Promise<EpisodeRow | null>;
  /** Open episodes, optionally one provider's (both scopes) or one connection's. */
  listEpisodes(filter?: { provider?: string; connectionId?: string }): Promise<EpisodeRow[]>;

  // audit trail of tool calls
  appendAudit(record: NewAuditRecord): Promise<AuditRecord>;
  /** Appends several records in one transaction (the audit trail's write path: one commit per batch). */
  appendAudits(records: NewAuditRecord[]): Promise<void>;
  /** Oldest first unless `newestFirst`; at most `limit` (default 1000). */
  listAudit(filter?: {
    userId?: string;
    tool?: string;
    afterId?: number;
    limit?: number;
    newestFirst?: boolean;
  }): Promise<AuditRecord[]>;

  // key rotation
  /**
   * Up to `limit` sealed secrets whose key id is not `notKeyId`: connections' tokens and the verifiers of
   * consents in flight (finished consents hold none).
   */
  listSealed(filter: { notKeyId: string; limit: number }): Promise<SealedRef[]>;
  /** Every key id some stored secret is sealed under (connections and consents in flight), read from indexes. */
  sealedKeyIds(): Promise<string[]>;
  /**
   * Replaces `ref`'s secret with the same content sealed under another key, only if the row still holds
   * exactly `ref.secret` (and, for a connection, is at `ref.version`). Does not bump the version or touch the
   * lease, so a refresh in flight commits as if nothing happened; returns false when the row moved on.
   */
  resealSecret(ref: SealedRef, secret: SealedSecret): Promise<boolean>;

  // idempotency keys: one write per (user, key), its result replayed for repeats
  /**
   * In one immediate transaction: when (userId, key) has no live record (none, or expired at `now`), insert
   * a pending record held by `claimId` (lease until `now + leaseMs`, forgotten at `now + ttlMs`) and return
   * `claimed: true`. Otherwise return the record as it is — except a pending record whose lease ran out,
   * which turns `uncertain` first: its holder died after perhaps acting.
   */
  claimIdempotencyKey(
    userId: string,
    key: string,
    claimId: string,
    now: number,
    times: { leaseMs: number; ttlMs: number },
  ): Promise<IdempotencyClaim>;
  /** pending -> completed with `result`, kept until `now + ttlMs`; only for the holder. False otherwise. */
  completeIdempotencyKey(
    userId: string,
    key: string,
    claimId: string,
    result: Record<string, unknown>,
    now: number,
    ttlMs: number,
  ): Promise<boolean>;
  /** pending -> uncertain, kept until `now + ttlMs`; only for the holder. False otherwise. */
  markIdempotencyKeyUncertain(
    userId: string,
    key: string,
    claimId: string,
    now: number,
    ttlMs: number,
  ): Promise<boolean>;
  /** Deletes a pending record held by `claimId` (the provider provably did not act). False otherwise. */
  releaseIdempotencyKey(userId: string, key: string, claimId: string): Promise<boolean>;
  /** The live record for (userId, key) at `now`, or null (expired records are not returned). */
  getIdempotencyKey(userId: string, key: string, now: number): Promise<IdempotencyRecord | null>;
  /** Deletes every record expired at `now`; returns how many. */
  purgeIdempotencyKeys(now: number): Promise<number>;

  // API keys of HTTP callers (stored hashed)
  createApiKey(key: NewApiKey): Promise<ApiKeyRow>;
  getApiKey(id: string): Promise<ApiKeyRow | null>;
  /** Every key (revoked ones too), oldest first; optionally one user's. */
  listApiKeys(filter?: { userId?: string }): Promise<ApiKeyRow[]>;
  /** Whether any key was ever created (revoked ones count): HTTP mode then requires a credential. */
  hasApiKeys(): Promise<boolean>;
  /** Sets revokedAt = now unless already revoked; returns the row as it is after, or null when unknown. */
  revokeApiKey(id: string, now: number): Promise<ApiKeyRow | null>;
  /** Records a use. */
  touchApiKey(id: string, now: number): Promise<void>;
}
