import type { AuthReason, ConnectionState, ErrorKind } from '../contract.js';
import type { Account } from '../providers/types.js';
import type { OperationsStore } from './operation-types.js';
import type { SealedSecret } from './seal.js';
import type { WebStore } from './web-types.js';

export type { Account, SealedSecret };
/** Re-exported for the vault's own readers; the vocabulary lives in contract.ts. */
export { CONNECTION_STATES, type AuthReason, type ConnectionState } from '../contract.js';
export * from './operation-types.js';
export * from './web-types.js';

/**
 * The vault's storage contract. SQLite and PostgreSQL implement it and run one contract suite.
 * Methods are async so a networked store fits the same shape. Secrets cross this boundary only sealed.
 */

export interface LastError {
  kind: ErrorKind;
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

/**
 * The whole store: connections, consents and events here; episodes, audit, key rotation, idempotency and
 * API keys in {@link OperationsStore}; web sessions, tickets and held grants in {@link WebStore}.
 */
export interface Store extends OperationsStore, WebStore {
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
