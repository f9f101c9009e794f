import { createHash } from 'node:crypto';
import type { Account } from '../../providers/types.js';
import type { ConsentRow } from '../../vault/types.js';

/** What a callback or a finished held grant comes to, and the account-switch pieces they share. */

export interface CallbackResult {
  consent: ConsentRow;
  accountName: string | undefined;
  /** Set when the user must confirm switching accounts; nothing was stored. */
  confirm?: { token: string; current: Account; incoming: Account };
  /** Set when the tokens are held until the person in the browser is proven to be the consent's user. */
  held?: true;
}

/** sha256 of an account-switch confirmation token, as the store keeps it (never the token itself). */
export function confirmationHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Time the user has to answer the account-switch question. */
export const SWITCH_TTL_MS = 10 * 60_000;

/** The same person at the provider: the same id (and, where the provider says, the same team/workspace). */
export function sameAccount(a: Account, b: Account): boolean {
  return a.id === b.id && (a.team === undefined || b.team === undefined || a.team === b.team);
}
