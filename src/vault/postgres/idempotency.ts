import type { PgDb } from './db.js';
import type { IdempotencyKeyRecord } from '../records.js';
import { toIdempotencyRecord } from '../rows.js';
import type { IdempotencyMethods } from '../store-parts.js';

/**
 * The idempotency-key half of the PostgreSQL store. The claim is an INSERT ... ON CONFLICT: a second
 * concurrent claim of a new key waits for the first to commit and then finds its row, so one claim wins.
 */

const SELECT = 'SELECT * FROM idempotency_keys WHERE user_id = $1 AND key = $2';
const CLAIM = `INSERT INTO idempotency_keys
    (user_id, key, state, claim_id, result, created_at, updated_at, lease_expires_at, expires_at)
  VALUES ($1, $2, 'pending', $3, NULL, $4, $4, $5, $6)
  ON CONFLICT (user_id, key) DO UPDATE SET state = 'pending', claim_id = excluded.claim_id, result = NULL,
    created_at = excluded.created_at, updated_at = excluded.updated_at,
    lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at
  WHERE idempotency_keys.expires_at <= $4
  RETURNING *`;
const ABANDON = `UPDATE idempotency_keys SET state = 'uncertain', lease_expires_at = NULL, updated_at = $3
  WHERE user_id = $1 AND key = $2 AND state = 'pending' AND lease_expires_at <= $3 RETURNING *`;
const COMPLETE = `UPDATE idempotency_keys SET state = 'completed', result = $4, lease_expires_at = NULL,
    updated_at = $5, expires_at = $6
  WHERE user_id = $1 AND key = $2 AND claim_id = $3 AND state = 'pending'`;
const UNCERTAIN = `UPDATE idempotency_keys SET state = 'uncertain', lease_expires_at = NULL, updated_at = $4,
    expires_at = $5
  WHERE user_id = $1 AND key = $2 AND claim_id = $3 AND state = 'pending'`;
const RELEASE = `DELETE FROM idempotency_keys
  WHERE user_id = $1 AND key = $2 AND claim_id = $3 AND state = 'pending'`;

export function pgIdempotencyMethods(db: PgDb): IdempotencyMethods {
  return {
    async claimIdempotencyKey(userId, key, claimId, now, { leaseMs, ttlMs }) {
      return db.tx(async (q) => {
        const inserted = await q.one<IdempotencyKeyRecord>(CLAIM, [
          userId,
          key,
          claimId,
          now,
          now + leaseMs,
          now + ttlMs,
        ]);
        if (inserted !== undefined) return { claimed: true as const, record: toIdempotencyRecord(inserted) };
        const abandoned = await q.one<IdempotencyKeyRecord>(ABANDON, [userId, key, now]);
        const current = abandoned ?? (await q.one<IdempotencyKeyRecord>(SELECT, [userId, key]));
        if (current === undefined) throw new Error('idempotency key vanished inside a transaction');
        return { claimed: false as const, record: toIdempotencyRecord(current) };
      });
    },

    async completeIdempotencyKey(userId, key, claimId, result, now, ttlMs) {
      return (await db.run(COMPLETE, [userId, key, claimId, JSON.stringify(result), now, now + ttlMs])) === 1;
    },

    async markIdempotencyKeyUncertain(userId, key, claimId, now, ttlMs) {
      return (await db.run(UNCERTAIN, [userId, key, claimId, now, now + ttlMs])) === 1;
    },

    async releaseIdempotencyKey(userId, key, claimId) {
      return (await db.run(RELEASE, [userId, key, claimId])) === 1;
    },

    async getIdempotencyKey(userId, key, now) {
      const row = await db.one<IdempotencyKeyRecord>(SELECT, [userId, key]);
      return row === undefined || row.expires_at <= now ? null : toIdempotencyRecord(row);
    },

    async purgeIdempotencyKeys(now) {
      return db.run('DELETE FROM idempotency_keys WHERE expires_at <= $1', [now]);
    },
  };
}
