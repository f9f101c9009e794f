/**
 * How long to wait after a failed refresh (DESIGN: every backoff is capped at 60 s, with jitter, and a
 * provider's Retry-After is honoured up to the same cap).
 */

/** DESIGN: every backoff is capped at 60 s. */
export const BACKOFF_CAP_MS = 60_000;

/** Capped exponential backoff with jitter: half the ceiling fixed, half random (never a synchronized herd). */
export function backoffMs(
  streak: number,
  capMs = BACKOFF_CAP_MS,
  baseMs = 2_000,
  random = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, streak - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How long to wait after a failure: the backoff, or the provider's Retry-After if longer; both capped. */
export function waitAfterFailure(streak: number, retryAfterSeconds?: number, random = Math.random): number {
  const asked = Math.min(BACKOFF_CAP_MS, Math.max(0, retryAfterSeconds ?? 0) * 1000);
  return Math.max(backoffMs(streak, BACKOFF_CAP_MS, 2_000, random), asked);
}
