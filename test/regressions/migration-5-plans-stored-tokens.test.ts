import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/vault/sqlite/migrations.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { connect, grant, T0 } from '../support/store-fixtures.js';

/**
 * A vault written before migration 5 holds tokens with no refresh plan (GitHub OAuth App tokens, Slack
 * without rotation): nothing would ever have checked them. The migration gives each its first probe at once,
 * and leaves tokens that already have a refresh due alone.
 */

const root = mkdtempSync(join(tmpdir(), 'toolvault-m5-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('migration 5 on a vault from before it', () => {
  it('plans a probe for every stored token without a refresh plan', async () => {
    const path = join(root, 'vault.db');
    const db = new Database(path);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 4),
    );
    db.close();

    // Two rows as toolvault before migration 5 wrote them.
    const v4 = new Database(path);
    const insert = v4.prepare(`INSERT INTO connections (id, user_id, provider, state, scopes, account, secret,
      key_id, access_expires_at, access_issued_at, refresh_due_at, failure_streak, version, created_at, updated_at)
      VALUES (?, ?, 'github', 'healthy', '[]', NULL, x'00', 'k', NULL, NULL, ?, 0, 1, ?, ?)`);
    insert.run('c-forever', 'u1', null, T0, T0 + 5);
    insert.run('c-expiring', 'u2', T0 + 100, T0, T0 + 6);
    v4.close();

    const store = openSqliteStore(path);
    try {
      expect(await store.getConnectionById('c-forever')).toMatchObject({
        refreshDueAt: null,
        nextCheckAt: T0 + 5,
      });
      expect(await store.getConnectionById('c-expiring')).toMatchObject({
        refreshDueAt: T0 + 100,
        nextCheckAt: null,
      });
      expect((await store.listDue(T0 + 10, 10)).map((r) => r.id)).toEqual(['c-forever']);
      // And new rows work alongside.
      await connect(store, 'u3', 'github', {
        grant: grant('t', { refreshDueAt: null, nextCheckAt: T0 + 1 }),
      });
      expect((await store.listDue(T0 + 10, 10)).map((r) => r.id)).toEqual(['conn_u3_github', 'c-forever']);
    } finally {
      await store.close();
    }
  });
});
