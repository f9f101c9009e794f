import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests: the server `.ci/run` makes sure is running (TOOLVAULT_TEST_DATABASE_URL, default the
 * local trust-auth `test` database). Each test file works in its own random schema, so files run in parallel
 * without meeting, and drops it at the end.
 */

export const PG_BASE_URL =
  process.env['TOOLVAULT_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used here, or null when it answers. */
export async function pgUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL at ${PG_BASE_URL} is unreachable (${(err as Error).message}); start it (.ci/run does)`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `url` with its search_path set to `schema` (how toolvault is pointed at a schema). */
export function urlForSchema(schema: string, base = PG_BASE_URL): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.href;
}

export interface TestSchema {
  schema: string;
  /** A database URL whose search_path is this schema. */
  url: string;
  /** Runs SQL in this schema. */
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createTestSchema(prefix = 'tv_test'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = urlForSchema(schema);
  const admin = new pg.Client({ connectionString: PG_BASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    schema,
    url,
    async query(sql, params = []) {
      return (await pool.query(sql, params)).rows;
    },
    async drop() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}
