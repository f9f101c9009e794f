import type { ConnectionRow, ConnectionState, LastError, Store } from '../vault/types.js';
import { about, recordEvent } from '../vault/events.js';

/**
 * The connection state machine: which moves are allowed, and the one function that makes them, so every
 * transition is recorded as an event with its reason and evidence.
 */

const ALLOWED: Record<ConnectionState, readonly ConnectionState[]> = {
  pending: ['healthy'],
  healthy: ['reauthorization_required', 'scope_update_required', 'disabled'],
  // `refreshing` is derived from the lease; a stored row never sits in it.
  refreshing: ['healthy', 'reauthorization_required', 'disabled'],
  reauthorization_required: ['healthy', 'disabled'],
  scope_update_required: ['healthy', 'reauthorization_required', 'disabled'],
  disabled: ['healthy', 'reauthorization_required', 'scope_update_required'],
};

export function canMove(from: ConnectionState, to: ConnectionState): boolean {
  return from === to || ALLOWED[from].includes(to);
}

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: ConnectionState,
    readonly to: ConnectionState,
  ) {
    super(`connection cannot move from ${from} to ${to}`);
  }
}

export interface Transition {
  to: ConnectionState;
  /** Machine-readable why: `refresh_rejected_and_probe_failed`, `missing_scope`, `operator_disabled`... */
  reason: string;
  /** What was observed that justifies the move (error codes, probe status); never a secret. */
  evidence: Record<string, unknown>;
  lastError?: LastError | null;
}

/**
 * Moves a connection to a new state if it is still at `row.version` (so a decision made on stale data is
 * dropped), and records the event. Returns the new row, or null if the row moved on meanwhile.
 */
export async function transition(
  store: Store,
  row: ConnectionRow,
  t: Transition,
  now: number,
): Promise<ConnectionRow | null> {
  if (!canMove(row.state, t.to)) throw new IllegalTransitionError(row.state, t.to);
  const updated = await store.updateConnection(
    row.id,
    { state: t.to, ...(t.lastError !== undefined ? { lastError: t.lastError } : {}) },
    now,
    row.version,
  );
  if (!updated) return null;
  if (row.state !== t.to) {
    await recordEvent(store, about(row), now, {
      type: 'state_changed',
      fromState: row.state,
      toState: t.to,
      reason: t.reason,
      detail: t.evidence,
    });
  }
  return updated;
}
