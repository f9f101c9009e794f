import type { PgDb } from './db.js';
import { type Migration, SchemaTooNewError } from '../migration.js';

/**
 * The PostgreSQL schema as an ordered list of migrations, numbered like the SQLite ones so one version means
 * one set of tables in either store. Append only. Columns hold what the SQLite columns hold (JSON as text,
 * millisecond timestamps as BIGINT), so both stores share one row mapping and its checks.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'connections, consents, events',
    up: `
      CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'healthy', 'refreshing',
          'reauthorization_required', 'scope_update_required', 'disabled')),
        scopes TEXT NOT NULL,
        account TEXT,
        secret BYTEA NOT NULL,
        key_id TEXT NOT NULL,
        access_expires_at BIGINT,
        access_issued_at BIGINT,
        refresh_due_at BIGINT,
        last_refresh_at BIGINT,
        last_used_at BIGINT,
        last_error TEXT,
        failure_streak INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (user_id, provider)
      );
      CREATE INDEX connections_refresh_due ON connections (refresh_due_at)
        WHERE state = 'healthy' AND refresh_due_at IS NOT NULL;
      CREATE INDEX connections_key_id ON connections (key_id);

      CREATE TABLE consents (
        auth_id TEXT PRIMARY KEY,
        link_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        scopes TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('not_connected', 'reauthorization_required',
          'scope_update_required')),
        status TEXT NOT NULL CHECK (status IN ('created', 'redirected', 'exchanging', 'completed', 'failed')),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        oauth_state TEXT UNIQUE,
        verifier BYTEA,
        verifier_key_id TEXT,
        callback_expires_at BIGINT,
        finished_at BIGINT,
        error TEXT,
        connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
        CHECK ((verifier IS NULL) = (verifier_key_id IS NULL))
      );
      CREATE INDEX consents_user_provider ON consents (user_id, provider);
      CREATE INDEX consents_expires_at ON consents (expires_at);
      CREATE INDEX consents_connection_id ON consents (connection_id);

      CREATE TABLE events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        type TEXT NOT NULL,
        connection_id TEXT,
        user_id TEXT,
        provider TEXT,
        from_state TEXT,
        to_state TEXT,
        reason TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX events_connection_id ON events (connection_id, id);
      CREATE INDEX events_user_id ON events (user_id, id);
      CREATE INDEX events_at ON events (at);
    `,
  },
  {
    version: 2,
    name: 'idempotency keys',
    up: `
      CREATE TABLE idempotency_keys (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'uncertain')),
        claim_id TEXT NOT NULL,
        result TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        lease_expires_at BIGINT,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, key),
        CHECK ((state = 'completed') = (result IS NOT NULL)),
        CHECK ((state = 'pending') = (lease_expires_at IS NOT NULL))
      );
      CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 3,
    name: 'api keys',
    up: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT,
        hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX api_keys_user_id ON api_keys (user_id);
    `,
  },
  {
    version: 4,
    name: 'audit trail, event and key indexes',
    up: `
      CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        provider TEXT,
        status TEXT NOT NULL,
        kind TEXT,
        duration_ms INTEGER NOT NULL,
        correlation_id TEXT NOT NULL
      );
      CREATE INDEX audit_user_id ON audit (user_id, id);
      CREATE INDEX audit_at ON audit (at);
      CREATE INDEX events_type ON events (type, id);
      CREATE INDEX consents_verifier_key_id ON consents (verifier_key_id) WHERE verifier_key_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'check plans, refresh-token expiry, lost refreshes, account switches, alert episodes',
    up: `
      ALTER TABLE connections ADD COLUMN next_check_at BIGINT;
      ALTER TABLE connections ADD COLUMN refresh_expires_at BIGINT;
      ALTER TABLE connections ADD COLUMN refresh_lost_at BIGINT;
      UPDATE connections SET next_check_at = updated_at WHERE refresh_due_at IS NULL;
      DROP INDEX connections_refresh_due;
      CREATE INDEX connections_refresh_due ON connections (refresh_due_at)
        WHERE state IN ('healthy', 'scope_update_required') AND refresh_due_at IS NOT NULL;
      CREATE INDEX connections_next_check ON connections (next_check_at)
        WHERE state IN ('healthy', 'scope_update_required') AND next_check_at IS NOT NULL;

      ALTER TABLE consents ADD COLUMN switch_account TEXT;
      ALTER TABLE consents ADD COLUMN switch_token_hash TEXT;
      ALTER TABLE consents ADD COLUMN expected_account TEXT;
      CREATE UNIQUE INDEX consents_switch_token ON consents (switch_token_hash)
        WHERE switch_token_hash IS NOT NULL;

      CREATE TABLE episodes (
        key TEXT PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('connection', 'provider')),
        provider TEXT NOT NULL,
        connection_id TEXT,
        user_id TEXT,
        reason TEXT NOT NULL,
        opened_at BIGINT NOT NULL,
        last_failure_at BIGINT,
        last_success_at BIGINT,
        failures INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX episodes_provider ON episodes (provider);
      CREATE INDEX episodes_connection_id ON episodes (connection_id);
    `,
  },
  {
    version: 6,
    name: 'web sessions, single-use tickets, held grants',
    up: `
      -- People signed in to toolvault's own pages. Only the sha256 of the browser's session id is kept.
      CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        method TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        ended_at BIGINT
      );
      CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
      -- Single-use capabilities (sign-in links, round trips, flow bindings), kept as hashes.
      CREATE TABLE web_tickets (
        hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT,
        data TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX web_tickets_expires_at ON web_tickets (expires_at);
      -- Tokens of a code exchange, sealed and inactive until the person is proven to be the consent's user.
      CREATE TABLE held_grants (
        auth_id TEXT PRIMARY KEY REFERENCES consents (auth_id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        secret BYTEA NOT NULL,
        key_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX held_grants_expires_at ON held_grants (expires_at);
    `,
  },
];

/** The database has no schema to create tables in (search_path names one that does not exist). */
export class NoSchemaError extends Error {
  override readonly name = 'NoSchemaError';
  constructor() {
    super('the database has no schema to create tables in: check search_path (options in the database URL)');
  }
}

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock keyed by the
 * schema: instances starting together queue on the lock and the later ones find nothing left to do.
 * Returns the versions applied.
 */
export async function migratePostgres(
  db: PgDb,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number[]> {
  const known = migrations.at(-1)?.version ?? 0;
  const client = await db.pool.connect();
  let broken = false;
  try {
    const schema = (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!schema) throw new NoSchemaError();
    const lockKey = `toolvault.migrations:${schema}`;
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const row = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      const current = row.rows[0]?.v ?? 0;
      if (current > known) throw new SchemaTooNewError(current, known);
      const applied: number[] = [];
      for (const m of migrations) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.up);
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [m.version, m.name, Date.now()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      // If unlocking fails, destroying the connection ends the session and so releases the lock.
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.release(broken);
  }
}
