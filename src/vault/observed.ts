import type { Logger } from '../log.js';
import { logContext } from '../log-context.js';
import type { EventRow, Store } from './types.js';

/** Told about every event after it is stored. */
export type EventListener = (event: EventRow) => void | Promise<void>;

/**
 * A store that tells listeners (metrics, webhooks, alert rules) about every event it appends, so the code
 * that writes events (the refresh engine, the state machine) knows nothing about who watches them. Each event
 * also gets the correlation ids of the work that wrote it (`callId`, `refreshId`). A listener that fails is
 * logged and never fails the write: the event is stored either way.
 */
export function observeStore(inner: Store, listeners: readonly EventListener[], log: Logger): Store {
  const appendEvent: Store['appendEvent'] = async (event) => {
    const ids = logContext();
    const detail = Object.keys(ids).length === 0 ? event.detail : { ...event.detail, ...ids };
    const row = await inner.appendEvent({ ...event, detail });
    for (const listener of listeners) {
      try {
        await listener(row);
      } catch (err) {
        log.error({ event: row.id, type: row.type, err: (err as Error).message }, 'event listener failed');
      }
    }
    return row;
  };
  // A Proxy rather than a spread: a class-based store (PostgreSQL) keeps its methods on the prototype.
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'appendEvent') return appendEvent;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
