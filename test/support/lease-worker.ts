/**
 * A separate OS process for the cross-process lease test, run as
 * `node --import ./test/support/ts-register.mjs test/support/lease-worker.ts <mode> <db> [id owner attempts]`.
 * Mode `open` only opens (and so migrates) the file. Mode `refresh` prints `ready`, waits for a line on stdin
 * so every worker starts together, then tries `attempts` times to take the lease and commit a counter + 1,
 * as a refresher would around a token endpoint call. It prints one JSON line of what happened.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';

const [mode, dbPath, id = '', owner = '', attemptsArg = '0'] = process.argv.slice(2);
if (dbPath === undefined) throw new Error('usage: lease-worker <open|refresh> <db> [id owner attempts]');

const store = openSqliteStore(dbPath);
if (mode === 'open') {
  await store.close();
  process.stdout.write(JSON.stringify({ opened: true }) + '\n');
} else {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();

  const result = { owner, committed: 0, refused: 0, fenced: 0, errors: [] as string[] };
  for (let i = 0; i < Number(attemptsArg); i++) {
    try {
      const row = await store.acquireLease(id, owner, Date.now(), 5_000);
      if (row === null) {
        result.refused++;
        await sleep(Math.random() * 3);
        continue;
      }
      const counter = Number(new TextDecoder().decode(row.secret.blob));
      // The token endpoint call: no transaction is open while it runs.
      await sleep(1);
      const blob = new TextEncoder().encode(String(counter + 1));
      const done = await store.commitRefresh(
        id,
        owner,
        row.version,
        {
          secret: { keyId: row.secret.keyId, blob },
          scopes: row.scopes,
          account: row.account,
          accessExpiresAt: null,
          accessIssuedAt: null,
          refreshDueAt: null,
        },
        Date.now(),
      );
      if (done === null) result.fenced++;
      else result.committed++;
    } catch (err) {
      result.errors.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
  }
  await store.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}
