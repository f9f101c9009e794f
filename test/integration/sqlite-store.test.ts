import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../../src/vault/migration.js';
import { MIGRATIONS } from '../../src/vault/sqlite/migrations.js';
import { createSealer } from '../../src/vault/seal.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { Vault } from '../../src/vault/vault.js';
import { describeStoreContract } from '../support/store-contract.js';
import { connect, grant, newConsent, T0 } from '../support/store-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'toolvault-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(root, `vault-${++n}`, 'vault.db');

describeStoreContract('SQLite (temp file)', async () => openSqliteStore(freshPath()));

async function makeVault(path: string): Promise<Vault> {
  const key = new Uint8Array(randomBytes(32));
  return new Vault(
    openSqliteStore(path),
    await createSealer({ currentKeyId: 'k_t', keys: new Map([['k_t', key]]) }),
  );
}

/** Every byte SQLite keeps for this database: the main file and, while open, its write-ahead log. */
function fileBytes(path: string): Buffer {
  const parts = [readFileSync(path)];
  if (existsSync(`${path}-wal`)) parts.push(readFileSync(`${path}-wal`));
  return Buffer.concat(parts);
}

describe('SQLite store on disk', () => {
  it('never writes a token in the clear to the database file or its write-ahead log', async () => {
    const path = freshPath();
    const vault = await makeVault(path);
    const canary = `CANARY-ACCESS-${randomBytes(8).toString('hex')}`;
    const refreshCanary = `CANARY-REFRESH-${randomBytes(8).toString('hex')}`;
    const marker = `ACCOUNT-MARKER-${randomBytes(8).toString('hex')}`;
    const id = 'conn_canary';
    const sealed = vault.sealTokens(id, {
      accessToken: canary,
      refreshToken: refreshCanary,
      tokenType: 'bearer',
    });
    await connect(vault.store, 'u1', 'slack', {
      id,
      grant: grant('unused', { secret: sealed, account: { id: 'U1', name: marker } }),
    });

    const whileOpen = fileBytes(path);
    // The marker proves these are the bytes the row went to; the canaries must not be among them.
    expect(whileOpen.includes(marker)).toBe(true);
    expect(whileOpen.includes(canary)).toBe(false);
    expect(whileOpen.includes(refreshCanary)).toBe(false);
    const row = await vault.store.getConnectionById(id);
    expect(vault.openTokens(row!).accessToken).toBe(canary);

    await vault.store.close();
    const afterCheckpoint = fileBytes(path);
    expect(afterCheckpoint.includes(marker)).toBe(true);
    expect(afterCheckpoint.includes(canary)).toBe(false);
  });

  it('zeroes a replaced and a deleted secret in the file', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    const oldBlob = `OLD-SECRET-${randomBytes(8).toString('hex')}`;
    const goneBlob = `GONE-SECRET-${randomBytes(8).toString('hex')}`;
    await connect(store, 'u1', 'slack', { id: 'c1', grant: grant(oldBlob) });
    await connect(store, 'u2', 'slack', { id: 'c2', grant: grant(goneBlob) });
    await store.close();
    expect(fileBytes(path).includes(oldBlob)).toBe(true);

    const again = openSqliteStore(path);
    await connect(again, 'u1', 'slack', { id: 'c1', grant: grant('replacement'), now: T0 + 1 });
    await again.deleteConnection('c2');
    await again.close();
    const bytes = fileBytes(path);
    expect(bytes.includes(oldBlob)).toBe(false);
    expect(bytes.includes(goneBlob)).toBe(false);
  });

  it('creates the database and its write-ahead log readable by the owner only', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await connect(store, 'u1', 'slack');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('runs in WAL mode and keeps its data and schema version across reopening', async () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    await connect(first, 'u1', 'slack');
    await first.close();
    const second = openSqliteStore(path);
    expect(await second.getConnection('u1', 'slack')).not.toBeNull();
    await second.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('refuses to open a database written by a newer toolvault', async () => {
    const path = freshPath();
    await openSqliteStore(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    db.close();
    expect(() => openSqliteStore(path)).toThrow(SchemaTooNewError);
  });

  it('keeps the consent but unlinks it when its connection is deleted', async () => {
    const store = openSqliteStore(':memory:');
    const c = await store.createConsent(newConsent('u1', 'slack'));
    const verifier = { keyId: 'k', blob: new Uint8Array([1]) };
    await store.markRedirected(c.linkId, { oauthState: 's', verifier, callbackExpiresAt: T0 + 1000 }, T0);
    await store.claimCallback(c.authId, T0);
    const row = await store.completeConsent(c.authId, 'c1', grant('t'), T0);
    await store.deleteConnection(row.id);
    expect(await store.getConsent(c.authId)).toMatchObject({ status: 'completed', connectionId: null });
    await store.close();
  });
});
