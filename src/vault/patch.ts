import type { ConnectionRecord } from './records.js';
import type { ConnectionPatch, ConnectionRow } from './types.js';

/**
 * The columns a patch writes, from the row as it is: an absent field keeps the column, `null` clears it, and
 * `bump` is 1 when the state changes (the version fence moves only then). Both dialects read a patch with
 * this, so they read it the same way.
 */
export function patchedColumns(current: ConnectionRecord, patch: ConnectionPatch) {
  const state = patch.state ?? current.state;
  return {
    state,
    bump: state === current.state ? 0 : 1,
    last_error:
      patch.lastError === undefined
        ? current.last_error
        : patch.lastError === null
          ? null
          : JSON.stringify(patch.lastError),
    failure_streak: patch.failureStreak ?? current.failure_streak,
    refresh_due_at: patch.refreshDueAt === undefined ? current.refresh_due_at : patch.refreshDueAt,
    last_used_at: patch.lastUsedAt ?? current.last_used_at,
    scopes: patch.scopes === undefined ? current.scopes : JSON.stringify(patch.scopes),
    next_check_at: patch.nextCheckAt === undefined ? (current.next_check_at ?? null) : patch.nextCheckAt,
    refresh_lost_at:
      patch.refreshLostAt === undefined ? (current.refresh_lost_at ?? null) : patch.refreshLostAt,
  };
}

/** When a row is due: the earlier of its refresh and check times. */
function dueAt(r: ConnectionRow): number {
  return Math.min(r.refreshDueAt ?? Number.POSITIVE_INFINITY, r.nextCheckAt ?? Number.POSITIVE_INFINITY);
}

/** The rows of both due scans, each once, earliest due first, at most `limit`. */
export function mergeDue(a: ConnectionRow[], b: ConnectionRow[], limit: number): ConnectionRow[] {
  const byId = new Map<string, ConnectionRow>();
  for (const r of [...a, ...b]) byId.set(r.id, r);
  return [...byId.values()]
    .sort((x, y) => dueAt(x) - dueAt(y) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .slice(0, limit);
}
