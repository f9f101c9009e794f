import type Database from 'better-sqlite3';
import { checkOrder, type Migration, SchemaTooNewError } from '../migration.js';

/**
 * The SQLite schema as an ordered list of migrations. Append only: a shipped migration is never edited,
 * a change is a new entry (api keys, idempotency and audit tables come as later versions).
 */

export const MIGRATIONS: readonly Migration[] = [
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
        secret BLOB NOT NULL,
        key_id TEXT NOT NULL,
        access_expires_at INTEGER,
        access_issued_at INTEGER,
        refresh_due_at INTEGER,
        last_refresh_at INTEGER,
        last_used_at INTEGER,
        last_error TEXT,
        failure_streak INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (user_id, provider)
      ) STRICT;
      -- Partial: the scheduler only ever asks for healthy rows, so the index skips the rest.
      CREATE INDEX connections_refresh_due ON connections (refresh_due_at)
        WHERE state = 'healthy' AND refresh_due_at IS NOT NULL;
      -- Key rotation and the start-up key check look rows up by the key that sealed them.
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
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        oauth_state TEXT UNIQUE,
        verifier BLOB,
        verifier_key_id TEXT,
        callback_expires_at INTEGER,
        finished_at INTEGER,
        error TEXT,
        connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
        CHECK ((verifier IS NULL) = (verifier_key_id IS NULL))
      ) STRICT;
      CREATE INDEX consents_user_provider ON consents (user_id, provider);
      CREATE INDEX consents_expires_at ON consents (expires_at);
      CREATE INDEX consents_connection_id ON consents (connection_id);

      -- No foreign key to connections: the history outlives a deleted connection.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        connection_id TEXT,
        user_id TEXT,
        provider TEXT,
        from_state TEXT,
        to_state TEXT,
        reason TEXT,
        detail TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_connection_id ON events (connection_id, id);
      CREATE INDEX events_user_id ON events (user_id, id);
      CREATE INDEX events_at ON events (at);
    `,
  },
  {
    version: 2,
    name: 'idempotency keys',
    up: `
      -- One write per (user, key): the primary key is what makes a concurrent second claim lose.
      CREATE TABLE idempotency_keys (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'uncertain')),
        claim_id TEXT NOT NULL,
        result TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        lease_expires_at INTEGER,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, key),
        CHECK ((state = 'completed') = (result IS NOT NULL)),
        CHECK ((state = 'pending') = (lease_expires_at IS NOT NULL))
      ) STRICT;
      CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 3,
    name: 'api keys',
    up: `
      -- HTTP callers' credentials: the key's sha256 only; the id is the key's public part.
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT,
        hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX api_keys_user_id ON api_keys (user_id);
    `,
  },
  {
    version: 4,
    name: 'audit trail, event and key indexes',
    up: `
      -- One row per tool call; arguments are never stored (they may hold anything a user typed).
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        provider TEXT,
        status TEXT NOT NULL,
        kind TEXT,
        duration_ms INTEGER NOT NULL,
        correlation_id TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_user_id ON audit (user_id, id);
      CREATE INDEX audit_at ON audit (at);
      -- Alerts and state changes are looked up by type (dashboard, idle alerts).
      CREATE INDEX events_type ON events (type, id);
      -- Key rotation finds consents in flight whose verifier is sealed under an old key.
      CREATE INDEX consents_verifier_key_id ON consents (verifier_key_id) WHERE verifier_key_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'check plans, refresh-token expiry, lost refreshes, account switches, alert episodes',
    up: `
      ALTER TABLE connections ADD COLUMN next_check_at INTEGER;
      ALTER TABLE connections ADD COLUMN refresh_expires_at INTEGER;
      ALTER TABLE connections ADD COLUMN refresh_lost_at INTEGER;
      -- Tokens stored without a refresh plan get their first probe at once.
      UPDATE connections SET next_check_at = updated_at WHERE refresh_due_at IS NULL;
      -- The scheduler now also refreshes scope_update_required connections (their granted scopes still work).
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

      -- Open alert episodes only: the key's uniqueness is what makes an alert fire once across processes.
      CREATE TABLE episodes (
        key TEXT PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('connection', 'provider')),
        provider TEXT NOT NULL,
        connection_id TEXT,
        user_id TEXT,
        reason TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        last_failure_at INTEGER,
        last_success_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0
      ) STRICT;
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
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER
      ) STRICT;
      CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
      -- Single-use capabilities (sign-in links, round trips, flow bindings), kept as hashes.
      CREATE TABLE web_tickets (
        hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT;
      CREATE INDEX web_tickets_expires_at ON web_tickets (expires_at);
      -- Tokens of a code exchange, sealed and inactive until the person is proven to be the consent's user.
      CREATE TABLE held_grants (
        auth_id TEXT PRIMARY KEY REFERENCES consents (auth_id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        secret BLOB NOT NULL,
        key_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX held_grants_expires_at ON held_grants (expires_at);
    `,
  },
];

/**
 * Applies pending migrations in one immediate transaction, so two processes opening one file at once
 * queue on the write lock and the second finds nothing left to do. Returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkOrder(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  const run = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > known) throw new SchemaTooNewError(current, known);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.up);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}
