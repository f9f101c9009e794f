import type { StatementCache } from './statements.js';
import type { IdempotencyKeyRecord } from '../records.js';
import { toIdempotencyRecord } from '../rows.js';
import type { IdempotencyMethods } from '../store-parts.js';

/** The idempotency-key part of the SQLite store: claim in one immediate transaction, then finish or release. */

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

export function idempotencyMethods(s: StatementCache): IdempotencyMethods {
  return {
    async claimIdempotencyKey(userId, key, claimId, now, { leaseMs, ttlMs }) {
      return s.immediate(() => {
        const inserted = s.get<IdempotencyKeyRecord>(CLAIM).get({
          user_id: userId,
          key,
          claim_id: claimId,
          now,
          lease_expires_at: now + leaseMs,
          expires_at: now + ttlMs,
        });
        if (inserted !== undefined) return { claimed: true as const, record: toIdempotencyRecord(inserted) };
        const abandoned = s.get<IdempotencyKeyRecord>(ABANDON).get(now, userId, key, now);
        const current = abandoned ?? s.get<IdempotencyKeyRecord>(SELECT).get(userId, key);
        if (current === undefined) throw new Error('idempotency key vanished inside a transaction');
        return { claimed: false as const, record: toIdempotencyRecord(current) };
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
      const row = s.get<IdempotencyKeyRecord>(SELECT).get(userId, key);
      return row === undefined || row.expires_at <= now ? null : toIdempotencyRecord(row);
    },

    async purgeIdempotencyKeys(now) {
      return s.get('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now).changes;
    },
  };
}
