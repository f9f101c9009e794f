import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { NormalizedGrant, ProviderDeclaration } from '../../providers/types.js';
import { classifyTokenError, type TokenFailure } from './classify.js';

/**
 * One refresh at the token endpoint, minding lost responses. A request that left but got no answer (a
 * timeout, a reset) may have been acted on: a rotating provider then holds new tokens we never saw, and the
 * refresh token we hold may be spent. Where the provider declares a reuse grace window (Atlassian 10 min,
 * Okta 30 s) the same refresh token is sent again inside it, which returns the new tokens; elsewhere a retry
 * would only meet reuse detection, so the loss is reported (`lostAt`) for the caller to mark on the row.
 */

/** Tries of the same refresh token inside a reuse grace window after the first answer was lost. */
export const GRACE_RETRIES = 2;

export type TokenCall =
  | { ok: true; grant: NormalizedGrant; lostAt: number | null }
  | { ok: false; failure: TokenFailure; lost: boolean; lostAt: number | null };

/**
 * The request left but no answer came: a status means an answer arrived; `neverReached` means it provably
 * did not leave.
 */
export function responseLost(f: TokenFailure): boolean {
  return f.kind === 'transient' && f.status === undefined && !f.neverReached;
}

export async function refreshAtTokenEndpoint(o: {
  send: () => Promise<NormalizedGrant>;
  declaration: ProviderDeclaration;
  clock: Clock;
  log: Logger;
  /** For log lines. */
  context: Record<string, unknown>;
  /** A loss marked on the row by an earlier attempt: the grace window counts from it. */
  lostAt: number | null;
  /** Real ms before the first retry (doubling after). */
  retryMs?: number;
}): Promise<TokenCall> {
  const token = o.declaration.token;
  const graceMs = token.rotatesRefreshToken ? token.reuseGraceSec * 1000 : 0;
  let lostAt = o.lostAt;
  for (let attempt = 1; ; attempt++) {
    const sentAt = o.clock.now();
    try {
      return { ok: true, grant: await o.send(), lostAt };
    } catch (err) {
      const failure = classifyTokenError(err, o.declaration, o.clock.now());
      const lost = token.rotatesRefreshToken && responseLost(failure);
      if (lost) lostAt ??= sentAt;
      // `code` is a redacted log field (authorization codes): the provider's error goes in `errorCode`.
      o.log.warn(
        {
          ...o.context,
          kind: failure.kind,
          errorCode: failure.code,
          status: failure.status,
          ...(lost ? { responseLost: true } : {}),
        },
        'refresh failed',
      );
      const inGrace = lostAt !== null && o.clock.now() - lostAt < graceMs;
      if (!lost || !inGrace || attempt > GRACE_RETRIES) return { ok: false, failure, lost, lostAt };
      // The provider still honours the refresh token we sent for a while after rotating it: ask again.
      o.log.info({ ...o.context, attempt }, 'retrying inside the reuse grace window');
      await new Promise((r) => setTimeout(r, (o.retryMs ?? 200) * attempt));
    }
  }
}
