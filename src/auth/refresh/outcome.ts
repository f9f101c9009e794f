import type { ErrorKind } from '../../contract.js';
import type { ConnectionRow } from '../../vault/types.js';

/** What a refresh attempt came to, and how a stored row reads as one. */

export type RefreshOutcome =
  | { ok: true; row: ConnectionRow; refreshed: boolean }
  | {
      ok: false;
      row: ConnectionRow | null;
      kind: ErrorKind;
      code?: string;
      retryAfterSeconds?: number;
      /** The connection was moved to reauthorization_required. */
      downgraded: boolean;
    };

/** States whose tokens are still worth refreshing (a scope gap does not stop the granted scopes working). */
export const REFRESHABLE = new Set(['healthy', 'scope_update_required']);

/** What a row that another worker already dealt with means for a caller. */
export function settled(row: ConnectionRow): RefreshOutcome {
  if (REFRESHABLE.has(row.state)) return { ok: true, row, refreshed: false };
  return {
    ok: false,
    row,
    kind: row.state === 'disabled' ? 'config_error' : 'revoked',
    code: row.state,
    downgraded: row.state === 'reauthorization_required',
  };
}

/** The last attempt failed and its backoff is still running: answer with that failure, fast. */
export function backingOff(row: ConnectionRow, now: number): RefreshOutcome | null {
  if (row.failureStreak === 0 || row.refreshDueAt === null || row.refreshDueAt <= now) return null;
  return failedFrom(row, now);
}

/**
 * The failure recorded on a row, as an outcome, with Retry-After: the provider's own wait when it asked for
 * longer than toolvault's capped backoff, else what remains of the backoff.
 */
export function failedFrom(row: ConnectionRow, now: number): RefreshOutcome {
  const kind = (row.lastError?.kind ?? 'transient') as ErrorKind;
  const until = Math.max(row.refreshDueAt ?? 0, row.lastError?.retryAt ?? 0);
  const wait = until > now ? until - now : 0;
  return {
    ok: false,
    row,
    kind,
    ...(row.lastError?.code ? { code: row.lastError.code } : {}),
    ...(wait > 0 ? { retryAfterSeconds: Math.ceil(wait / 1000) } : {}),
    downgraded: false,
  };
}
