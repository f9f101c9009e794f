import type { NormalizedGrant } from '../../providers/types.js';
import type { ConsentRow } from '../../vault/types.js';
import type { ConsentDeps } from './deps.js';
import { ConsentProblem } from './problems.js';
import { recordEvent } from '../../vault/events.js';

/**
 * Between a code exchange and proof of who is in the browser, the grant is held: sealed (bound to
 * `held:<authId>`), outside the connections table, usable by nothing. Proven to be the consent's user, it
 * is taken out and stored as usual; anyone else, or nobody in time, and it is dropped.
 */

/** How long a held grant waits for the person to sign in or be verified. */
export const HOLD_TTL_MS = 20 * 60_000;

/**
 * What the web layer decided about the person in the browser, for one consent: `activate` (proven to be its
 * user, or no proof is asked on this install), `hold` (not proven yet: hold the tokens and ask), or a
 * refusal — `user_mismatch` (proven to be someone else, `by`), `other_browser` (not the browser that pressed
 * Continue), `unproven` (no proof where one is required, e.g. a session ended meanwhile) or `unavailable` (a
 * hosted install with no way to verify people, and no explicit opt-out).
 */
export type Verdict =
  | 'activate'
  | 'hold'
  | { refuse: 'user_mismatch'; by: string; method: string }
  | { refuse: 'other_browser' }
  | { refuse: 'unproven' }
  | { refuse: 'unavailable' };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const heldAd = (authId: string): string => `held:${authId}`;

interface HeldPayload {
  grant: NormalizedGrant;
  /** When the exchange happened: relative lifetimes (`expires_in`) count from here, not from activation. */
  at: number;
}

export async function holdGrant(d: ConsentDeps, c: ConsentRow, grant: NormalizedGrant): Promise<void> {
  const now = d.clock.now();
  const payload: HeldPayload = { grant, at: now };
  const secret = d.vault.sealer.seal(encoder.encode(JSON.stringify(payload)), heldAd(c.authId));
  await d.vault.store.holdGrant({
    authId: c.authId,
    userId: c.userId,
    provider: c.provider,
    secret,
    createdAt: now,
    expiresAt: now + HOLD_TTL_MS,
  });
  d.log.info({ provider: c.provider, authId: c.authId }, 'grant held until the person is verified');
}

/** Takes the consent's held grant out of the vault; null when there is none or it expired. */
export async function takeHeldGrant(d: ConsentDeps, c: ConsentRow): Promise<NormalizedGrant | null> {
  const now = d.clock.now();
  const row = await d.vault.store.takeHeldGrant(c.authId, now);
  if (!row) return null;
  const plain = d.vault.sealer.open(row.secret, heldAd(c.authId));
  try {
    const { grant, at } = JSON.parse(decoder.decode(plain)) as HeldPayload;
    const waited = Math.floor((now - at) / 1000);
    if (grant.expiresIn !== undefined) grant.expiresIn = Math.max(0, grant.expiresIn - waited);
    if (grant.refreshExpiresIn !== undefined)
      grant.refreshExpiresIn = Math.max(0, grant.refreshExpiresIn - waited);
    return grant;
  } finally {
    plain.fill(0);
  }
}

/**
 * A `verification_failed` event about consent `c` (its user and provider): why, and who was proven instead.
 * Never a link or a secret: the auth id is what the agent already polls with.
 */
export async function recordRefusal(
  d: ConsentDeps,
  c: ConsentRow,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const subject = { connectionId: null, userId: c.userId, provider: c.provider };
  await recordEvent(d.vault.store, subject, d.clock.now(), {
    type: 'verification_failed',
    reason,
    detail: { authId: c.authId, ...extra },
  });
  d.log.warn({ provider: c.provider, user: c.userId, authId: c.authId, reason }, 'consent refused');
}

/**
 * Ends a consent the person could not be proven for: nothing is stored, the consent fails, and a
 * `verification_failed` event says why (no link, no secret). Throws the page to show.
 */
export async function refuseUnproven(
  d: ConsentDeps,
  c: ConsentRow,
  verdict: Exclude<Verdict, 'activate' | 'hold'>,
  finished: (authId: string) => void,
): Promise<never> {
  const now = d.clock.now();
  const reason = verdict.refuse;
  await d.vault.store.failConsent(c.authId, reason, now);
  finished(c.authId);
  await recordRefusal(
    d,
    c,
    reason,
    verdict.refuse === 'user_mismatch' ? { provenUser: verdict.by, method: verdict.method } : {},
  );
  const name = d.providers.get(c.provider)?.declaration.displayName ?? c.provider;
  if (verdict.refuse === 'user_mismatch') {
    throw new ConsentProblem(
      'wrong_user',
      'This link is for someone else',
      `This ${name} link was made for the toolvault user "${c.userId}", but you are signed in as "${verdict.by}". Nothing was connected, and nothing reached either account.`,
      403,
    );
  }
  if (verdict.refuse === 'other_browser') {
    throw new ConsentProblem(
      'not_this_browser',
      'Not started here',
      `This ${name} sign-in was not started in this browser, so nothing was connected. Open the connect link yourself and press Continue.`,
      403,
    );
  }
  if (verdict.refuse === 'unproven') {
    throw new ConsentProblem(
      'verification_expired',
      'Sign in again',
      `toolvault could not confirm who you are for this ${name} link (the sign-in ended or was never made), so nothing was connected. Ask your agent for a new link.`,
      403,
    );
  }
  throw new ConsentProblem(
    'verification_unavailable',
    'Connecting needs sign-in',
    `This toolvault serves several people and cannot yet check who you are, so it connects nothing. Its operator must set up sign-in (or a user verifier). Nothing was connected.`,
    403,
  );
}
