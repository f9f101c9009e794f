import type Database from 'better-sqlite3';
import {
  type Account,
  type AuthReason,
  CONNECTION_STATES,
  type ConnectionRow,
  type ConnectionState,
  type ConsentRow,
  type ConsentStatus,
  type EpisodeRow,
  type EventRow,
  type LastError,
  type SealedSecret,
} from '../types.js';

/**
 * The SQLite side of the store's types: raw records as columns hold them, and the mapping to the camelCase
 * rows. JSON columns are checked on the way out, so a damaged row is an error here and not a surprise later.
 */

/** A connection as stored. */
export interface ConnectionRecord {
  id: string;
  user_id: string;
  provider: string;
  state: string;
  scopes: string;
  account: string | null;
  secret: Buffer;
  key_id: string;
  access_expires_at: number | null;
  access_issued_at: number | null;
  refresh_due_at: number | null;
  last_refresh_at: number | null;
  last_used_at: number | null;
  last_error: string | null;
  failure_streak: number;
  version: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  /** Columns of migration 5 (undefined on a row read before it ran). */
  next_check_at?: number | null;
  refresh_expires_at?: number | null;
  refresh_lost_at?: number | null;
}

export interface ConsentRecord {
  auth_id: string;
  link_id: string;
  user_id: string;
  provider: string;
  scopes: string;
  reason: string;
  status: string;
  created_at: number;
  expires_at: number;
  oauth_state: string | null;
  verifier: Buffer | null;
  verifier_key_id: string | null;
  callback_expires_at: number | null;
  finished_at: number | null;
  error: string | null;
  connection_id: string | null;
  switch_account?: string | null;
  switch_token_hash?: string | null;
  expected_account?: string | null;
}

export interface EpisodeRecord {
  key: string;
  scope: string;
  provider: string;
  connection_id: string | null;
  user_id: string | null;
  reason: string;
  opened_at: number;
  last_failure_at: number | null;
  last_success_at: number | null;
  failures: number;
}

export interface EventRecord {
  id: number;
  at: number;
  type: string;
  connection_id: string | null;
  user_id: string | null;
  provider: string | null;
  from_state: string | null;
  to_state: string | null;
  reason: string | null;
  detail: string;
}

/** Prepared statements, compiled once per SQL text. */
export class StatementCache {
  private readonly cache = new Map<string, Database.Statement<unknown[], unknown>>();
  constructor(readonly db: Database.Database) {}

  get<Row>(sql: string): Database.Statement<unknown[], Row> {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt as Database.Statement<unknown[], Row>;
  }

  /** Runs `fn` in BEGIN IMMEDIATE: deferred transactions hit SQLITE_BUSY across processes (NOTES.md). */
  immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

/** A view over the bytes for binding, without copying. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toConnection(r: ConnectionRecord): ConnectionRow {
  return {
    id: r.id,
    userId: r.user_id,
    provider: r.provider,
    state: connectionState(r.state),
    scopes: stringArray(r.scopes, 'connections.scopes'),
    account: r.account === null ? null : account(r.account),
    secret: { keyId: r.key_id, blob: new Uint8Array(r.secret) },
    accessExpiresAt: r.access_expires_at,
    accessIssuedAt: r.access_issued_at,
    refreshDueAt: r.refresh_due_at,
    nextCheckAt: r.next_check_at ?? null,
    refreshExpiresAt: r.refresh_expires_at ?? null,
    refreshLostAt: r.refresh_lost_at ?? null,
    lastRefreshAt: r.last_refresh_at,
    lastUsedAt: r.last_used_at,
    lastError: r.last_error === null ? null : lastError(r.last_error),
    failureStreak: r.failure_streak,
    version: r.version,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toConsent(r: ConsentRecord): ConsentRow {
  const verifier: SealedSecret | null =
    r.verifier === null || r.verifier_key_id === null
      ? null
      : { keyId: r.verifier_key_id, blob: new Uint8Array(r.verifier) };
  return {
    authId: r.auth_id,
    linkId: r.link_id,
    userId: r.user_id,
    provider: r.provider,
    scopes: stringArray(r.scopes, 'consents.scopes'),
    reason: oneOf<AuthReason>(r.reason, AUTH_REASONS, 'consents.reason'),
    status: oneOf<ConsentStatus>(r.status, CONSENT_STATUSES, 'consents.status'),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    oauthState: r.oauth_state,
    verifier,
    callbackExpiresAt: r.callback_expires_at,
    finishedAt: r.finished_at,
    error: r.error,
    connectionId: r.connection_id,
    switchAccount: r.switch_account ? account(r.switch_account, 'consents.switch_account') : null,
    expectedAccount: r.expected_account ?? null,
  };
}

export function toEpisode(r: EpisodeRecord): EpisodeRow {
  return {
    key: r.key,
    scope: oneOf<EpisodeRow['scope']>(r.scope, ['connection', 'provider'], 'episodes.scope'),
    provider: r.provider,
    connectionId: r.connection_id,
    userId: r.user_id,
    reason: r.reason,
    openedAt: r.opened_at,
    lastFailureAt: r.last_failure_at,
    lastSuccessAt: r.last_success_at,
    failures: r.failures,
  };
}

export function toEvent(r: EventRecord): EventRow {
  const detail = parseJson(r.detail, 'events.detail');
  if (!isRecord(detail)) throw new StoreDataError('events.detail');
  return {
    id: r.id,
    at: r.at,
    type: r.type,
    connectionId: r.connection_id,
    userId: r.user_id,
    provider: r.provider,
    fromState: r.from_state === null ? null : connectionState(r.from_state),
    toState: r.to_state === null ? null : connectionState(r.to_state),
    reason: r.reason,
    detail,
  };
}

/** A stored value does not have the shape the store wrote; the database was edited or damaged. */
export class StoreDataError extends Error {
  override readonly name = 'StoreDataError';
  constructor(readonly column: string) {
    super(`stored ${column} is malformed`);
  }
}

const AUTH_REASONS: readonly AuthReason[] = [
  'not_connected',
  'reauthorization_required',
  'scope_update_required',
];
const CONSENT_STATUSES: readonly ConsentStatus[] = [
  'created',
  'redirected',
  'exchanging',
  'completed',
  'failed',
];

function connectionState(value: string): ConnectionState {
  return oneOf<ConnectionState>(value, CONNECTION_STATES, 'connections.state');
}

function oneOf<T extends string>(value: string, allowed: readonly T[], column: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new StoreDataError(column);
  return found;
}

function stringArray(text: string, column: string): string[] {
  const value = parseJson(text, column);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new StoreDataError(column);
  return value;
}

function account(text: string, column = 'connections.account'): Account {
  const v = parseJson(text, column);
  if (!isRecord(v) || typeof v['id'] !== 'string') throw new StoreDataError(column);
  const out: Account = { id: v['id'] };
  if (typeof v['name'] === 'string') out.name = v['name'];
  if (typeof v['team'] === 'string') out.team = v['team'];
  return out;
}

function lastError(text: string): LastError {
  const v = parseJson(text, 'connections.last_error');
  if (!isRecord(v) || typeof v['kind'] !== 'string' || typeof v['at'] !== 'number') {
    throw new StoreDataError('connections.last_error');
  }
  const out: LastError = { kind: v['kind'], at: v['at'] };
  if (typeof v['code'] === 'string') out.code = v['code'];
  if (typeof v['retryAt'] === 'number') out.retryAt = v['retryAt'];
  return out;
}

function parseJson(text: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreDataError(column);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
