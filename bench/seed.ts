import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Vault } from '../src/vault/vault.js';

/**
 * Bulk seeding of connections for scale runs: rows cloned from a real connection (so every column the
 * migrations added is filled as toolvault fills it), each with its own tokens sealed by the real vault for its
 * own row id — nothing an attacker or toolvault's start-up check could tell from a consented row — inserted
 * in large transactions straight into the SQLite file. A consent per row through the store would take
 * minutes for 100,000 rows; this takes seconds.
 */

export interface SeedOptions {
  /** The vault's SQLite file (another connection to it; WAL lets both coexist). */
  dbPath: string;
  /** Seals each row's tokens for its id (the app's vault, so the real key ring). */
  vault: Vault;
  provider: string;
  count: number;
  /** toolvault's clock now. */
  now: number;
  /** Access token lifetime; issue times are spread over one lifetime before `now`. */
  lifetimeMs: number;
  userId: (i: number) => string;
}

export function seedConnections(o: SeedOptions): { rows: number; ms: number } {
  const start = performance.now();
  const db = new Database(o.dbPath);
  try {
    db.pragma('busy_timeout = 5000');
    const template = db.prepare('SELECT * FROM connections WHERE provider = ? LIMIT 1').get(o.provider) as
      Record<string, unknown> | undefined;
    if (!template) throw new Error(`seed: no ${o.provider} connection to clone; connect one first`);
    const columns = Object.keys(template);
    const insert = db.prepare(
      `INSERT INTO connections (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        const sealed = o.vault.sealTokens(id, {
          accessToken: `ghu_${randomBytes(18).toString('hex')}`,
          refreshToken: `ghr_${randomBytes(38).toString('hex')}`,
          tokenType: 'bearer',
        });
        // Issue times spread evenly over the last lifetime, due at 65-75% of it (grant.ts's jitter): about
        // 30% of the rows are due now, whatever the count.
        const issued = o.now - Math.floor(((i + 0.5) / o.count) * o.lifetimeMs);
        insert.run({
          ...template,
          id,
          user_id: o.userId(i),
          state: 'healthy',
          secret: Buffer.from(sealed.blob),
          key_id: sealed.keyId,
          account: JSON.stringify({ id: String(10_000_000 + i), name: o.userId(i) }),
          access_issued_at: issued,
          access_expires_at: issued + o.lifetimeMs,
          refresh_due_at: issued + Math.floor(o.lifetimeMs * (0.75 - Math.random() * 0.1)),
          last_refresh_at: issued,
          last_used_at: null,
          last_error: null,
          failure_streak: 0,
          version: 1,
          lease_owner: null,
          lease_expires_at: null,
          created_at: issued,
          updated_at: issued,
        });
      }
    });
    for (let from = 0; from < o.count; from += 10_000)
      batch.immediate(from, Math.min(o.count, from + 10_000));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { rows: o.count, ms: performance.now() - start };
}
