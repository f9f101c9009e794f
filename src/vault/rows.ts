import { AUTH_REASONS, ERROR_KINDS, RESULT_KINDS, RESULT_STATUSES } from '../contract.js';
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
  type ApiKeyRow,
  type AuditRecord,
  type IdempotencyRecord,
  type IdempotencyState,
  type SealedRef,
} from './types.js';
import type {
  ApiKeyRecord,
  AuditRowRecord,
  ConnectionRecord,
  ConsentRecord,
  EpisodeRecord,
  EventRecord,
  IdempotencyKeyRecord,
  SealedRecord,
} from './records.js';

/**
 * The row readers both dialects share: records as the columns hold them (records.ts) to the camelCase rows
 * of the Store contract. JSON columns are checked on the way out, so a damaged row is an error here and not
 * a surprise later.
 */

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

export function toApiKey(r: ApiKeyRecord): ApiKeyRow {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    hash: r.hash,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export function toIdempotencyRecord(r: IdempotencyKeyRecord): IdempotencyRecord {
  const state = IDEMPOTENCY_STATES.find((s) => s === r.state);
  if (state === undefined) throw new StoreDataError('idempotency_keys.state');
  let result: Record<string, unknown> | null = null;
  if (r.result !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.result);
    } catch {
      throw new StoreDataError('idempotency_keys.result');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new StoreDataError('idempotency_keys.result');
    result = parsed as Record<string, unknown>;
  }
  return {
    userId: r.user_id,
    key: r.key,
    state,
    claimId: r.claim_id,
    result,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    leaseExpiresAt: r.lease_expires_at,
    expiresAt: r.expires_at,
  };
}

export const toAudit = (r: AuditRowRecord): AuditRecord => ({
  id: r.id,
  at: r.at,
  userId: r.user_id,
  tool: r.tool,
  provider: r.provider,
  status: oneOf(r.status, RESULT_STATUSES, 'audit.status'),
  kind: r.kind === null ? null : oneOf(r.kind, AUDIT_KINDS, 'audit.kind'),
  durationMs: r.duration_ms,
  correlationId: r.correlation_id,
});

export const toSealedRef = (r: SealedRecord): SealedRef => ({
  kind: r.kind,
  id: r.id,
  version: r.version,
  secret: { keyId: r.key_id, blob: new Uint8Array(r.blob) },
});

/** A stored value does not have the shape the store wrote; the database was edited or damaged. */
export class StoreDataError extends Error {
  override readonly name = 'StoreDataError';
  constructor(readonly column: string) {
    super(`stored ${column} is malformed`);
  }
}

const CONSENT_STATUSES: readonly ConsentStatus[] = [
  'created',
  'redirected',
  'exchanging',
  'completed',
  'failed',
];

const IDEMPOTENCY_STATES: readonly IdempotencyState[] = ['pending', 'completed', 'uncertain'];

function connectionState(value: string): ConnectionState {
  return oneOf<ConnectionState>(value, CONNECTION_STATES, 'connections.state');
}

/** What an audit record's kind may be: a result's error or outcome kind, or an auth-required reason. */
const AUDIT_KINDS = [...RESULT_KINDS, ...AUTH_REASONS] as const;

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
  const out: LastError = { kind: oneOf(v['kind'], ERROR_KINDS, 'connections.last_error'), at: v['at'] };
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
