import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand, so nothing sleeps for token expiry. */
export class FakeClock implements Clock {
  #now: number;

  /** Starts at `start` ms since the epoch (default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (negative values are refused: time does not go back by accident). */
  advance(ms: number): number {
    if (ms < 0) throw new RangeError('FakeClock.advance takes a non-negative duration; use set() to go back');
    this.#now += ms;
    return this.#now;
  }

  /** Jumps to an absolute time, forwards or back. */
  set(ms: number): void {
    this.#now = ms;
  }
}
