import type { Queryable, PgDb } from './db.js';
import { mergeDue, patchedColumns } from '../patch.js';
import type { ConnectionRecord } from '../records.js';
import { toBuffer, toConnection } from '../rows.js';
import type { ConnectionMethods } from '../store-parts.js';
import type { ConnectionPatch, ConnectionRow, GrantWrite } from '../types.js';

/**
 * The connection and refresh-lease half of the PostgreSQL store. The lease is taken and the refresh
 * committed each by one conditional UPDATE: PostgreSQL locks the row for the statement and, when a
 * concurrent writer got there first, re-checks the WHERE clause against the row it committed (READ
 * COMMITTED), so of N instances racing for an expired lease exactly one gets a row back.
 */

export const PG_ACQUIRE_LEASE_SQL = `UPDATE connections SET lease_owner = $2, lease_expires_at = $4
  WHERE id = $1
    AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at IS NULL OR lease_expires_at <= $3)
  RETURNING *`;

/** The fenced commit; see COMMIT_REFRESH_SQL (SQLite) for why the lease's expiry is not checked. */
export const PG_COMMIT_REFRESH_SQL = `UPDATE connections SET
    secret = $4, key_id = $5, scopes = $6, account = COALESCE($7, account),
    access_expires_at = $8, access_issued_at = $9, refresh_due_at = $10, next_check_at = $11,
    refresh_expires_at = COALESCE($12, refresh_expires_at), refresh_lost_at = NULL, last_refresh_at = $13,
    failure_streak = 0, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL,
    version = version + 1, updated_at = $13
  WHERE id = $1 AND lease_owner = $2 AND version = $3
  RETURNING *`;

const SELECT_REFRESH_DUE = `SELECT * FROM connections
  WHERE state IN ('healthy', 'scope_update_required') AND refresh_due_at IS NOT NULL AND refresh_due_at <= $1
  ORDER BY refresh_due_at, id COLLATE "C" LIMIT $2`;
const SELECT_CHECK_DUE = `SELECT * FROM connections
  WHERE state IN ('healthy', 'scope_update_required') AND next_check_at IS NOT NULL AND next_check_at <= $1
  ORDER BY next_check_at, id COLLATE "C" LIMIT $2`;
const UPDATE_PATCH = `UPDATE connections SET
    state = $2, last_error = $3, failure_streak = $4, refresh_due_at = $5, last_used_at = $6, scopes = $7,
    version = version + $8, updated_at = $9, next_check_at = $10, refresh_lost_at = $11
  WHERE id = $1 RETURNING *`;

/** The grant's column values in the order `secret, key_id, scopes, account, access_expires_at,
 * access_issued_at, refresh_due_at, next_check_at, refresh_expires_at`. */
export function grantValues(grant: GrantWrite): unknown[] {
  return [
    toBuffer(grant.secret.blob),
    grant.secret.keyId,
    JSON.stringify(grant.scopes),
    grant.account === null ? null : JSON.stringify(grant.account),
    grant.accessExpiresAt,
    grant.accessIssuedAt,
    grant.refreshDueAt,
    grant.nextCheckAt ?? null,
    grant.refreshExpiresAt ?? null,
  ];
}

const one = (r: ConnectionRecord | undefined): ConnectionRow | null =>
  r === undefined ? null : toConnection(r);

async function patchRow(
  q: Queryable,
  id: string,
  patch: ConnectionPatch,
  now: number,
  expectedVersion: number | undefined,
): Promise<ConnectionRow | null> {
  const current = await q.one<ConnectionRecord>('SELECT * FROM connections WHERE id = $1 FOR UPDATE', [id]);
  if (current === undefined) return null;
  if (expectedVersion !== undefined && current.version !== expectedVersion) return null;
  const c = patchedColumns(current, patch);
  return one(
    await q.one<ConnectionRecord>(UPDATE_PATCH, [
      id,
      c.state,
      c.last_error,
      c.failure_streak,
      c.refresh_due_at,
      c.last_used_at,
      c.scopes,
      c.bump,
      now,
      c.next_check_at,
      c.refresh_lost_at,
    ]),
  );
}

export function pgConnectionMethods(db: PgDb): ConnectionMethods {
  return {
    async getConnection(userId, provider) {
      return one(
        await db.one<ConnectionRecord>('SELECT * FROM connections WHERE user_id = $1 AND provider = $2', [
          userId,
          provider,
        ]),
      );
    },

    async getConnectionById(id) {
      return one(await db.one<ConnectionRecord>('SELECT * FROM connections WHERE id = $1', [id]));
    },

    async listConnections(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.userId !== undefined) {
        params.push(filter.userId);
        where.push(`user_id = $${params.length}`);
      }
      if (filter.provider !== undefined) {
        params.push(filter.provider);
        where.push(`provider = $${params.length}`);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      // Byte order, as SQLite sorts, whatever the database's collation.
      const sql = `SELECT * FROM connections${clause} ORDER BY user_id COLLATE "C", provider COLLATE "C"`;
      return (await db.all<ConnectionRecord>(sql, params)).map(toConnection);
    },

    async listDue(now, limit) {
      const refresh = (await db.all<ConnectionRecord>(SELECT_REFRESH_DUE, [now, limit])).map(toConnection);
      const check = (await db.all<ConnectionRecord>(SELECT_CHECK_DUE, [now, limit])).map(toConnection);
      return mergeDue(refresh, check, limit);
    },

    async updateConnection(id, patch, now, expectedVersion) {
      return db.tx((q) => patchRow(q, id, patch, now, expectedVersion));
    },

    async deleteConnection(id) {
      return (await db.run('DELETE FROM connections WHERE id = $1', [id])) > 0;
    },

    async acquireLease(id, owner, now, ttlMs) {
      return one(await db.one<ConnectionRecord>(PG_ACQUIRE_LEASE_SQL, [id, owner, now, now + ttlMs]));
    },

    async commitRefresh(id, owner, expectedVersion, grant, now) {
      return one(
        await db.one<ConnectionRecord>(PG_COMMIT_REFRESH_SQL, [
          id,
          owner,
          expectedVersion,
          ...grantValues(grant),
          now,
        ]),
      );
    },

    async releaseLease(id, owner) {
      await db.run(
        'UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2',
        [id, owner],
      );
    },
  };
}
