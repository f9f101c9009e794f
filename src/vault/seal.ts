import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { ConfigError } from '../errors.js';

/**
 * Sealing of secrets at rest: XChaCha20-Poly1305-IETF under a versioned master key, with caller-chosen
 * additional data (`conn:<id>`, `consent:<authId>`) binding each blob to the row it belongs to.
 */

/** A sealed blob and the id of the master key that sealed it. */
export interface SealedSecret {
  keyId: string;
  blob: Uint8Array;
}

/** Master keys by id; `currentKeyId` seals, every key in `keys` can open (rotation re-seals later). */
export interface KeyRing {
  currentKeyId: string;
  keys: ReadonlyMap<string, Uint8Array>;
}

/** Blob layout `[version][nonce][ciphertext+tag]`; a new layout gets a new version byte. */
export const SEAL_FORMAT_VERSION = 1;
/** Bytes of a master key. */
export const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

export type VaultIntegrityKind = 'integrity' | 'unknown_key' | 'format' | 'missing';

/**
 * A sealed secret could not be opened: tampered or moved (`integrity`), sealed under a key not in the ring
 * (`unknown_key`), an unknown layout or payload (`format`), or absent (`missing`). The message names at most
 * the key id and the additional data label, never key or plaintext bytes.
 */
export class VaultIntegrityError extends Error {
  override readonly name = 'VaultIntegrityError';
  constructor(
    readonly kind: VaultIntegrityKind,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/** Seals and opens secrets with a key ring. */
export interface Sealer {
  readonly currentKeyId: string;
  /** Whether the ring can open secrets sealed under `keyId`. */
  hasKey(keyId: string): boolean;
  /** Key ids in the ring. */
  keyIds(): string[];
  /** Seals under the current key; `ad` must be given again, identical, to open. */
  seal(plain: Uint8Array | string, ad: string): SealedSecret;
  /** Opens with the key named by `secret.keyId`; throws VaultIntegrityError on any failure. */
  open(secret: SealedSecret, ad: string): Uint8Array;
}

/** Builds a Sealer once libsodium is ready. The ring's keys are copied, so later changes to it do not leak in. */
export async function createSealer(ring: KeyRing): Promise<Sealer> {
  await sodium.ready;
  return buildSealer(ring);
}

/**
 * The synchronous half of {@link createSealer}, for rebuilding a ring in place (a key file that changed under
 * a running server). libsodium must be ready: some createSealer call has completed before.
 */
export function buildSealer(ring: KeyRing): Sealer {
  const keys = new Map<string, Uint8Array>();
  for (const [id, key] of ring.keys) {
    if (key.length !== KEY_BYTES) {
      throw new ConfigError('master key', `key ${id} is ${key.length} bytes, expected ${KEY_BYTES}`);
    }
    keys.set(id, Uint8Array.from(key));
  }
  const current = keys.get(ring.currentKeyId);
  if (current === undefined) {
    throw new ConfigError('master key', `current key ${ring.currentKeyId} is not in the key ring`);
  }
  return new XChaChaSealer(ring.currentKeyId, current, keys);
}

class XChaChaSealer implements Sealer {
  constructor(
    readonly currentKeyId: string,
    private readonly currentKey: Uint8Array,
    private readonly keys: ReadonlyMap<string, Uint8Array>,
  ) {}

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plain: Uint8Array | string, ad: string): SealedSecret {
    // node:crypto nonces: libsodium-wrappers' randombytes_buf costs ~10x the whole encryption (NOTES.md).
    const nonce = randomBytes(NONCE_BYTES);
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, this.currentKey);
    const blob = new Uint8Array(HEADER_BYTES + sealed.length);
    blob[0] = SEAL_FORMAT_VERSION;
    blob.set(nonce, 1);
    blob.set(sealed, HEADER_BYTES);
    return { keyId: this.currentKeyId, blob };
  }

  open(secret: SealedSecret, ad: string): Uint8Array {
    const key = this.keys.get(secret.keyId);
    if (key === undefined) {
      throw new VaultIntegrityError(
        'unknown_key',
        `secret was sealed under key ${secret.keyId}, which is not in the key ring`,
        secret.keyId,
      );
    }
    const { blob } = secret;
    if (blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== SEAL_FORMAT_VERSION) {
      throw new VaultIntegrityError('format', 'sealed secret has an unknown layout', secret.keyId);
    }
    try {
      return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        blob.subarray(HEADER_BYTES),
        ad,
        blob.subarray(1, HEADER_BYTES),
        key,
      );
    } catch {
      // libsodium says only "ciphertext cannot be decrypted using that key"; nothing in it is worth keeping.
      throw new VaultIntegrityError(
        'integrity',
        `sealed secret failed authentication for ${adLabel(ad)} (tampered, or copied from another row)`,
        secret.keyId,
      );
    }
  }
}

/** The kind part of an additional data string (`conn`, `consent`), so messages do not echo caller ids. */
function adLabel(ad: string): string {
  const colon = ad.indexOf(':');
  return colon > 0 ? ad.slice(0, colon) : 'secret';
}
