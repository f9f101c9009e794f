import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Store } from '../../vault/types.js';
import { sha256 } from './cookies.js';

/**
 * One-time sign-in links for installs without an identity provider: `toolvault users link alice` prints
 * `<public URL>/signin/link/<token>`. The vault keeps the token's sha256 only, as a `signin_link` ticket:
 * single use, 15 minutes by default. Opening it shows a button (link-preview bots must not spend it);
 * pressing it signs the browser in as that user (signin-routes.ts).
 */

export const SIGNIN_LINK_TTL_MS = 15 * 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export async function createSignInLink(
  d: { store: Store; clock: Clock; publicUrl: string },
  userId: string,
  ttlMs = SIGNIN_LINK_TTL_MS,
): Promise<{ url: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const now = d.clock.now();
  const expiresAt = now + ttlMs;
  await d.store.createTicket({
    hash: linkHash(token),
    kind: 'signin_link',
    userId,
    data: {},
    createdAt: now,
    expiresAt,
  });
  return { url: `${d.publicUrl}/signin/link/${token}`, expiresAt };
}

/** Whether `token` looks like a sign-in link token at all (anything else is a 404 without a lookup). */
export const isLinkToken = (token: string): boolean => TOKEN.test(token);

export const linkHash = (token: string): string => sha256(`signin_link|${token}`);
