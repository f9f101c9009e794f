import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie, sameOriginPost, sameString, setCookie, sha256 } from './cookies.js';

/**
 * Binds a page's form to the browser that loaded it: the GET sets a cookie scoped to that page's own path
 * (`SameSite=Strict`, HttpOnly) and puts a token derived from it in the form; the POST must carry both and a
 * same-origin `Origin`. A page on another site can make a browser POST, but it cannot make it send a Strict
 * cookie, read the token, or claim our origin — so a cross-site auto-submit of a connect link (or a sign-in
 * link) starts nothing. The token is a hash of the cookie and the path, so nothing needs storing.
 */

export const FORM_COOKIE = 'tv_form';
const TTL_SEC = 30 * 60;

export interface FormBindingOptions {
  secure: () => boolean;
  /** Origins a POST may come from: the public URL's, and any the operator allows. */
  origins: () => string[];
}

export class FormBinding {
  constructor(private readonly o: FormBindingOptions) {}

  /** For the GET of `path`: sets the page's cookie and returns the CSRF token its form must carry. */
  issue(res: Response, path: string): string {
    const nonce = randomBytes(32).toString('base64url');
    setCookie(res, FORM_COOKIE, nonce, {
      path,
      sameSite: 'Strict',
      maxAgeSec: TTL_SEC,
      secure: this.o.secure(),
    });
    // The form posts back here, so the browser must send the Origin (see sameOriginPost).
    res.set('Referrer-Policy', 'same-origin');
    return token(nonce, path);
  }

  /** For the POST to `path`: whether it carries this browser's cookie, the matching token and our Origin. */
  check(req: Request, path: string, csrf: unknown): boolean {
    const nonce = readCookie(req, FORM_COOKIE);
    if (!nonce || typeof csrf !== 'string') return false;
    return sameOriginPost(req, this.o.origins()) && sameString(csrf, token(nonce, path));
  }
}

const token = (nonce: string, path: string): string => sha256(`toolvault form|${path}|${nonce}`);
