/**
 * The vault's records as the columns hold them, the same in SQLite and PostgreSQL: JSON as text, times as
 * epoch milliseconds, secrets as bytes. Both dialects read them with the mappers in rows.ts.
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

/** An API key as stored; as both dialects' columns hold it. */
export interface ApiKeyRecord {
  id: string;
  user_id: string;
  name: string | null;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An idempotency record as stored; as both dialects' columns hold it. */
export interface IdempotencyKeyRecord {
  user_id: string;
  key: string;
  state: string;
  claim_id: string;
  result: string | null;
  created_at: number;
  updated_at: number;
  lease_expires_at: number | null;
  expires_at: number;
}

/** An audit record as stored, as both dialects' columns hold it. */
export interface AuditRowRecord {
  id: number;
  at: number;
  user_id: string;
  tool: string;
  provider: string | null;
  status: string;
  kind: string | null;
  duration_ms: number;
  correlation_id: string;
}

/** A sealed secret as key rotation's listing query returns it (one shape for connections and consents). */
export interface SealedRecord {
  kind: 'connection' | 'consent';
  id: string;
  version: number | null;
  key_id: string;
  blob: Buffer;
}
