import { createHash, randomBytes } from 'node:crypto';

/** One user's consent to one app: what every token issued under it shares. */
export interface Grant {
  id: number;
  /** Slack user id or GitHub login. */
  subject: string;
  scopes: Set<string>;
  revoked: boolean;
}

/** One issued token. Access tokens die at `expiresAt`; refresh tokens also die once used (`rotated`). */
export interface IssuedToken<G extends Grant> {
  value: string;
  kind: 'access' | 'refresh';
  /** Slack distinguishes user and bot tokens under one install; GitHub uses 'user' throughout. */
  audience: 'user' | 'bot';
  grant: G;
  /** Scopes of this token's audience (Slack bot and user scopes differ). */
  scopes: Set<string>;
  issuedAt: number;
  expiresAt: number | null;
  rotated: boolean;
  /** When it was rotated (reuse windows count from here). */
  rotatedAt?: number;
  revoked: boolean;
}

/** Why a presented token is not usable right now. */
export type TokenProblem = 'unknown' | 'revoked' | 'expired' | 'rotated';

/** Random token material with a provider's prefix. */
export function mint(prefix: string): string {
  return prefix + randomBytes(18).toString('hex');
}

/** RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)); plain compares as is. */
export function pkceMatches(challenge: string, method: string, verifier: string): boolean {
  if (method === 'plain') return challenge === verifier;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

/** Every token a fake has issued, so API calls are checked against what its own OAuth endpoint gave out. */
export class TokenBook<G extends Grant> {
  readonly #tokens = new Map<string, IssuedToken<G>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  issue(
    grant: G,
    kind: 'access' | 'refresh',
    audience: 'user' | 'bot',
    value: string,
    scopes: Set<string>,
    ttlSeconds: number | null,
  ): IssuedToken<G> {
    const issuedAt = this.#now();
    const token: IssuedToken<G> = {
      value,
      kind,
      audience,
      grant,
      scopes: new Set(scopes),
      issuedAt,
      expiresAt: ttlSeconds === null ? null : issuedAt + ttlSeconds * 1000,
      rotated: false,
      revoked: false,
    };
    this.#tokens.set(value, token);
    return token;
  }

  /** Looks a token up and says whether it is usable; `token` is set whenever it was ever issued. */
  check(
    value: string,
    kind: 'access' | 'refresh',
  ): { token: IssuedToken<G> | null; problem: TokenProblem | null } {
    const token = this.#tokens.get(value);
    if (!token || token.kind !== kind) return { token: null, problem: 'unknown' };
    if (token.revoked || token.grant.revoked) return { token, problem: 'revoked' };
    if (token.rotated) return { token, problem: 'rotated' };
    if (token.expiresAt !== null && this.#now() >= token.expiresAt) return { token, problem: 'expired' };
    return { token, problem: null };
  }

  find(value: string): IssuedToken<G> | undefined {
    return this.#tokens.get(value);
  }

  all(): IssuedToken<G>[] {
    return [...this.#tokens.values()];
  }
}

/** A pending authorization code: single use, short-lived. */
export interface CodeEntry<G extends Grant> {
  grant: G;
  clientId: string;
  redirectUri: string | null;
  challenge: { value: string; method: string } | null;
  expiresAt: number;
  used: boolean;
  /** The scopes this consent asked for (Slack: user scopes). */
  scopes: Set<string>;
  /** Slack's bot scopes, asked for separately; empty elsewhere. */
  botScopes: Set<string>;
}

/** Issued authorization codes. */
export class CodeBook<G extends Grant> {
  readonly #codes = new Map<string, CodeEntry<G>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  add(value: string, entry: CodeEntry<G>): void {
    this.#codes.set(value, entry);
  }

  /** Consumes a code; a second use, an unknown or an expired code all answer null. */
  consume(value: string): CodeEntry<G> | null {
    const entry = this.#codes.get(value);
    if (!entry || entry.used || this.#now() >= entry.expiresAt) return null;
    entry.used = true;
    return entry;
  }

  /** Reads a code without consuming it, to check client and redirect before burning it. */
  peek(value: string): CodeEntry<G> | null {
    const entry = this.#codes.get(value);
    if (!entry || entry.used || this.#now() >= entry.expiresAt) return null;
    return entry;
  }
}
