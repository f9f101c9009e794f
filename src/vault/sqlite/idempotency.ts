import { type StatementCache, StoreDataError } from './rows.js';
import type { IdempotencyRecord, IdempotencyState, Store } from '../types.js';

/** The idempotency-key half of the SQLite store: claim in one immediate transaction, then finish or release. */
export type IdempotencyMethods = Pick<
  Store,
  | 'claimIdempotencyKey'
  | 'completeIdempotencyKey'
  | 'markIdempotencyKeyUncertain'
  | 'releaseIdempotencyKey'
  | 'getIdempotencyKey'
  | 'purgeIdempotencyKeys'
>;

/** An idempotency record as stored; the PostgreSQL store's columns hold the same values. */
export interface IdempotencyRecordRaw {
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

const STATES: readonly IdempotencyState[] = ['pending', 'completed', 'uncertain'];

const SELECT = 'SELECT * FROM idempotency_keys WHERE user_id = ? AND key = ?';
// An expired record of this key is replaced in the same statement, so the key is reusable after its TTL.
const CLAIM = `INSERT INTO idempotency_keys
    (user_id, key, state, claim_id, result, created_at, updated_at, lease_expires_at, expires_at)
  VALUES (@user_id, @key, 'pending', @claim_id, NULL, @now, @now, @lease_expires_at, @expires_at)
  ON CONFLICT (user_id, key) DO UPDATE SET state = 'pending', claim_id = excluded.claim_id, result = NULL,
    created_at = excluded.created_at, updated_at = excluded.updated_at,
    lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at
  WHERE idempotency_keys.expires_at <= @now
  RETURNING *`;
const ABANDON = `UPDATE idempotency_keys SET state = 'uncertain', lease_expires_at = NULL, updated_at = ?
  WHERE user_id = ? AND key = ? AND state = 'pending' AND lease_expires_at <= ? RETURNING *`;
const COMPLETE = `UPDATE idempotency_keys SET state = 'completed', result = ?, lease_expires_at = NULL,
    updated_at = ?, expires_at = ?
  WHERE user_id = ? AND key = ? AND claim_id = ? AND state = 'pending'`;
const UNCERTAIN = `UPDATE idempotency_keys SET state = 'uncertain', lease_expires_at = NULL, updated_at = ?,
    expires_at = ?
  WHERE user_id = ? AND key = ? AND claim_id = ? AND state = 'pending'`;
const RELEASE = `DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND claim_id = ? AND state = 'pending'`;

export function toRecord(r: IdempotencyRecordRaw): IdempotencyRecord {
  const state = STATES.find((s) => s === r.state);
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

export function idempotencyMethods(s: StatementCache): IdempotencyMethods {
  return {
    async claimIdempotencyKey(userId, key, claimId, now, { leaseMs, ttlMs }) {
      return s.immediate(() => {
        const inserted = s.get<IdempotencyRecordRaw>(CLAIM).get({
          user_id: userId,
          key,
          claim_id: claimId,
          now,
          lease_expires_at: now + leaseMs,
          expires_at: now + ttlMs,
        });
        if (inserted !== undefined) return { claimed: true as const, record: toRecord(inserted) };
        const abandoned = s.get<IdempotencyRecordRaw>(ABANDON).get(now, userId, key, now);
        const current = abandoned ?? s.get<IdempotencyRecordRaw>(SELECT).get(userId, key);
        if (current === undefined) throw new Error('idempotency key vanished inside a transaction');
        return { claimed: false as const, record: toRecord(current) };
      });
    },

    async completeIdempotencyKey(userId, key, claimId, result, now, ttlMs) {
      const info = s.get(COMPLETE).run(JSON.stringify(result), now, now + ttlMs, userId, key, claimId);
      return info.changes === 1;
    },

    async markIdempotencyKeyUncertain(userId, key, claimId, now, ttlMs) {
      return s.get(UNCERTAIN).run(now, now + ttlMs, userId, key, claimId).changes === 1;
    },

    async releaseIdempotencyKey(userId, key, claimId) {
      return s.get(RELEASE).run(userId, key, claimId).changes === 1;
    },

    async getIdempotencyKey(userId, key, now) {
      const row = s.get<IdempotencyRecordRaw>(SELECT).get(userId, key);
      return row === undefined || row.expires_at <= now ? null : toRecord(row);
    },

    async purgeIdempotencyKeys(now) {
      return s.get('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now).changes;
    },
  };
}
