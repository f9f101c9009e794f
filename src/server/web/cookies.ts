import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** Reading and writing the cookies of toolvault's pages; every one HttpOnly, Secure when served over https. */

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  /** Strict for cookies only our own pages need; Lax for those a provider's redirect back must carry. */
  sameSite: 'Strict' | 'Lax';
  maxAgeSec: number;
  secure: boolean;
}

export function setCookie(res: Response, name: string, value: string, o: CookieOptions): void {
  res.append(
    'Set-Cookie',
    `${name}=${value}; Path=${o.path}; HttpOnly; SameSite=${o.sameSite}; Max-Age=${Math.max(0, Math.floor(o.maxAgeSec))}${o.secure ? '; Secure' : ''}`,
  );
}

export function clearCookie(res: Response, name: string, o: Omit<CookieOptions, 'maxAgeSec'>): void {
  setCookie(res, name, '', { ...o, maxAgeSec: 0 });
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Constant-time string comparison. */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether a state-changing request comes from our own pages: its `Origin` must be present and be the public
 * URL's origin (or one the operator added). Browsers send Origin on every POST; pages that post set
 * `Referrer-Policy: same-origin`, since with `no-referrer` Chromium sends `Origin: null` instead.
 */
export function sameOriginPost(req: Request, allowed: readonly string[]): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && allowed.includes(origin.toLowerCase());
}
