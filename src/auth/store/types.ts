import type { Account } from '../../providers/types.js';

export type { Account };

/**
 * The vault's storage contract. SQLite implements it now, PostgreSQL later; both run one contract suite.
 * Methods are async so a networked store fits the same shape. Secrets cross this boundary only sealed.
 */

export const CONNECTION_STATES = [
  'pending',
  'healthy',
  'refreshing',
  'reauthorization_required',
  'scope_update_required',
  'disabled',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export type AuthReason = 'not_connected' | 'reauthorization_required' | 'scope_update_required';

/** A sealed blob and the id of the master key that sealed it. */
export interface SealedSecret {
  keyId: string;
  blob: Uint8Array;
}

export interface LastError {
  kind: string;
  at: number;
  code?: string;
  /** When the provider said it will take requests again (its Retry-After, uncapped): what callers are told. */
  retryAt?: number;
}

export interface ConnectionRow {
  id: string;
  userId: string;
  provider: string;
  /** Stored state; `refreshing` is reported while an unexpired lease is held. */
  state: ConnectionState;
  scopes: string[];
  account: Account | null;
  secret: SealedSecret;
  accessExpiresAt: number | null;
  accessIssuedAt: number | null;
  /** When the scheduler should refresh next (indexed); null when the token never expires. */
  refreshDueAt: number | null;
  /**
   * When the scheduler should next probe the access token (indexed): set for tokens with no refresh plan
   * (no expiry, or no refresh token), null while `refreshDueAt` governs. One of the two is set on every
   * usable connection: no token without a plan.
   */
  nextCheckAt: number | null;
  /** When the refresh token dies whatever its use (GitHub `refresh_token_expires_in`); null when unknown. */
  refreshExpiresAt: number | null;
  /**
   * When a refresh request was sent whose response never arrived (a timeout or reset after sending) on a
   * provider that rotates: the refresh token held may have been spent. Cleared by the next commit.
   */
  refreshLostAt: number | null;
  lastRefreshAt: number | null;
  lastUsedAt: number | null;
  lastError: LastError | null;
  /** Consecutive failed refreshes; reset on success. */
  failureStreak: number;
  /** Bumped on every write that changes the secret or state: the fence for refresh commits. */
  version: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What a finished consent (or a refresh) writes. */
export interface GrantWrite {
  secret: SealedSecret;
  scopes: string[];
  account: Account | null;
  accessExpiresAt: number | null;
  accessIssuedAt: number | null;
  refreshDueAt: number | null;
  /** See ConnectionRow.nextCheckAt; absent means null. */
  nextCheckAt?: number | null;
  /**
   * See ConnectionRow.refreshExpiresAt; absent or null on a refresh keeps the one on record (the provider
   * said nothing new about the refresh token it kept).
   */
  refreshExpiresAt?: number | null;
}

export type ConsentStatus = 'created' | 'redirected' | 'exchanging' | 'completed' | 'failed';

export interface ConsentRow {
  /** Public id the agent polls with (`authId`). */
  authId: string;
  /** Secret capability in the connect link (128 bits, base64url). */
  linkId: string;
  userId: string;
  provider: string;
  /** The full scope set this consent asks for (granted ∪ missing for an incremental consent). */
  scopes: string[];
  reason: AuthReason;
  status: ConsentStatus;
  createdAt: number;
  /** The link's expiry (15 minutes after creation). */
  expiresAt: number;
  /** OAuth `state`, set when the browser is sent to the provider. */
  oauthState: string | null;
  /** Sealed `{ codeVerifier, nonce }`, set with oauthState. */
  verifier: SealedSecret | null;
  /** The callback must arrive before this (set when redirected). */
  callbackExpiresAt: number | null;
  finishedAt: number | null;
  /** Why it failed: a short code such as `access_denied`, `token_endpoint`, `state_expired`. */
  error: string | null;
  connectionId: string | null;
  /**
   * The account that came back when it differs from the connection's: set while the callback waits for the
   * user to confirm the switch (the consent stays `exchanging`, nothing of the new grant is kept).
   */
  switchAccount: Account | null;
  /** The account id the user confirmed switching to: a re-armed consent may store a grant for it. */
  expectedAccount: string | null;
}

export interface NewConsent {
  authId: string;
  linkId: string;
  userId: string;
  provider: string;
  scopes: string[];
  reason: AuthReason;
  createdAt: number;
  expiresAt: number;
}

export interface EventRow {
  id: number;
  at: number;
  type: string;
  connectionId: string | null;
  userId: string | null;
  provider: string | null;
  fromState: ConnectionState | null;
  toState: ConnectionState | null;
  reason: string | null;
  /** Never holds a secret. */
  detail: Record<string, unknown>;
}

export type NewEvent = Omit<EventRow, 'id'>;

/** One tool call, as the audit trail keeps it: who, what, how it ended, how long. Never its arguments. */
export interface AuditRecord {
  id: number;
  at: number;
  userId: string;
  /** Canonical (dotted) tool name. */
  tool: string;
  provider: string | null;
  /** The result's status: ok, pending, connected, auth_required, error. */
  status: string;
  /** The error kind or auth-required reason; null for success. */
  kind: string | null;
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

/** Fields a state change or bookkeeping update may set; unspecified fields are left alone. */
export interface ConnectionPatch {
  state?: ConnectionState;
  lastError?: LastError | null;
  failureStreak?: number;
  refreshDueAt?: number | null;
  lastUsedAt?: number;
  scopes?: string[];
  nextCheckAt?: number | null;
  refreshLostAt?: number | null;
}

export interface Store {
  // connections
  getConnection(userId: string, provider: string): Promise<ConnectionRow | null>;
  getConnectionById(id: string): Promise<ConnectionRow | null>;
  listConnections(filter?: { userId?: string; provider?: string }): Promise<ConnectionRow[]>;
  /**
   * Usable (healthy or scope_update_required) connections whose refreshDueAt or nextCheckAt is <= now,
   * earliest first.
   */
  listDue(now: number, limit: number): Promise<ConnectionRow[]>;
  /**
   * Apply a patch; with `expectedVersion` only if the row is still at that version. Bumps version when
   * state changes. Returns the new row, or null if the row is gone or the version moved.
   */
  updateConnection(
    id: string,
    patch: ConnectionPatch,
    now: number,
    expectedVersion?: number,
  ): Promise<ConnectionRow | null>;
  /** Deletes the row and its secret. */
  deleteConnection(id: string): Promise<boolean>;

  // refresh lease: one refresher per connection across processes
  /**
   * In one immediate transaction: if no unexpired lease is held by someone else, take it until
   * now + ttlMs and return the row; otherwise null.
   */
  acquireLease(id: string, owner: string, now: number, ttlMs: number): Promise<ConnectionRow | null>;
  /**
   * Commit refreshed tokens only if `owner` still holds the lease and the row is at `expectedVersion`;
   * bumps version, clears the lease, resets failureStreak, lastError and refreshLostAt, sets lastRefreshAt =
   * now. The state is kept (a scope_update_required connection still lacks its scope). Returns the new row or
   * null when fenced out.
   */
  commitRefresh(
    id: string,
    owner: string,
    expectedVersion: number,
    grant: GrantWrite,
    now: number,
  ): Promise<ConnectionRow | null>;
  /** Release a lease held by `owner` (no-op otherwise). */
  releaseLease(id: string, owner: string): Promise<void>;

  // consent
  createConsent(consent: NewConsent): Promise<ConsentRow>;
  getConsent(authId: string): Promise<ConsentRow | null>;
  getConsentByLink(linkId: string): Promise<ConsentRow | null>;
  getConsentByState(oauthState: string): Promise<ConsentRow | null>;
  /** created -> redirected, only if still `created` and not expired at `now`. Null otherwise. */
  markRedirected(
    linkId: string,
    update: { oauthState: string; verifier: SealedSecret; callbackExpiresAt: number },
    now: number,
  ): Promise<ConsentRow | null>;
  /** redirected -> exchanging (claims the callback once). Null if not `redirected`. */
  claimCallback(authId: string, now: number): Promise<ConsentRow | null>;
  /** Marks a consent failed (from created, redirected or exchanging). */
  failConsent(authId: string, error: string, now: number): Promise<void>;
  /**
   * An `exchanging` consent came back as another account: record it and the sha256 of a single-use
   * confirmation token, and give the user until `until` to confirm. Null if not `exchanging`.
   */
  holdForSwitch(
    authId: string,
    hold: { account: Account; tokenHash: string; until: number },
    now: number,
  ): Promise<ConsentRow | null>;
  /**
   * Uses up a confirmation token: the held consent (still `exchanging`, not past its deadline) with the token
   * cleared, or null when unknown, used or expired.
   */
  takeSwitch(tokenHash: string, now: number): Promise<ConsentRow | null>;
  /**
   * exchanging -> redirected again, with a new state and verifier, for a switch the user confirmed; the
   * callback may then store a grant for `expectedAccount`. Null if not `exchanging`.
   */
  rearmConsent(
    authId: string,
    update: {
      oauthState: string;
      verifier: SealedSecret;
      callbackExpiresAt: number;
      expectedAccount: string;
    },
    now: number,
  ): Promise<ConsentRow | null>;
  /**
   * In one transaction: exchanging -> completed, and insert or replace the (userId, provider) connection
   * with the grant, state healthy, version bumped, lease and errors cleared. `connectionId` is the id the
   * secret was sealed for (its additional data): the existing row's id on a reconnect, a fresh one otherwise.
   * Throws ConnectionIdMismatchError (carrying the existing id) when a row with another id exists, so the
   * caller re-seals for that id and tries again; nothing is written then.
   */
  completeConsent(
    authId: string,
    connectionId: string,
    grant: GrantWrite,
    now: number,
  ): Promise<ConnectionRow>;

  // alert episodes
  /** Opens an episode unless one with its key is open; returns the new row, or null when one was open. */
  openEpisode(episode: NewEpisode): Promise<EpisodeRow | null>;
  /** Records a failure or success seen during an open episode; null when it is not open. */
  noteEpisode(key: string, seen: { failureAt?: number; successAt?: number }): Promise<EpisodeRow | null>;
  /** Closes an episode; returns it as it was, or null when it was not open (someone closed it first). */
  closeEpisode(key: string): Promise<EpisodeRow | null>;
  /** Open episodes, optionally one provider's (both scopes) or one connection's. */
  listEpisodes(filter?: { provider?: string; connectionId?: string }): Promise<EpisodeRow[]>;

  // events
  appendEvent(event: NewEvent): Promise<EventRow>;
  listEvents(filter?: {
    connectionId?: string;
    userId?: string;
    afterId?: number;
    limit?: number;
    /** Only events of this type. */
    type?: string;
    /** The newest `limit` events, newest first (default: oldest first). */
    newestFirst?: boolean;
  }): Promise<EventRow[]>;

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

  close(): Promise<void>;
}

/** completeConsent found the (user, provider) row under another id; re-seal for `existingId` and retry. */
export class ConnectionIdMismatchError extends Error {
  override readonly name = 'ConnectionIdMismatchError';
  constructor(readonly existingId: string) {
    super('connection exists under another id');
  }
}

/** A consent step was asked of a consent in the wrong status, or of one that does not exist (status null). */
export class ConsentStateError extends Error {
  override readonly name = 'ConsentStateError';
  constructor(
    readonly authId: string,
    readonly status: ConsentStatus | null,
  ) {
    super(status === null ? 'consent not found' : `consent is ${status}`);
  }
}
