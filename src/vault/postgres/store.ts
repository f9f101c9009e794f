import { pgApiKeyMethods } from './api-keys.js';
import { pgConnectionMethods } from './connections.js';
import { pgConsentMethods } from './consents.js';
import { createPgDb, type PgDb, type PgDbOptions } from './db.js';
import { pgEpisodeMethods } from './episodes.js';
import { pgIdempotencyMethods } from './idempotency.js';
import { migratePostgres } from './migrations.js';
import { pgAuditMethods, pgResealMethods } from './operations.js';
import type { EventRecord } from '../records.js';
import { toEvent } from '../rows.js';
import { DEFAULT_EVENT_LIMIT, type EventMethods } from '../store-parts.js';
import { pgWebMethods } from './web.js';
import type { Store } from '../types.js';

export { PG_ACQUIRE_LEASE_SQL, PG_COMMIT_REFRESH_SQL } from './connections.js';

/**
 * Opens a PostgreSQL vault (`postgres://...`), migrating it under an advisory lock. Several toolvault
 * instances may share one database: every read-then-write is one conditional statement or a transaction
 * that locks its rows, and the refresh lease lives in the connection row as it does in SQLite.
 * The schema is the first one on the connection's search_path (set it with `?options=-c search_path=...`).
 */
export async function openPostgresStore(url: string, o: PgDbOptions = {}): Promise<Store> {
  const db = createPgDb(url, o);
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.pool.end().catch(() => undefined);
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    ...pgConnectionMethods(db),
    ...pgConsentMethods(db),
    ...eventMethods(db),
    ...pgIdempotencyMethods(db),
    ...pgApiKeyMethods(db),
    ...pgAuditMethods(db),
    ...pgResealMethods(db),
    ...pgEpisodeMethods(db),
    ...pgWebMethods(db),
    close() {
      closed ??= db.pool.end();
      return closed;
    },
  };
}

const INSERT_EVENT = `INSERT INTO events (at, type, connection_id, user_id, provider, from_state, to_state, reason, detail)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  RETURNING *`;

function eventMethods(db: PgDb): EventMethods {
  return {
    async appendEvent(e) {
      const row = await db.one<EventRecord>(INSERT_EVENT, [
        e.at,
        e.type,
        e.connectionId,
        e.userId,
        e.provider,
        e.fromState,
        e.toState,
        e.reason,
        JSON.stringify(e.detail),
      ]);
      if (row === undefined) throw new Error('event insert returned no row');
      return toEvent(row);
    },

    async listEvents(filter = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, value: string | number) => {
        params.push(value);
        where.push(`${sql} $${params.length}`);
      };
      if (filter.connectionId !== undefined) add('connection_id =', filter.connectionId);
      if (filter.userId !== undefined) add('user_id =', filter.userId);
      if (filter.afterId !== undefined) add('id >', filter.afterId);
      if (filter.type !== undefined) add('type =', filter.type);
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      params.push(filter.limit ?? DEFAULT_EVENT_LIMIT);
      const order = filter.newestFirst ? 'DESC' : 'ASC';
      const rows = await db.all<EventRecord>(
        `SELECT * FROM events${clause} ORDER BY id ${order} LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEvent);
    },
  };
}
