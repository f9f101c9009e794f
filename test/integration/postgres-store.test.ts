import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../../src/vault/migration.js';
import { openPostgresStore } from '../../src/vault/postgres/store.js';
import { NoSchemaError, PG_MIGRATIONS } from '../../src/vault/postgres/migrations.js';
import { openStore } from '../../src/app/open-store.js';
import { createTestSchema, pgUnavailable, type TestSchema, urlForSchema } from '../support/postgres.js';
import { describeStoreContract } from '../support/store-contract.js';
import { connect, grant } from '../support/store-fixtures.js';

/** The one Store contract, run against PostgreSQL; plus what only a networked, shared database has. */

const unavailable = await pgUnavailable();
if (unavailable) console.warn(`SKIPPED postgres-store tests: ${unavailable}`);

describe.skipIf(unavailable !== null)('PostgreSQL store', () => {
  let s: TestSchema;
  let tables: string[];
  // DELETE beats TRUNCATE (~30 ms: it swaps files) on tables this small.
  const empty = () => Promise.all(tables.map((t) => s.query(`DELETE FROM ${t}`)));
  beforeAll(async () => {
    s = await createTestSchema();
    await (await openPostgresStore(s.url)).close();
    const rows = await s.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'`,
      [s.schema],
    );
    tables = rows.map((r) => r.t);
  });
  afterAll(() => s?.drop());

  // One schema for the file; every test starts from empty tables.
  describeStoreContract('PostgreSQL', async () => {
    await empty();
    return openPostgresStore(s.url, { max: 4 });
  });

  describe('on a shared database', () => {
    it('migrates once when four instances open a new schema at the same moment', async () => {
      const fresh = await createTestSchema();
      try {
        const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(fresh.url)));
        await Promise.all(stores.map((st) => st.close()));
        const versions = await fresh.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        expect(versions.map((v) => v.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      } finally {
        await fresh.drop();
      }
    });

    it('gives an expired lease to exactly one of many instances racing for it', async () => {
      await empty();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(s.url)));
      try {
        const row = await connect(stores[0]!, 'u1', 'demo');
        const now = Date.now();
        const won = await Promise.all(
          stores.flatMap((st, i) =>
            Array.from({ length: 25 }, (_, j) => st.acquireLease(row.id, `w${i}-${j}`, now, 30_000)),
          ),
        );
        expect(won.filter((r) => r !== null)).toHaveLength(1);
        const holder = won.find((r) => r !== null)!.leaseOwner!;
        // Only the holder commits; everyone else is fenced out by owner and version.
        const commits = await Promise.all(
          stores.map((st, i) =>
            st.commitRefresh(row.id, i === 0 ? holder : 'w-other', row.version, grant('n'), now),
          ),
        );
        expect(commits.filter((c) => c !== null)).toHaveLength(1);
        expect(await stores[1]!.getConnectionById(row.id)).toMatchObject({
          version: row.version + 1,
          leaseOwner: null,
        });
      } finally {
        await Promise.all(stores.map((st) => st.close()));
      }
    });

    it('returns timestamps as numbers and secrets as plain Uint8Array', async () => {
      await empty();
      const store = await openPostgresStore(s.url);
      const row = await connect(store, 'u1', 'demo');
      expect(typeof row.createdAt).toBe('number');
      expect(row.secret.blob.constructor).toBe(Uint8Array);
      await store.close();
    });

    it('refuses a schema written by a newer toolvault', async () => {
      const fresh = await createTestSchema();
      try {
        await (await openPostgresStore(fresh.url)).close();
        await fresh.query(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
        );
        await expect(openPostgresStore(fresh.url)).rejects.toBeInstanceOf(SchemaTooNewError);
      } finally {
        await fresh.drop();
      }
    });

    it('says so when the search_path names no schema', async () => {
      await expect(openPostgresStore(urlForSchema('tv_no_such_schema'))).rejects.toBeInstanceOf(
        NoSchemaError,
      );
    });

    it('is chosen by a postgres:// database URL; other schemes are a configuration error', async () => {
      const store = await openStore({ home: '/nonexistent', databaseUrl: s.url });
      expect(await store.listConnections()).toBeInstanceOf(Array);
      await store.close();
      await expect(openStore({ home: '/tmp', databaseUrl: 'mysql://x' })).rejects.toThrow(
        'TOOLVAULT_DATABASE_URL',
      );
    });

    it('closes its pool: no connection of this schema stays open', async () => {
      const store = await openPostgresStore(s.url);
      await store.listConnections();
      await store.close();
      await store.close();
      const admin = new pg.Client({ connectionString: s.url });
      await admin.connect();
      const open = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'toolvault' AND query LIKE '%connections%' AND state = 'active'",
      );
      await admin.end();
      expect(open.rows[0].n).toBe(0);
    });
  });
});
