import type { StatementCache } from './statements.js';
import type { EpisodeRecord } from '../records.js';
import { toEpisode } from '../rows.js';
import type { EpisodeMethods } from '../store-parts.js';

/** Open alert episodes in SQLite. */

const OPEN = `INSERT INTO episodes (key, scope, provider, connection_id, user_id, reason, opened_at,
    last_failure_at, failures)
  VALUES (@key, @scope, @provider, @connection_id, @user_id, @reason, @opened_at, @last_failure_at,
    CASE WHEN @last_failure_at IS NULL THEN 0 ELSE 1 END)
  ON CONFLICT (key) DO NOTHING
  RETURNING *`;
const NOTE = `UPDATE episodes SET
    last_failure_at = COALESCE(@failure_at, last_failure_at),
    last_success_at = COALESCE(@success_at, last_success_at),
    failures = failures + CASE WHEN @failure_at IS NULL THEN 0 ELSE 1 END
  WHERE key = @key RETURNING *`;

export function episodeMethods(s: StatementCache): EpisodeMethods {
  return {
    async openEpisode(e) {
      const row = s.get<EpisodeRecord>(OPEN).get({
        key: e.key,
        scope: e.scope,
        provider: e.provider,
        connection_id: e.connectionId,
        user_id: e.userId,
        reason: e.reason,
        opened_at: e.openedAt,
        last_failure_at: e.lastFailureAt,
      });
      return row === undefined ? null : toEpisode(row);
    },

    async noteEpisode(key, seen) {
      const row = s.get<EpisodeRecord>(NOTE).get({
        key,
        failure_at: seen.failureAt ?? null,
        success_at: seen.successAt ?? null,
      });
      return row === undefined ? null : toEpisode(row);
    },

    async closeEpisode(key) {
      const row = s.get<EpisodeRecord>('DELETE FROM episodes WHERE key = ? RETURNING *').get(key);
      return row === undefined ? null : toEpisode(row);
    },

    async listEpisodes(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.provider !== undefined) {
        where.push('provider = ?');
        params.push(filter.provider);
      }
      if (filter.connectionId !== undefined) {
        where.push('connection_id = ?');
        params.push(filter.connectionId);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      return s
        .get<EpisodeRecord>(`SELECT * FROM episodes${clause} ORDER BY opened_at, key`)
        .all(...params)
        .map(toEpisode);
    },
  };
}
