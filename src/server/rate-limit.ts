import type { Request, RequestHandler } from 'express';
import type { Clock } from '../clock.js';
import { rpcError } from './http.js';

/**
 * A token bucket per caller: `perMinute` requests a minute on average, bursts up to `perMinute`. In memory,
 * so each instance counts on its own (N instances behind a balancer admit up to N times the rate); the
 * point is to keep one runaway agent from starving the others, not exact global accounting.
 */

interface Bucket {
  tokens: number;
  at: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Buckets kept before idle (full) ones are dropped. */
const PRUNE_AT = 10_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.#perMs = perMinute / 60_000;
  }

  /** Takes one request's token for `key`, or says how long until one is available. */
  take(key: string): Admission {
    if (this.perMinute <= 0) return { ok: true };
    const now = this.clock.now();
    const b = this.#buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + Math.max(0, now - b.at) * this.#perMs);
    b.at = now;
    if (!this.#buckets.has(key)) {
      if (this.#buckets.size >= PRUNE_AT) this.#prune(now);
      this.#buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.#perMs / 1000)) };
  }

  #prune(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#perMs >= this.perMinute) this.#buckets.delete(key);
    }
  }
}

/** Express middleware: one token per request from the caller `keyOf` names; 429 with Retry-After when empty. */
export function rateLimit(limiter: RateLimiter, keyOf: (req: Request) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const key = keyOf(req);
    if (key === undefined) return next();
    const admission = limiter.take(key);
    if (admission.ok) return next();
    res.set('Retry-After', String(admission.retryAfterSeconds));
    rpcError(
      res,
      429,
      -32000,
      `Rate limit exceeded: at most ${limiter.perMinute} requests a minute per caller; retry after ${admission.retryAfterSeconds} s`,
    );
  };
}
