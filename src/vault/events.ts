import type { EventType } from '../contract.js';
import type { ConnectionState, EventRow, NewEvent, Store } from './types.js';

/**
 * The one way the token lifecycle writes its history. Every event names who it is about and what happened;
 * the columns an event leaves empty (no state change, no reason) are filled here, not at each call site.
 */

/** Who an event is about. A stored event fits as it is; a connection row goes through {@link about}. */
export interface EventSubject {
  connectionId: string | null;
  userId: string | null;
  provider: string | null;
}

/** A connection as an event's subject. */
export function about(row: { id: string; userId: string | null; provider: string }): EventSubject {
  return { connectionId: row.id, userId: row.userId, provider: row.provider };
}

/** What happened: the event's type and, where it applies, its reason, state change and detail. */
export interface EventFacts {
  /** DESIGN.md's event types (`state_changed`, `refreshed`, `alert`, ...). */
  type: EventType;
  reason?: string | null;
  fromState?: ConnectionState | null;
  toState?: ConnectionState | null;
  /** Never a secret. */
  detail?: Record<string, unknown>;
}

/** The event as the store takes it. */
export function newEvent(subject: EventSubject, at: number, facts: EventFacts): NewEvent {
  return {
    at,
    type: facts.type,
    connectionId: subject.connectionId,
    userId: subject.userId,
    provider: subject.provider,
    fromState: facts.fromState ?? null,
    toState: facts.toState ?? null,
    reason: facts.reason ?? null,
    detail: facts.detail ?? {},
  };
}

/** Appends one event. */
export function recordEvent(
  store: Pick<Store, 'appendEvent'>,
  subject: EventSubject,
  at: number,
  facts: EventFacts,
): Promise<EventRow> {
  return store.appendEvent(newEvent(subject, at, facts));
}
