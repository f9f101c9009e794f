import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeKeyFile } from './master-key.js';
import { buildSealer, type KeyRing, type SealedSecret, type Sealer } from './seal.js';

/**
 * A sealer that follows the key file while the server runs, so `toolvault keys rotate` needs no restart:
 * before sealing it checks whether `master.key` changed (one stat, and sealing only happens on a consent or a
 * refresh) and seals with the file's current key; a secret under a key it does not know makes it look too.
 * Keys it ever held stay in memory until the process ends, so a consent verifier or a row sealed just before
 * the old key was retired still opens here; only the file decides what a restarted process can open.
 */
export class KeyFileSealer implements Sealer {
  #sealer: Sealer;
  #stamp: string;
  readonly #keys: Map<string, Uint8Array>;
  /** The version of the file last found damaged: logged once, not on every seal. */
  #damaged = '';

  constructor(
    private readonly path: string,
    ring: KeyRing,
    private readonly log: Logger,
  ) {
    this.#keys = new Map(ring.keys);
    this.#sealer = buildSealer(ring);
    this.#stamp = stampOf(path);
  }

  get currentKeyId(): string {
    this.#follow();
    return this.#sealer.currentKeyId;
  }

  hasKey(keyId: string): boolean {
    if (!this.#sealer.hasKey(keyId)) this.#follow();
    return this.#sealer.hasKey(keyId);
  }

  keyIds(): string[] {
    this.#follow();
    return this.#sealer.keyIds();
  }

  seal(plain: Uint8Array | string, ad: string): SealedSecret {
    this.#follow();
    return this.#sealer.seal(plain, ad);
  }

  open(secret: SealedSecret, ad: string): Uint8Array {
    if (!this.#sealer.hasKey(secret.keyId)) this.#follow();
    return this.#sealer.open(secret, ad);
  }

  /**
   * Reloads when the file changed. A file that is missing (between stat and read) or damaged (a hand edit, a
   * write cut short) leaves the ring as it was — sealing goes on under a key that still opens — and a damaged
   * one is logged, since the next restart will refuse it.
   */
  #follow(): void {
    const stamp = stampOf(this.path);
    if (stamp === this.#stamp || stamp === '' || stamp === this.#damaged) return;
    let ring: KeyRing;
    try {
      ring = decodeKeyFile(readFileSync(this.path, 'utf8'), this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (!(err instanceof ConfigError)) throw err;
      this.#damaged = stamp;
      this.log.error(
        { path: this.path, problem: err.message },
        'key file is damaged; sealing goes on with the keys already loaded, but a restart will fail until it is restored',
      );
      return;
    }
    for (const [id, key] of ring.keys) this.#keys.set(id, key);
    this.#sealer = buildSealer({ currentKeyId: ring.currentKeyId, keys: this.#keys });
    this.#stamp = stamp;
  }
}

/** What identifies a version of the file: rename gives a new inode, a rewrite a new size or mtime. */
function stampOf(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
}
