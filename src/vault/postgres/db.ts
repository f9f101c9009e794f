import pg from 'pg';

/**
 * The PostgreSQL store's access to its pool: queries that return rows as the SQLite store's records hold
 * them (BIGINT millisecond timestamps as numbers, BYTEA as Buffer, JSON as text), and transactions on one
 * pooled client.
 */

/** What both the pool and a transaction's client offer the store's methods. */
export interface Queryable {
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  one<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a statement and returns how many rows it touched. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface PgDb extends Queryable {
  /** Runs `fn` in one transaction on one client: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
}

const INT8 = 20;

/** Millisecond timestamps and identity ids fit a double exactly; anything larger is a damaged row. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} is beyond a safe integer`);
  return n;
}

// Per pool, so the process-wide pg.types registry (which other code may rely on) is left alone.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  const query = (sql: string, params: readonly unknown[] = []) =>
    client.query<Record<string, unknown>>(sql, params as unknown[]);
  return {
    async all<R>(sql: string, params?: readonly unknown[]) {
      return (await query(sql, params)).rows as R[];
    },
    async one<R>(sql: string, params?: readonly unknown[]) {
      return (await query(sql, params)).rows[0] as R | undefined;
    },
    async run(sql, params) {
      return (await query(sql, params)).rowCount ?? 0;
    },
  };
}

export interface PgDbOptions {
  /** Most connections the pool opens (default 10). */
  max?: number;
  /** Errors of idle pooled clients (a restarted server); without a listener they would crash the process. */
  onError?: (err: Error) => void;
}

export function createPgDb(connectionString: string, o: PgDbOptions = {}): PgDb {
  const pool = new pg.Pool({
    connectionString,
    max: o.max ?? 10,
    types,
    application_name: 'toolvault',
    // A database that does not answer fails the call instead of hanging it.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => o.onError?.(err));
  return {
    ...queryable(pool),
    pool,
    async tx(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(queryable(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        // A client whose rollback failed is in an unknown state: destroy it rather than pool it.
        client.release(broken);
      }
    },
  };
}
