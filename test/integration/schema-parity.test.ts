import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, PG_MIGRATIONS } from '../../src/vault/postgres/migrations.js';
import { createPgDb } from '../../src/vault/postgres/db.js';
import { migrate, MIGRATIONS } from '../../src/vault/sqlite/migrations.js';
import { createTestSchema, pgUnavailable, type TestSchema } from '../support/postgres.js';

/**
 * The schema is written twice, once per dialect (each migration is shipped SQL that is never edited), and
 * held to one shape here: both stores, migrated from empty, have the same migrations, tables, columns
 * (name, kind of value, nullability, primary key) and named indexes (columns, uniqueness, partial or not).
 * A table or column added to one dialect and not the other fails this test.
 */

type Kind = 'integer' | 'text' | 'bytes';

interface Column {
  name: string;
  kind: Kind;
  notNull: boolean;
  primaryKey: boolean;
}

interface Index {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  partial: boolean;
}

interface Shape {
  migrations: { version: number; name: string }[];
  tables: Record<string, Column[]>;
  indexes: Index[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function kindOf(declared: string): Kind {
  const t = declared.toLowerCase();
  if (['integer', 'bigint'].includes(t)) return 'integer';
  if (t === 'text') return 'text';
  if (['blob', 'bytea'].includes(t)) return 'bytes';
  throw new Error(`column type ${declared} has no counterpart in the other dialect`);
}

function sqliteShape(): Shape {
  const db = new Database(':memory:');
  try {
    migrate(db);
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
          AND name <> 'schema_migrations' ORDER BY name`,
      )
      .all() as { name: string }[];
    const shape: Shape = { migrations: [], tables: {}, indexes: [] };
    for (const { name } of tables) {
      const cols = db.prepare(`PRAGMA table_info(${name})`).all() as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[];
      shape.tables[name] = cols
        .map((c) => ({
          name: c.name,
          kind: kindOf(c.type),
          // SQLite lets a (non-INTEGER) primary key hold NULL unless told; both stores declare keys NOT NULL
          // in effect, so a key column counts as not null.
          notNull: c.notnull === 1 || c.pk > 0,
          primaryKey: c.pk > 0,
        }))
        .sort(byName);
    }
    // Indexes written as CREATE INDEX (sql not null); the automatic ones back PRIMARY KEY and UNIQUE.
    const indexes = db
      .prepare(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
      .all() as { name: string; tbl_name: string; sql: string }[];
    for (const i of indexes) {
      const cols = db.prepare(`PRAGMA index_info(${i.name})`).all() as { seqno: number; name: string }[];
      shape.indexes.push({
        name: i.name,
        table: i.tbl_name,
        columns: cols.sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
        unique: /^CREATE UNIQUE/i.test(i.sql),
        partial: /\bWHERE\b/i.test(i.sql),
      });
    }
    shape.indexes.sort(byName);
    shape.migrations = db
      .prepare('SELECT version, name FROM schema_migrations ORDER BY version')
      .all() as Shape['migrations'];
    return shape;
  } finally {
    db.close();
  }
}

async function postgresShape(s: TestSchema): Promise<Shape> {
  const db = createPgDb(s.url, { max: 1 });
  try {
    await migratePostgres(db);
  } finally {
    await db.pool.end();
  }
  const shape: Shape = { migrations: [], tables: {}, indexes: [] };
  const cols = await s.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = $1 AND table_name <> 'schema_migrations'`,
    [s.schema],
  );
  const keys = await s.query<{ table_name: string; column_name: string }>(
    `SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
      JOIN information_schema.key_column_usage k
        ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
      WHERE c.table_schema = $1 AND c.constraint_type = 'PRIMARY KEY'`,
    [s.schema],
  );
  const isKey = new Set(keys.map((k) => `${k.table_name}.${k.column_name}`));
  for (const c of cols) {
    const kind = kindOf(c.data_type === 'bytea' ? 'bytea' : c.data_type);
    (shape.tables[c.table_name] ??= []).push({
      name: c.column_name,
      kind,
      notNull: c.is_nullable === 'NO',
      primaryKey: isKey.has(`${c.table_name}.${c.column_name}`),
    });
  }
  for (const t of Object.values(shape.tables)) t.sort(byName);
  // Indexes that back no constraint (PRIMARY KEY and UNIQUE make their own, named by PostgreSQL).
  const indexes = await s.query<{
    name: string;
    table: string;
    columns: string[];
    unique: boolean;
    partial: boolean;
  }>(
    `SELECT i.relname AS name, t.relname AS table, x.indisunique AS unique, x.indpred IS NOT NULL AS partial,
        ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
    [s.schema],
  );
  shape.indexes = indexes.map((i) => ({ ...i })).sort(byName);
  shape.migrations = (
    await s.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    )
  ).map((m) => ({ version: Number(m.version), name: m.name }));
  return shape;
}

const unavailable = await pgUnavailable();
if (unavailable) console.warn(`SKIPPED schema parity tests: ${unavailable}`);

describe.skipIf(unavailable !== null)('the schema in both dialects', () => {
  let s: TestSchema;
  let sqlite: Shape;
  let postgres: Shape;
  beforeAll(async () => {
    s = await createTestSchema('tv_parity');
    sqlite = sqliteShape();
    postgres = await postgresShape(s);
  });
  afterAll(() => s?.drop());

  it('lists the same migrations, version for version', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(postgres.migrations).toEqual(sqlite.migrations);
  });

  it('has the same tables', () => {
    expect(Object.keys(postgres.tables).sort()).toEqual(Object.keys(sqlite.tables).sort());
  });

  it('has the same columns in every table', () => {
    for (const table of Object.keys(sqlite.tables)) {
      expect({ table, columns: postgres.tables[table] }).toEqual({ table, columns: sqlite.tables[table] });
    }
  });

  it('has the same named indexes', () => {
    expect(postgres.indexes).toEqual(sqlite.indexes);
  });
});
