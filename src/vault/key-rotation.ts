import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import {
  decodeKeyFile,
  keyIdFor,
  MASTER_KEY_FILE,
  removeStaleKeyTemps,
  replaceKeyFile,
} from './master-key.js';
import { createSealer, KEY_BYTES, type KeyRing, type Sealer, VaultIntegrityError } from './seal.js';
import type { SealedRef, Store } from './types.js';
import { connectionAd, consentAd } from './vault.js';

/**
 * Master key rotation while servers keep serving. Three steps, each safe to crash in:
 * 1. add a new key to `master.key` and make it current (one atomic file replace; servers following the file
 *    seal with it from their next write on, see KeyFileSealer);
 * 2. re-seal every secret under another key, one compare-and-swap write per row: a refresh that commits
 *    meanwhile wins and its row is simply looked at again;
 * 3. retire the other keys from the file, only once no row uses them.
 * Until step 3 every key stays in the file, so a crash anywhere leaves every secret readable; running the
 * rotation again resumes it (a file holding more than one key is a rotation in progress).
 */

export type RotationStep =
  | { step: 'key_added'; keyId: string; previous: string[] }
  | { step: 'resumed'; keyId: string; previous: string[] }
  | { step: 'resealed'; kind: SealedRef['kind']; id: string; total: number }
  | { step: 'retired'; keyIds: string[] };

export interface RotationOptions {
  /** Rows read per batch. */
  batch?: number;
  /** Told about every step; awaited, so a caller can pace or observe the rotation. */
  onStep?: (s: RotationStep) => void | Promise<void>;
}

export interface ResealReport {
  /** Rows re-sealed under the current key. */
  resealed: number;
  /** Writes that lost to a concurrent change of the row (looked at again). */
  conflicts: number;
}

export interface RotationReport extends ResealReport {
  keyId: string;
  retired: string[];
  resumed: boolean;
}

/** Rotation cannot go on without a person: a secret that does not open, or rows that keep coming back. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

/** Batches in a row that may make no progress before we suspect a process sealing with a stale key ring. */
const STALL_LIMIT = 50;

/**
 * Re-seals every secret not under `sealer.currentKeyId` (which must be able to open them all) until none is
 * left. Used by file rotation and by environment-keyed deployments (TOOLVAULT_MASTER_KEYS).
 */
export async function resealAll(
  store: Store,
  sealer: Sealer,
  o: RotationOptions = {},
): Promise<ResealReport> {
  const batch = o.batch ?? 100;
  const report: ResealReport = { resealed: 0, conflicts: 0 };
  let stalled = 0;
  for (;;) {
    const refs = await store.listSealed({ notKeyId: sealer.currentKeyId, limit: batch });
    if (refs.length === 0) return report;
    let progressed = false;
    for (const ref of refs) {
      const ad = ref.kind === 'connection' ? connectionAd(ref.id) : consentAd(ref.id);
      let plain: Uint8Array;
      try {
        plain = sealer.open(ref.secret, ad);
      } catch (err) {
        if (!(err instanceof VaultIntegrityError)) throw err;
        throw new RotationError(
          `${ref.kind} ${ref.id} cannot be opened (${err.kind}, key ${ref.secret.keyId}); rotation stopped ` +
            'with every key still in place. Fix or delete that row, then run the rotation again.',
        );
      }
      let ok: boolean;
      try {
        ok = await store.resealSecret(ref, sealer.seal(plain, ad));
      } finally {
        plain.fill(0);
      }
      if (!ok) {
        report.conflicts++;
        continue;
      }
      progressed = true;
      report.resealed++;
      await o.onStep?.({ step: 'resealed', kind: ref.kind, id: ref.id, total: report.resealed });
    }
    stalled = progressed ? 0 : stalled + 1;
    if (stalled >= STALL_LIMIT) {
      const keys = [...new Set(refs.map((r) => r.secret.keyId))].join(', ');
      throw new RotationError(
        `rows keep being written under key ${keys}: is a toolvault process running with an old key ring ` +
          '(an environment key)? Restart it with the new key, then run the rotation again.',
      );
    }
  }
}

/** Rotates the key file in `home`: adds a key (or resumes), re-seals everything, retires the old keys. */
export async function rotateKeyFile(
  home: string,
  store: Store,
  o: RotationOptions = {},
): Promise<RotationReport> {
  const path = join(home, MASTER_KEY_FILE);
  await removeStaleKeyTemps(home);
  let ring: KeyRing;
  try {
    ring = decodeKeyFile(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError(path, 'no key file to rotate (is TOOLVAULT_HOME right?)');
    throw err;
  }
  const previous = [...ring.keys.keys()].filter((id) => id !== ring.currentKeyId);
  const resumed = previous.length > 0;
  if (resumed) {
    await o.onStep?.({ step: 'resumed', keyId: ring.currentKeyId, previous });
  } else {
    const key = new Uint8Array(randomBytes(KEY_BYTES));
    const keyId = keyIdFor(key);
    const keys = new Map(ring.keys);
    keys.set(keyId, key);
    previous.push(ring.currentKeyId);
    ring = { currentKeyId: keyId, keys };
    await replaceKeyFile(home, ring);
    await o.onStep?.({ step: 'key_added', keyId, previous });
  }
  const sealer = await createSealer(ring);
  const report = await resealAll(store, sealer, o);

  const current = ring.keys.get(ring.currentKeyId);
  if (current === undefined) throw new Error('current key vanished from the ring');
  await replaceKeyFile(home, {
    currentKeyId: ring.currentKeyId,
    keys: new Map([[ring.currentKeyId, current]]),
  });
  // A server that sealed just before it saw the new file may have written under an old key since the last
  // pass; this process still holds every key in memory, so sweep once more after the retirement.
  const late = await resealAll(store, sealer, o);
  await o.onStep?.({ step: 'retired', keyIds: previous });
  return {
    keyId: ring.currentKeyId,
    retired: previous,
    resumed,
    resealed: report.resealed + late.resealed,
    conflicts: report.conflicts + late.conflicts,
  };
}
