import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * Correlation ids that follow a unit of work through every await: a tool call (`callId`) and a refresh
 * (`refreshId`). The logger adds the current ids to every line it writes (pino `mixin`), and the observed store
 * adds them to every event, so a line deep in the refresh engine or the API client names the tool call that
 * caused it without any code in between passing an id along.
 */

export interface LogContext {
  callId?: string;
  refreshId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** A short random id, e.g. `call_3VfW0kq1b8pZ`: unique enough to grep, short enough to show a user. */
export function correlationId(prefix: 'call' | 'refresh' | 'admin'): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

/** Runs `fn` with `fields` added to the current context (nested work keeps its parent's ids). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

/** The ids of the work in progress; empty outside any. */
export function logContext(): LogContext {
  return storage.getStore() ?? {};
}
