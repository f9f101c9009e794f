import { ConfigError } from '../errors.js';
import type { TokenSet } from '../providers/types.js';
import { type Sealer, VaultIntegrityError } from './seal.js';
import type { ConnectionRow, ConsentRow, SealedSecret, Store } from './types.js';

/** The PKCE verifier and OIDC nonce of a consent in flight, sealed between redirect and callback. */
export interface ConsentVerifier {
  codeVerifier: string;
  nonce?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The vault: the store plus the sealer, and the one place that turns rows into secrets and back. Each secret
 * is bound to its row by additional data (`conn:<id>`, `consent:<authId>`), so a blob moved elsewhere fails.
 */
export class Vault {
  constructor(
    readonly store: Store,
    readonly sealer: Sealer,
  ) {}

  /** Seals a connection's tokens for the connection `connectionId` (the row id they will be stored under). */
  sealTokens(connectionId: string, tokens: TokenSet): SealedSecret {
    return this.sealer.seal(encoder.encode(JSON.stringify(tokens)), connectionAd(connectionId));
  }

  /** Opens a connection's tokens; throws VaultIntegrityError when the secret is damaged or not this row's. */
  openTokens(row: ConnectionRow): TokenSet {
    const value = this.openJson(row.secret, connectionAd(row.id));
    if (!isTokenSet(value)) throw new VaultIntegrityError('format', 'sealed tokens have an unexpected shape');
    return value;
  }

  /** Seals a consent's verifier for the consent `authId`. */
  sealVerifier(authId: string, data: ConsentVerifier): SealedSecret {
    return this.sealer.seal(encoder.encode(JSON.stringify(data)), consentAd(authId));
  }

  /** Opens a consent's verifier; throws VaultIntegrityError (`missing`) before the consent was redirected. */
  openVerifier(row: ConsentRow): ConsentVerifier {
    if (row.verifier === null) throw new VaultIntegrityError('missing', 'consent has no sealed verifier');
    const value = this.openJson(row.verifier, consentAd(row.authId));
    if (!isRecord(value) || typeof value['codeVerifier'] !== 'string') {
      throw new VaultIntegrityError('format', 'sealed verifier has an unexpected shape');
    }
    const out: ConsentVerifier = { codeVerifier: value['codeVerifier'] };
    if (typeof value['nonce'] === 'string') out.nonce = value['nonce'];
    return out;
  }

  /**
   * Fails closed at start-up when a stored connection was sealed under a key the ring lacks (a lost or
   * rotated-away key): better no start than tokens that cannot be opened at call time.
   */
  async assertKeysPresent(): Promise<void> {
    // Distinct key ids come from indexes: with 100k connections, loading every row cost 1.6 s and 400 MB.
    const missing = new Set((await this.store.sealedKeyIds()).filter((id) => !this.sealer.hasKey(id)));
    if (missing.size > 0) {
      const ids = [...missing].sort().join(', ');
      throw new ConfigError(
        'TOOLVAULT_MASTER_KEY',
        `stored secrets were sealed with key ${ids}, which is not in the key ring; supply that key`,
      );
    }
  }

  private openJson(secret: SealedSecret, ad: string): unknown {
    const plain = this.sealer.open(secret, ad);
    try {
      return JSON.parse(decoder.decode(plain));
    } catch {
      throw new VaultIntegrityError('format', 'sealed payload is not JSON', secret.keyId);
    } finally {
      plain.fill(0);
    }
  }
}

/** Additional data binding a connection's secret to its row id. */
export function connectionAd(connectionId: string): string {
  return `conn:${connectionId}`;
}

/** Additional data binding a consent's verifier to its auth id. */
export function consentAd(authId: string): string {
  return `consent:${authId}`;
}

function isTokenSet(v: unknown): v is TokenSet {
  if (!isRecord(v) || typeof v['accessToken'] !== 'string' || typeof v['tokenType'] !== 'string')
    return false;
  if (!optionalString(v['refreshToken']) || !optionalString(v['idToken'])) return false;
  const extra = v['extra'];
  if (extra === undefined) return true;
  if (!isRecord(extra)) return false;
  return Object.values(extra).every(
    (e) =>
      isRecord(e) &&
      typeof e['accessToken'] === 'string' &&
      optionalString(e['refreshToken']) &&
      (e['expiresAt'] === undefined || typeof e['expiresAt'] === 'number'),
  );
}

function optionalString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
