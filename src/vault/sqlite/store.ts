import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import { apiKeyMethods } from './api-keys.js';
import { auditMethods } from './audit.js';
import { connectionMethods } from './connections.js';
import { consentMethods } from './consents.js';
import { episodeMethods } from './episodes.js';
import { idempotencyMethods } from './idempotency.js';
import { resealMethods } from './reseal.js';
import { StatementCache } from './statements.js';
import type { EventRecord } from '../records.js';
import { toEvent } from '../rows.js';
import { DEFAULT_EVENT_LIMIT, type EventMethods } from '../store-parts.js';
import { webMethods } from './web.js';
import type { Store } from '../types.js';

export { ACQUIRE_LEASE_SQL, COMMIT_REFRESH_SQL } from './connections.js';

/**
 * Opens (creating and migrating as needed) a SQLite vault. Safe for several processes on one file: every
 * read-then-write runs in BEGIN IMMEDIATE and waits up to 5 s for the write lock.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') createPrivateFile(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // Freed pages are zeroed, so a deleted or replaced secret does not linger in the file.
    db.pragma('secure_delete = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const s = new StatementCache(db);
  return {
    ...connectionMethods(s),
    ...consentMethods(s),
    ...eventMethods(s),
    ...idempotencyMethods(s),
    ...apiKeyMethods(s),
    ...auditMethods(s),
    ...resealMethods(s),
    ...episodeMethods(s),
    ...webMethods(s),
    async close() {
      if (db.open) db.close();
    },
  };
}

/**
 * SQLite creates its file with the process umask (often 0644); pre-creating it 0600 matters because the
 * -wal and -shm files copy the database file's permissions.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

const INSERT_EVENT = `INSERT INTO events (at, type, connection_id, user_id, provider, from_state, to_state, reason, detail)
  VALUES (@at, @type, @connection_id, @user_id, @provider, @from_state, @to_state, @reason, @detail)
  RETURNING *`;

function eventMethods(s: StatementCache): EventMethods {
  return {
    async appendEvent(e) {
      const row = s.get<EventRecord>(INSERT_EVENT).get({
        at: e.at,
        type: e.type,
        connection_id: e.connectionId,
        user_id: e.userId,
        provider: e.provider,
        from_state: e.fromState,
        to_state: e.toState,
        reason: e.reason,
        detail: JSON.stringify(e.detail),
      });
      if (row === undefined) throw new Error('event insert returned no row');
      return toEvent(row);
    },

    async listEvents(filter = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.connectionId !== undefined) {
        where.push('connection_id = ?');
        params.push(filter.connectionId);
      }
      if (filter.userId !== undefined) {
        where.push('user_id = ?');
        params.push(filter.userId);
      }
      if (filter.afterId !== undefined) {
        where.push('id > ?');
        params.push(filter.afterId);
      }
      if (filter.type !== undefined) {
        where.push('type = ?');
        params.push(filter.type);
      }
      const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      params.push(filter.limit ?? DEFAULT_EVENT_LIMIT);
      const order = filter.newestFirst ? 'DESC' : 'ASC';
      return s
        .get<EventRecord>(`SELECT * FROM events${clause} ORDER BY id ${order} LIMIT ?`)
        .all(...params)
        .map(toEvent);
    },
  };
}
