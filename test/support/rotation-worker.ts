/**
 * `toolvault keys rotate`'s work in a process of its own, for the crash tests:
 * `node --import ./test/support/ts-register.mjs test/support/rotation-worker.ts` with TOOLVAULT_HOME naming a
 * vault whose key is in master.key. It prints one JSON line per rotation step (after the step is durable) and
 * `{"done":true}` at the end; ROTATION_STEP_MS slows each step down so a parent can kill it mid-way.
 */
import { join } from 'node:path';
import { rotateKeyFile } from '../../src/vault/key-rotation.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';

const home = process.env['TOOLVAULT_HOME'];
if (!home) throw new Error('TOOLVAULT_HOME is required');
const pause = Number(process.env['ROTATION_STEP_MS'] ?? '0');
const store = openSqliteStore(join(home, 'vault.db'));
const report = await rotateKeyFile(home, store, {
  batch: Number(process.env['ROTATION_BATCH'] ?? '4'),
  onStep: async (s) => {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  },
});
process.stdout.write(`${JSON.stringify({ done: true, report })}\n`);
await store.close();
