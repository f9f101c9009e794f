import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRow, Store } from '../vault/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/**
 * API keys for HTTP callers: `tv_<id>_<secret>`, where `id` is 12 hex characters (the public part, shown in
 * lists and used to revoke) and `secret` is 256 random bits in base64url. Only sha256 of the whole key is
 * stored: with 256 bits of entropy a fast hash is enough (nothing to brute-force, unlike a password), and
 * verifying costs one primary-key read. The prefix makes leaked keys easy for secret scanners to spot.
 */

const KEY_FORMAT = /^tv_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** lastUsedAt is for spotting unused keys: minute resolution spares a write per request. */
const TOUCH_EVERY_MS = 60_000;
const USER_ID = /^[^\s\p{Cc}][^\p{Cc}]{0,199}$/u;

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The public id of a well-formed key, or null when `token` is not one of ours. */
export function apiKeyId(token: string): string | null {
  return KEY_FORMAT.exec(token)?.[1] ?? null;
}

export function generateApiKey(): { id: string; key: string } {
  const id = randomBytes(6).toString('hex');
  return { id, key: `tv_${id}_${randomBytes(32).toString('base64url')}` };
}

export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
}

export class ApiKeys {
  /** When this process last recorded each key's use, so a burst of requests makes one write. */
  readonly #touched = new Map<string, number>();
  constructor(private readonly d: { store: Store; clock: Clock; log: Logger }) {}

  /** Creates a key for `userId`; the returned `key` is the only time the secret exists outside the caller. */
  async create(userId: string, name?: string): Promise<{ key: string; row: ApiKeyRow }> {
    if (!USER_ID.test(userId)) {
      throw new ApiKeyError('--user: a user id is 1-200 characters, no control characters or leading space');
    }
    const { id, key } = generateApiKey();
    const row = await this.d.store.createApiKey({
      id,
      userId,
      name: name ?? null,
      hash: hashApiKey(key),
      createdAt: this.d.clock.now(),
    });
    return { key, row };
  }

  list(userId?: string): Promise<ApiKeyRow[]> {
    return this.d.store.listApiKeys(userId === undefined ? {} : { userId });
  }

  /** Revokes by public id (a whole key is accepted too); null when no such key exists. */
  async revoke(idOrKey: string): Promise<ApiKeyRow | null> {
    const id = apiKeyId(idOrKey) ?? idOrKey;
    return this.d.store.revokeApiKey(id, this.d.clock.now());
  }

  /** The live key `token` is, or null (malformed, unknown, revoked, or a hash mismatch). */
  async verify(token: string): Promise<ApiKeyRow | null> {
    const id = apiKeyId(token);
    if (id === null) return null;
    const row = await this.d.store.getApiKey(id);
    if (row === null || row.revokedAt !== null) return null;
    const presented = Buffer.from(hashApiKey(token), 'hex');
    const stored = Buffer.from(row.hash, 'hex');
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return null;
    const now = this.d.clock.now();
    const last = Math.max(row.lastUsedAt ?? 0, this.#touched.get(id) ?? 0);
    if (now - last >= TOUCH_EVERY_MS) {
      this.#touched.set(id, now);
      this.d.store
        .touchApiKey(id, now)
        .catch((err: unknown) =>
          this.d.log.warn({ err: (err as Error).message, keyId: id }, 'api key touch failed'),
        );
    }
    return row;
  }
}
