import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../vault/types.js';
import { clearCookie, readCookie, setCookie, sha256 } from './cookies.js';

/**
 * Who is signed in to toolvault's own pages: server-side sessions kept in the vault as the sha256 of the
 * browser's random session id, with an expiry; signing out ends the session in the store, so a copied cookie
 * dies with it. The pieces that need a person — connect links, account switches, the connector's consent,
 * approvals — ask `currentUser(req)`, or `requireUser(req, res, returnTo)` to send the browser to sign in
 * and bring it back. How a person signs in (the operator's OpenID Connect provider, a CLI sign-in link) is
 * signin-routes.ts; both end in `signIn(res, user, method)`.
 *
 * The cookie is `SameSite=Lax`: a provider's redirect back to /oauth/callback must carry it. Everything that
 * changes state on a POST also checks its form binding and Origin (form-binding.ts).
 */

export const SESSION_COOKIE = 'tv_session';
const RETURN_COOKIE = 'tv_return';
export const SESSION_TTL_MS = 12 * 3_600_000;
const RETURN_TTL_SEC = 30 * 60;

export interface WebSessionsDeps {
  store: () => Store;
  clock: Clock;
  log: Logger;
  secure: () => boolean;
  ttlMs?: number;
}

export class WebSessions {
  constructor(private readonly d: WebSessionsDeps) {}

  /** The vault user signed in in this browser, or null. */
  async currentUser(req: Request): Promise<string | null> {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return null;
    const s = await this.d.store().getWebSession(sha256(id), this.d.clock.now());
    return s?.userId ?? null;
  }

  /**
   * The signed-in user; or, when nobody is, sends the browser to sign in (303 to /signin), to come back to
   * `returnTo` (a path on this server) afterwards, and resolves to null: the response is then sent.
   */
  async requireUser(req: Request, res: Response, returnTo: string): Promise<string | null> {
    const user = await this.currentUser(req);
    if (user !== null) return user;
    this.rememberReturn(res, returnTo);
    res.redirect(303, '/signin');
    return null;
  }

  /** Where to go after signing in, saved by requireUser. Only a local path is ever kept. */
  rememberReturn(res: Response, returnTo: string): void {
    if (!isLocalPath(returnTo)) return;
    setCookie(res, RETURN_COOKIE, encodeURIComponent(returnTo), this.#cookie('Lax', RETURN_TTL_SEC));
  }

  /** The saved return path (cleared), or `/signin/done`. */
  takeReturn(req: Request, res: Response): string {
    const raw = readCookie(req, RETURN_COOKIE);
    clearCookie(res, RETURN_COOKIE, this.#cookie('Lax', 0));
    let path: string | undefined;
    try {
      path = raw === undefined ? undefined : decodeURIComponent(raw);
    } catch {
      path = undefined;
    }
    return path !== undefined && isLocalPath(path) ? path : '/signin/done';
  }

  /** Starts a session for `userId` in this browser (ending the one it had). */
  async signIn(req: Request, res: Response, userId: string, method: 'oidc' | 'link'): Promise<void> {
    await this.signOut(req, res);
    const id = randomBytes(32).toString('base64url');
    const now = this.d.clock.now();
    const ttl = this.d.ttlMs ?? SESSION_TTL_MS;
    await this.d.store().createWebSession({
      idHash: sha256(id),
      userId,
      method,
      createdAt: now,
      expiresAt: now + ttl,
    });
    setCookie(res, SESSION_COOKIE, id, this.#cookie('Lax', ttl / 1000));
    this.d.log.info({ user: userId, method }, 'signed in to toolvault');
  }

  /** Ends this browser's session in the store and clears its cookie. */
  async signOut(req: Request, res: Response): Promise<void> {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return;
    if (await this.d.store().endWebSession(sha256(id), this.d.clock.now()))
      this.d.log.info('signed out of toolvault');
    clearCookie(res, SESSION_COOKIE, this.#cookie('Lax', 0));
  }

  #cookie(sameSite: 'Lax' | 'Strict', maxAgeSec: number) {
    return { path: '/', sameSite, maxAgeSec, secure: this.d.secure() };
  }
}

/** `/x/y?z`, never `//host` or a scheme: a return path cannot send the browser elsewhere. */
export function isLocalPath(p: string): boolean {
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(p);
}
