import { resealAll, rotateKeyFile, type RotationStep } from '../vault/key-rotation.js';
import { loadKeyRing, MASTER_KEYS_ENV } from '../vault/master-key.js';
import { createSealer } from '../vault/seal.js';
import type { App } from '../app/app.js';
import { type Command, say, withApp } from './command.js';

/**
 * `toolvault keys rotate`: a new master key id, every secret re-sealed while servers keep serving, the old
 * key retired (key-rotation.ts). Safe to interrupt: running it again resumes.
 *
 * With the key in the environment the file cannot be rewritten, so the operator does the key steps:
 * put the new key first in TOOLVAULT_MASTER_KEYS with the old one after it ("new,old") on every toolvault
 * process and restart them; then this command re-seals everything under the first key and says when the
 * old one can be dropped from the list.
 */

const GUIDANCE = `The master key comes from TOOLVAULT_MASTER_KEY, which this command cannot rewrite. To rotate:
  1. make a new key:  openssl rand -base64 32
  2. on every toolvault process, replace TOOLVAULT_MASTER_KEY with
       ${MASTER_KEYS_ENV}="<new key>,<old key>"     (the first key seals, every listed key opens)
     and restart them;
  3. run \`toolvault keys rotate\` again with the same environment: it re-seals every secret under the new key;
  4. when it says so, set ${MASTER_KEYS_ENV}="<new key>" (or TOOLVAULT_MASTER_KEY) and restart.
Or keep the key in a file instead: unset the variable and let toolvault use TOOLVAULT_HOME/master.key.`;

/** Rotates the vault's master key (see above); the exit code. `env` is where the key may come from. */
export async function rotateKeys(
  app: App,
  o: { batch?: number; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<number> {
  const batch = o.batch ?? 100;
  const progress = progressPrinter();
  const keys = await loadKeyRing({ home: app.config.home, env: o.env ?? process.env });
  if (keys.source === 'file') {
    const r = await rotateKeyFile(app.config.home, app.vault.store, { batch, onStep: progress });
    say(
      `Done: every secret is sealed with ${r.keyId} (${r.resealed} re-sealed${r.conflicts ? `, ${r.conflicts} retried after a concurrent refresh` : ''}); retired ${r.retired.join(', ')}.`,
    );
    say('Back up the new master.key: secrets cannot be opened without it.');
    return 0;
  }
  const others = [...keys.ring.keys.keys()].filter((id) => id !== keys.ring.currentKeyId);
  if (others.length === 0) {
    say(GUIDANCE);
    return 1;
  }
  const r = await resealAll(app.vault.store, await createSealer(keys.ring), { batch, onStep: progress });
  say(`Every secret is sealed with ${keys.ring.currentKeyId} (${r.resealed} re-sealed).`);
  say(
    `${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} no longer used: remove ${others.length === 1 ? 'it' : 'them'} from ${MASTER_KEYS_ENV} and restart every toolvault process.`,
  );
  return 0;
}

function progressPrinter(): (s: RotationStep) => void {
  let lastReport = 0;
  return (s) => {
    if (s.step === 'key_added')
      say(`Added key ${s.keyId}; re-sealing secrets from ${s.previous.join(', ')}...`);
    else if (s.step === 'resumed')
      say(`Resuming an unfinished rotation to ${s.keyId} (still in the file: ${s.previous.join(', ')})...`);
    else if (s.step === 'resealed' && s.total - lastReport >= 100) {
      lastReport = s.total;
      say(`  ${s.total} re-sealed`);
    }
  };
}

export const keys: Command = {
  name: 'keys',
  usage: 'toolvault keys rotate [--batch N]',
  options: { batch: { type: 'string' } },
  async run(o, positionals) {
    if (positionals[0] !== 'rotate') throw new Error('keys: the only subcommand is `rotate`');
    const batch = typeof o['batch'] === 'string' ? Number(o['batch']) : 100;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch: not a positive whole number`);
    return withApp({}, (app) => rotateKeys(app, { batch }));
  },
};
