import type { ConnectionRow } from '../../vault/types.js';

/** A refresh failure as the observer hears of it: its error kind and the provider's code, if any. */
export interface RefreshFailure {
  kind: string;
  code?: string | undefined;
}

/**
 * What the token lifecycle tells the operators' side as it goes. ops/episodes.ts implements it (alert
 * episodes); auth only calls it, so auth never imports ops. Callers treat it as bookkeeping: a failure in
 * it is logged and never changes a refresh's or a call's outcome.
 */
export interface LifecycleObserver {
  /** A refresh failed without proof that the grant is gone; `streak` counts failures in a row. */
  refreshFailed(row: ConnectionRow, failure: RefreshFailure, streak: number): Promise<void>;
  /** A refresh committed. */
  refreshSucceeded(row: ConnectionRow): Promise<void>;
  /** A call through the connection succeeded. */
  callSucceeded(row: ConnectionRow): Promise<void>;
  /** Once per scheduler pass: settles whatever has quietened down; returns how many it closed. */
  sweep(): Promise<number>;
}

/** The part of the observer the refresher uses. */
export type RefreshObserver = Pick<LifecycleObserver, 'refreshFailed' | 'refreshSucceeded'>;
