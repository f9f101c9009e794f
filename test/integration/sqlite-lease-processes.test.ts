import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/vault/sqlite/migrations.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import { connect, grant } from '../support/store-fixtures.js';

/** Real OS processes on one SQLite file: what a lease in a worker thread could not prove. */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'toolvault-lease-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface WorkerResult {
  owner: string;
  committed: number;
  refused: number;
  fenced: number;
  errors: string[];
}

function startWorker(args: string[]): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const child = spawn(
    process.execPath,
    ['--import', './test/support/ts-register.mjs', 'test/support/lease-worker.ts', ...args],
    { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterableIterator<string>): Promise<string> {
  const { value, done } = await lines.next();
  if (done === true) throw new Error('worker exited without output');
  return value;
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('SQLite refresh lease across OS processes', () => {
  it('migrates once when four processes open a new database file at the same moment', async () => {
    const path = join(root, 'fresh.db');
    const workers = Array.from({ length: 4 }, () => startWorker(['open', path]));
    const outputs = await Promise.all(workers.map((w) => nextLine(w.lines)));
    expect(outputs.map((o) => JSON.parse(o))).toEqual(Array(4).fill({ opened: true }));
    expect(await Promise.all(workers.map((w) => exitCode(w.child)))).toEqual([0, 0, 0, 0]);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    db.close();
  });

  it('lets 4 processes x 50 attempts commit one at a time: no busy errors, no lost update', async () => {
    const path = join(root, 'lease.db');
    const setup = openSqliteStore(path);
    const row = await connect(setup, 'u1', 'slack', { grant: grant('0') });
    await setup.close();

    const workers = Array.from({ length: 4 }, (_, i) =>
      startWorker(['refresh', path, row.id, `w${i}`, '50']),
    );
    expect(await Promise.all(workers.map((w) => nextLine(w.lines)))).toEqual(Array(4).fill('ready'));
    for (const w of workers) w.child.stdin!.write('go\n');
    const results: WorkerResult[] = (await Promise.all(workers.map((w) => nextLine(w.lines)))).map((l) =>
      JSON.parse(l),
    );
    expect(await Promise.all(workers.map((w) => exitCode(w.child)))).toEqual([0, 0, 0, 0]);

    const committed = results.reduce((sum, r) => sum + r.committed, 0);
    const check = openSqliteStore(path);
    const after = await check.getConnectionById(row.id);
    await check.close();
    // One version step per commit, and the counter each holder read-and-incremented lost nothing.
    expect(Number(new TextDecoder().decode(after?.secret.blob))).toBe(committed);
    expect(after?.version).toBe(row.version + committed);
    expect(after?.leaseOwner).toBeNull();

    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.committed + r.refused + r.fenced).toBe(50);
      // Leases outlive each refresh here, so a holder is never fenced out.
      expect(r.fenced).toBe(0);
    }
    expect(committed).toBeGreaterThan(0);
    // The lease was contended, or this test proved nothing.
    expect(results.reduce((sum, r) => sum + r.refused, 0)).toBeGreaterThan(0);
  });
});
