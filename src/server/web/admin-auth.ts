import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Who may use /admin: whoever presents the admin key, as `Authorization: Bearer <key>` (scripts) or once on
 * the login form, which sets a session cookie. The key is compared in constant time (both sides hashed first,
 * so even the length leaks nothing). The cookie holds no key: an expiry, a nonce and an HMAC under a key
 * derived from the admin key (changing the admin key ends every session). It is HttpOnly, SameSite=Strict,
 * scoped to /admin, and Secure when toolvault is served over https. Forms that change something carry a CSRF
 * token bound to the session.
 */

export const SESSION_COOKIE = 'tv_admin';
const SESSION_TTL_MS = 12 * 3600_000;

export type AdminCaller = { via: 'bearer' } | { via: 'cookie'; session: string };

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

export class AdminAuth {
  readonly #keyDigest: Buffer;
  readonly #macKey: Buffer;

  constructor(
    adminKey: string,
    private readonly o: { now: () => number; secure: () => boolean; ttlMs?: number },
  ) {
    this.#keyDigest = sha256(adminKey);
    this.#macKey = createHmac('sha256', 'toolvault admin session v1').update(adminKey).digest();
  }

  /** Whether `candidate` is the admin key; constant time whatever its length. */
  matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.#keyDigest);
  }

  /** The caller, from a Bearer header or a valid session cookie; null when neither. */
  caller(req: Request): AdminCaller | null {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return this.matches(auth.slice(7).trim()) ? { via: 'bearer' } : null;
    const session = cookie(req, SESSION_COOKIE);
    return session && this.validSession(session) ? { via: 'cookie', session } : null;
  }

  newSession(): string {
    const exp = this.o.now() + (this.o.ttlMs ?? SESSION_TTL_MS);
    const body = `${exp}.${randomBytes(16).toString('base64url')}`;
    return `${body}.${this.#mac(`session|${body}`)}`;
  }

  validSession(value: string): boolean {
    const parts = value.split('.');
    if (parts.length !== 3) return false;
    const [exp, nonce, mac] = parts as [string, string, string];
    return same(mac, this.#mac(`session|${exp}.${nonce}`)) && Number(exp) > this.o.now();
  }

  csrfToken(session: string): string {
    return this.#mac(`csrf|${session}`);
  }

  validCsrf(session: string, token: unknown): boolean {
    return typeof token === 'string' && same(token, this.csrfToken(session));
  }

  sessionCookie(session: string): string {
    const maxAge = Math.floor((this.o.ttlMs ?? SESSION_TTL_MS) / 1000);
    return `${SESSION_COOKIE}=${session}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.#secure()}`;
  }

  clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${this.#secure()}`;
  }

  #secure(): string {
    return this.o.secure() ? '; Secure' : '';
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#macKey).update(text).digest('base64url');
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Brakes on guessing: after `max` wrong keys from one address within a minute, that address waits out the
 * minute. In memory and per process; a long random key is the real defence.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly now: () => number,
    private readonly max = 10,
  ) {}

  blocked(who: string): boolean {
    const f = this.#failures.get(who);
    if (!f) return false;
    if (this.now() - f.since > 60_000) {
      this.#failures.delete(who);
      return false;
    }
    return f.count >= this.max;
  }

  failed(who: string): void {
    const f = this.#failures.get(who);
    if (!f || this.now() - f.since > 60_000) this.#failures.set(who, { count: 1, since: this.now() });
    else f.count++;
    if (this.#failures.size > 10_000) this.#failures.clear();
  }

  succeeded(who: string): void {
    this.#failures.delete(who);
  }
}
