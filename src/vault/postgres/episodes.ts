import type { PgDb } from './db.js';
import type { EpisodeRecord } from '../records.js';
import { toEpisode } from '../rows.js';
import type { EpisodeMethods } from '../store-parts.js';

/** Open alert episodes in PostgreSQL; the same one-row-per-open-episode table as SQLite. */

const OPEN = `INSERT INTO episodes (key, scope, provider, connection_id, user_id, reason, opened_at,
    last_failure_at, failures)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::BIGINT, CASE WHEN $8::BIGINT IS NULL THEN 0 ELSE 1 END)
  ON CONFLICT (key) DO NOTHING
  RETURNING *`;
const NOTE = `UPDATE episodes SET
    last_failure_at = COALESCE($2::BIGINT, last_failure_at),
    last_success_at = COALESCE($3::BIGINT, last_success_at),
    failures = failures + CASE WHEN $2::BIGINT IS NULL THEN 0 ELSE 1 END
  WHERE key = $1 RETURNING *`;

export function pgEpisodeMethods(db: PgDb): EpisodeMethods {
  return {
    async openEpisode(e) {
      const row = await db.one<EpisodeRecord>(OPEN, [
        e.key,
        e.scope,
        e.provider,
        e.connectionId,
        e.userId,
        e.reason,
        e.openedAt,
        e.lastFailureAt,
      ]);
      return row === undefined ? null : toEpisode(row);
    },

    async noteEpisode(key, seen) {
      const row = await db.one<EpisodeRecord>(NOTE, [key, seen.failureAt ?? null, seen.successAt ?? null]);
      return row === undefined ? null : toEpisode(row);
    },

    async closeEpisode(key) {
      const row = await db.one<EpisodeRecord>('DELETE FROM episodes WHERE key = $1 RETURNING *', [key]);
      return row === undefined ? null : toEpisode(row);
    },

    async listEpisodes(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.provider !== undefined) {
        params.push(filter.provider);
        where.push(`provider = $${params.length}`);
      }
      if (filter.connectionId !== undefined) {
        params.push(filter.connectionId);
        where.push(`connection_id = $${params.length}`);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      const sql = `SELECT * FROM episodes${clause} ORDER BY opened_at, key COLLATE "C"`;
      return (await db.all<EpisodeRecord>(sql, params)).map(toEpisode);
    },
  };
}
