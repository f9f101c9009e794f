import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { WriteOutcomeKind } from '../contract.js';
import type { Logger } from '../log.js';
import type { IdempotencyRecord, Store } from '../vault/types.js';

/**
 * Idempotent writes under a caller's key (DESIGN: "a write is retried only when the provider provably did
 * not act, or under an idempotency key"). The key is claimed in the store before the provider is called,
 * so of two concurrent calls with one key exactly one acts; the other waits for its result. A key whose
 * write may or may not have happened (lost response, 5xx) stays blocked: replaying nothing and acting again
 * could both be wrong, so the caller is told to check.
 */

/** How a guarded write ended, as the caller judges it. */
export type WriteOutcome<R> =
  /** The provider acted; `result` (no secrets) is replayed to repeats of the key. */
  | { outcome: 'done'; value: R; result: Record<string, unknown> }
  /** The provider provably did not act (auth required, refused, rate limited): the key is freed. */
  | { outcome: 'not_acted'; value: R }
  /** The provider may have acted: the key stays blocked until its TTL runs out. */
  | { outcome: 'uncertain'; value: R };

/** Thrown by a write that failed before anything was sent: the key is freed and `cause` rethrown. */
export class WriteNotSentError extends Error {
  override readonly name = 'WriteNotSentError';
  constructor(override readonly cause: unknown) {
    super('write failed before it was sent', { cause });
  }
}

/** What another call left under a key: its result to replay, a write still running, or a lost outcome. */
export type KeyTaken =
  | { type: 'replay'; result: Record<string, unknown>; firstAt: number }
  | { type: 'in_progress'; retryAfterSeconds: number }
  | { type: 'uncertain'; firstAt: number };

export type GuardedResult<R> = { type: 'fresh'; value: R } | KeyTaken;

/** Claiming a key: the caller may act (and must settle the claim), or someone else has it. */
export type KeyClaim = { type: 'claimed'; claimId: string } | KeyTaken;

export interface IdempotencyDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** How long a key and its result are kept (24 h). */
  ttlMs?: number;
  /** How long a claim may stay pending before its holder is presumed dead (2 min: past any HTTP timeout). */
  leaseMs?: number;
  /** How long (real time) a repeat waits for a pending claim to finish before answering in_progress. */
  waitMs?: number;
  pollMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 60 * 60 * 1000;

export class IdempotencyService {
  readonly ttlMs: number;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #pollMs: number;
  #lastPurge = Number.NEGATIVE_INFINITY;

  constructor(private readonly d: IdempotencyDeps) {
    this.ttlMs = d.ttlMs ?? DAY_MS;
    this.#leaseMs = d.leaseMs ?? 2 * 60 * 1000;
    this.#waitMs = d.waitMs ?? 10_000;
    this.#pollMs = d.pollMs ?? 25;
  }

  /**
   * Claims `key` for one write by `userId`, or says what an earlier call left under it (waiting briefly for
   * one still running). `key` must already be namespaced by the caller (tool name), so two tools never
   * share one. A claim must be settled.
   */
  async claim(userId: string, key: string, signal?: AbortSignal): Promise<KeyClaim> {
    const claimId = randomUUID();
    await this.#purge();
    const times = { leaseMs: this.#leaseMs, ttlMs: this.ttlMs };
    let claim = await this.d.store.claimIdempotencyKey(userId, key, claimId, this.d.clock.now(), times);
    if (!claim.claimed) {
      const seen = await this.#existing(userId, key, claim.record, signal);
      if (seen) return seen;
      // The holder found the provider did not act and freed the key: take it, once.
      claim = await this.d.store.claimIdempotencyKey(userId, key, claimId, this.d.clock.now(), times);
      if (!claim.claimed) return (await this.#existing(userId, key, claim.record, signal)) ?? inProgress(1);
    }
    return { type: 'claimed', claimId };
  }

  /**
   * Settles a claim by how the write ended: `done` keeps `result` (no secrets) for repeats, `not_acted`
   * frees the key, `uncertain` blocks it until its TTL runs out.
   */
  async settle(
    userId: string,
    key: string,
    claimId: string,
    outcome: WriteOutcomeKind,
    result: Record<string, unknown> = {},
  ): Promise<void> {
    const now = this.d.clock.now();
    if (outcome === 'done') {
      const kept = await this.d.store.completeIdempotencyKey(userId, key, claimId, result, now, this.ttlMs);
      // Lost the claim (the lease ran out mid-call): the result still stands, but repeats will see `uncertain`.
      if (!kept) this.d.log.warn({ user: userId }, 'idempotency claim lapsed before its write finished');
    } else if (outcome === 'not_acted') {
      await this.d.store.releaseIdempotencyKey(userId, key, claimId);
    } else {
      await this.d.store.markIdempotencyKeyUncertain(userId, key, claimId, now, this.ttlMs);
    }
  }

  /** Runs `write` at most once per (userId, key) within the TTL: {@link claim}, the write, {@link settle}. */
  async once<R>(
    userId: string,
    key: string,
    write: () => Promise<WriteOutcome<R>>,
    signal?: AbortSignal,
  ): Promise<GuardedResult<R>> {
    const claim = await this.claim(userId, key, signal);
    if (claim.type !== 'claimed') return claim;
    let out: WriteOutcome<R>;
    try {
      out = await write();
    } catch (err) {
      if (err instanceof WriteNotSentError) {
        await this.settle(userId, key, claim.claimId, 'not_acted');
        throw err.cause;
      }
      // An exception mid-write says nothing about whether the provider acted.
      await this.settle(userId, key, claim.claimId, 'uncertain');
      throw err;
    }
    await this.settle(userId, key, claim.claimId, out.outcome, out.outcome === 'done' ? out.result : {});
    return { type: 'fresh', value: out.value };
  }

  async #existing(
    userId: string,
    key: string,
    record: IdempotencyRecord,
    signal?: AbortSignal,
  ): Promise<KeyTaken | null> {
    const deadline = Date.now() + this.#waitMs;
    let current: IdempotencyRecord | null = record;
    // Real time, not the injected clock: this waits for another request in flight, not for token expiry.
    while (current?.state === 'pending' && Date.now() < deadline && !signal?.aborted) {
      await sleep(this.#pollMs, undefined, signal ? { signal } : {}).catch(() => undefined);
      current = await this.d.store.getIdempotencyKey(userId, key, this.d.clock.now());
    }
    if (current === null) return null;
    if (current.state === 'completed' && current.result)
      return { type: 'replay', result: current.result, firstAt: current.createdAt };
    if (current.state === 'pending') {
      const leaseLeft = Math.ceil(((current.leaseExpiresAt ?? 0) - this.d.clock.now()) / 1000);
      return inProgress(Math.max(1, Math.min(leaseLeft, 5)));
    }
    return { type: 'uncertain', firstAt: current.createdAt };
  }

  async #purge(): Promise<void> {
    const now = this.d.clock.now();
    if (now - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now;
    const n = await this.d.store.purgeIdempotencyKeys(now);
    if (n > 0) this.d.log.debug({ purged: n }, 'purged expired idempotency keys');
  }
}

function inProgress(retryAfterSeconds: number): KeyTaken {
  return { type: 'in_progress', retryAfterSeconds };
}
