import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/** Models whose records belong to a grant and die with it (oidc-provider's own list). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

interface Entry {
  model: string;
  payload: AdapterPayload;
  /** Epoch ms; Infinity for records without a lifetime (static data, grants without ttl). */
  expiresAt: number;
}

/**
 * One authorization server's state, in memory.
 *
 * oidc-provider's built-in memory adapter keeps a module-global LRU of 1000 entries: two servers in one
 * process share it, and a long test can silently evict live refresh tokens. This store is per server,
 * unbounded (expired entries are dropped on access), and can list a user's grants so a test or an operator
 * can revoke them.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();

  /** The `adapter` option for the Provider configuration. */
  readonly adapter: AdapterFactory = (model) => new MemoryAdapter(model, this);

  /** Ids of the live grants of an account, for revocation. */
  grantIdsFor(accountId: string): string[] {
    const ids: string[] = [];
    for (const [key, entry] of this.#live()) {
      if (entry.model === 'Grant' && entry.payload.accountId === accountId) ids.push(idOf(key));
    }
    return ids;
  }

  /** Ids of every live grant. */
  allGrantIds(): string[] {
    const ids: string[] = [];
    for (const [key, entry] of this.#live()) if (entry.model === 'Grant') ids.push(idOf(key));
    return ids;
  }

  /** Deletes a grant and every token and code issued under it. */
  revokeGrant(grantId: string): void {
    this.deleteByGrantId(grantId);
    this.#entries.delete(keyOf('Grant', grantId));
  }

  get(model: string, id: string): AdapterPayload | undefined {
    const key = keyOf(model, id);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresInSec: number | undefined): void {
    const expiresAt = typeof expiresInSec === 'number' ? Date.now() + expiresInSec * 1000 : Infinity;
    this.#entries.set(keyOf(model, id), { model, payload, expiresAt });
  }

  delete(model: string, id: string): void {
    this.#entries.delete(keyOf(model, id));
  }

  findBy(model: string, field: 'uid' | 'userCode', value: string): AdapterPayload | undefined {
    for (const [, entry] of this.#live()) {
      if (entry.model === model && entry.payload[field] === value) return entry.payload;
    }
    return undefined;
  }

  deleteByGrantId(grantId: string): void {
    for (const [key, entry] of this.#live()) {
      if (GRANTABLE.has(entry.model) && entry.payload.grantId === grantId) this.#entries.delete(key);
    }
  }

  /** Live entries; expired ones are removed on the way. Linear scans are fine at demo and test sizes. */
  *#live(): Generator<[string, Entry]> {
    const now = Date.now();
    for (const [key, entry] of [...this.#entries]) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
      else yield [key, entry];
    }
  }
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: MemoryStore,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.store.set(this.model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.model, id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.findBy(this.model, 'userCode', userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.findBy(this.model, 'uid', uid);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.model, id);
    // The refresh grant's reuse detection reads `consumed`; the record itself stays until it expires.
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.deleteByGrantId(grantId);
  }
}

function keyOf(model: string, id: string): string {
  return `${model}:${id}`;
}

function idOf(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}
