import type { ProviderDeclaration } from '../../providers/types.js';

/**
 * No token without a plan: when toolvault next looks at a connection, and how. A token that expires is
 * refreshed at 65–75% of its life; a refresh token with an idle limit is used well before the limit (Google
 * revokes refresh tokens unused for six months, Atlassian after 90 idle days); a rotating refresh token with a
 * known end is renewed well before it. A token with none of these (GitHub OAuth App tokens, Slack without
 * rotation, a response without `expires_in` from a provider that declares no default) is probed with the
 * provider's cheap read-only call every few hours, and refreshed when the probe finds it dead.
 */

/** Share of an access token's life after which the scheduler refreshes it (DESIGN: 75%). */
export const REFRESH_AT_FRACTION = 0.75;
/** Spread of due times below 75%, so connections issued together are not refreshed in the same second. */
export const REFRESH_JITTER_FRACTION = 0.1;
/** Share of a refresh token's idle limit after which an unused connection is refreshed to keep it alive. */
export const KEEP_ALIVE_FRACTION = 0.5;
/** Between probes of a token that nothing else checks. */
export const PROBE_EVERY_MS = 6 * 3_600_000;
/** After a probe that got no answer, when to try again (the same cap as every backoff). */
export const PROBE_RETRY_MS = 60_000;

export interface CheckPlan {
  /** When to refresh; null when no refresh is planned. */
  refreshDueAt: number | null;
  /** When to probe; null while a refresh is planned (or when nothing can check this token). */
  nextCheckAt: number | null;
}

export interface TokenFacts {
  now: number;
  accessExpiresAt: number | null;
  /** When the refresh token dies whatever its use (absolute), if known. */
  refreshExpiresAt: number | null;
  /** A refresh token is held. */
  canRefresh: boolean;
}

/** `fraction` of the way from `now` to `now + spanMs`, less up to 10% of the span of jitter. */
function spread(now: number, spanMs: number, fraction: number, random: () => number): number {
  return now + Math.floor(spanMs * (fraction - random() * REFRESH_JITTER_FRACTION));
}

/** The schedule of a freshly stored token. */
export function planChecks(
  d: Pick<ProviderDeclaration, 'token' | 'probe'>,
  t: TokenFacts,
  random: () => number = Math.random,
): CheckPlan {
  const due: number[] = [];
  if (t.canRefresh) {
    if (t.accessExpiresAt !== null)
      due.push(spread(t.now, t.accessExpiresAt - t.now, REFRESH_AT_FRACTION, random));
    const idleSec = d.token.refreshIdleLimitSec;
    if (idleSec !== undefined) due.push(spread(t.now, idleSec * 1000, KEEP_ALIVE_FRACTION, random));
    // A rotation brings a new refresh token with a new end: renew it while there is time to spare.
    // An end counted from the consent does not move with rotation: only the expiry warning helps there.
    const renews = d.token.rotatesRefreshToken && d.token.absoluteLifetimeFrom !== 'consent';
    if (t.refreshExpiresAt !== null && renews && t.refreshExpiresAt > t.now) {
      due.push(spread(t.now, t.refreshExpiresAt - t.now, KEEP_ALIVE_FRACTION, random));
    }
    // Nothing expires and no probe is declared: a periodic refresh is the only check there is.
    if (due.length === 0 && !d.probe) due.push(spread(t.now, PROBE_EVERY_MS, 1, random));
  }
  if (due.length > 0) return { refreshDueAt: Math.min(...due), nextCheckAt: null };
  return { refreshDueAt: null, nextCheckAt: nextProbeAt(d, t, random) };
}

/**
 * The next probe of a token without a refresh plan: every PROBE_EVERY_MS (jittered), and at its expiry when
 * it expires with nothing to refresh it (then the probe's verdict starts the reconnect). Null without a
 * probe: nothing can check such a token but a call (the heartbeat counts these).
 */
export function nextProbeAt(
  d: Pick<ProviderDeclaration, 'probe'>,
  t: Pick<TokenFacts, 'now' | 'accessExpiresAt'>,
  random: () => number = Math.random,
): number | null {
  if (!d.probe) return null;
  const periodic = spread(t.now, PROBE_EVERY_MS, 1, random);
  return t.accessExpiresAt === null ? periodic : Math.min(periodic, t.accessExpiresAt);
}
