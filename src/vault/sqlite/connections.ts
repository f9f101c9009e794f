import { type StatementCache } from './statements.js';
import { mergeDue, patchedColumns } from '../patch.js';
import type { ConnectionRecord } from '../records.js';
import { toBuffer, toConnection } from '../rows.js';
import type { ConnectionMethods } from '../store-parts.js';
import type { ConnectionPatch, ConnectionRow, GrantWrite } from '../types.js';

/**
 * Takes the lease when it is free, expired, or already ours (then extends it). One UPDATE, so the check
 * and the take cannot be split by another writer.
 */
export const ACQUIRE_LEASE_SQL = `UPDATE connections SET lease_owner = @owner, lease_expires_at = @until
  WHERE id = @id
    AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at IS NULL OR lease_expires_at <= @now)
  RETURNING *`;

/**
 * The fenced commit. It does not look at the lease's expiry on purpose: if our lease lapsed but nobody took
 * it, the version is unchanged and our tokens are the newest (the provider may already have killed the old
 * refresh token, so dropping them would lose the grant). If someone else took it, lease_owner fences us out;
 * if someone else committed, version does. A refresh without an account, or without news of the refresh
 * token's expiry, keeps the one on record. The state is kept: a refresh does not grant a missing scope.
 */
export const COMMIT_REFRESH_SQL = `UPDATE connections SET
    secret = @secret, key_id = @key_id, scopes = @scopes, account = COALESCE(@account, account),
    access_expires_at = @access_expires_at, access_issued_at = @access_issued_at,
    refresh_due_at = @refresh_due_at, next_check_at = @next_check_at,
    refresh_expires_at = COALESCE(@refresh_expires_at, refresh_expires_at), refresh_lost_at = NULL,
    last_refresh_at = @now, failure_streak = 0, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL,
    version = version + 1, updated_at = @now
  WHERE id = @id AND version = @expected AND lease_owner = @owner
  RETURNING *`;

const SELECT_BY_ID = 'SELECT * FROM connections WHERE id = ?';
const SELECT_BY_USER_PROVIDER = 'SELECT * FROM connections WHERE user_id = ? AND provider = ?';
// Two indexed scans (refresh due, probe due), merged by mergeDue: an OR would not use the partial indexes.
const SELECT_REFRESH_DUE = `SELECT * FROM connections
  WHERE state IN ('healthy', 'scope_update_required') AND refresh_due_at IS NOT NULL AND refresh_due_at <= ?
  ORDER BY refresh_due_at, id LIMIT ?`;
const SELECT_CHECK_DUE = `SELECT * FROM connections
  WHERE state IN ('healthy', 'scope_update_required') AND next_check_at IS NOT NULL AND next_check_at <= ?
  ORDER BY next_check_at, id LIMIT ?`;
const UPDATE_PATCH = `UPDATE connections SET
    state = @state, last_error = @last_error, failure_streak = @failure_streak,
    refresh_due_at = @refresh_due_at, last_used_at = @last_used_at, scopes = @scopes,
    next_check_at = @next_check_at, refresh_lost_at = @refresh_lost_at,
    version = version + @bump, updated_at = @now
  WHERE id = @id RETURNING *`;

/** The grant's columns, as bound parameters shared by refresh commits and consent completion. */
export function grantParams(grant: GrantWrite): Record<string, unknown> {
  return {
    secret: toBuffer(grant.secret.blob),
    key_id: grant.secret.keyId,
    scopes: JSON.stringify(grant.scopes),
    account: grant.account === null ? null : JSON.stringify(grant.account),
    access_expires_at: grant.accessExpiresAt,
    access_issued_at: grant.accessIssuedAt,
    refresh_due_at: grant.refreshDueAt,
    next_check_at: grant.nextCheckAt ?? null,
    refresh_expires_at: grant.refreshExpiresAt ?? null,
  };
}

export function connectionMethods(s: StatementCache): ConnectionMethods {
  const byId = (id: string): ConnectionRecord | undefined => s.get<ConnectionRecord>(SELECT_BY_ID).get(id);
  const one = (r: ConnectionRecord | undefined): ConnectionRow | null =>
    r === undefined ? null : toConnection(r);

  return {
    async getConnection(userId, provider) {
      return one(s.get<ConnectionRecord>(SELECT_BY_USER_PROVIDER).get(userId, provider));
    },

    async getConnectionById(id) {
      return one(byId(id));
    },

    async listConnections(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.userId !== undefined) {
        where.push('user_id = ?');
        params.push(filter.userId);
      }
      if (filter.provider !== undefined) {
        where.push('provider = ?');
        params.push(filter.provider);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      const sql = `SELECT * FROM connections${clause} ORDER BY user_id, provider`;
      return s
        .get<ConnectionRecord>(sql)
        .all(...params)
        .map(toConnection);
    },

    async listDue(now, limit) {
      const refresh = s.get<ConnectionRecord>(SELECT_REFRESH_DUE).all(now, limit).map(toConnection);
      const check = s.get<ConnectionRecord>(SELECT_CHECK_DUE).all(now, limit).map(toConnection);
      return mergeDue(refresh, check, limit);
    },

    async updateConnection(id, patch: ConnectionPatch, now, expectedVersion) {
      return s.immediate(() => {
        const current = byId(id);
        if (current === undefined) return null;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return null;
        return one(s.get<ConnectionRecord>(UPDATE_PATCH).get({ id, now, ...patchedColumns(current, patch) }));
      });
    },

    async deleteConnection(id) {
      return s.get('DELETE FROM connections WHERE id = ?').run(id).changes > 0;
    },

    async acquireLease(id, owner, now, ttlMs) {
      return s.immediate(() =>
        one(s.get<ConnectionRecord>(ACQUIRE_LEASE_SQL).get({ id, owner, now, until: now + ttlMs })),
      );
    },

    async commitRefresh(id, owner, expectedVersion, grant, now) {
      return s.immediate(() =>
        one(
          s
            .get<ConnectionRecord>(COMMIT_REFRESH_SQL)
            .get({ ...grantParams(grant), id, owner, expected: expectedVersion, now }),
        ),
      );
    },

    async releaseLease(id, owner) {
      s.get(
        'UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?',
      ).run(id, owner);
    },
  };
}
