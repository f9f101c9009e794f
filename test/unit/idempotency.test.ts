import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyService, WriteNotSentError, type WriteOutcome } from '../../src/auth/idempotency.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { Store } from '../../src/vault/types.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../support/clock.js';

/** The idempotency service's choreography around one write, on an in-memory vault and a fake clock. */

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const done = (n: number): WriteOutcome<string> => ({ outcome: 'done', value: `v${n}`, result: { n } });

describe('IdempotencyService', () => {
  let store: Store;
  let clock: FakeClock;
  let svc: IdempotencyService;
  const logs: string[] = [];

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    clock = new FakeClock();
    const log = createLogger('debug', { write: (l: string) => void logs.push(l) });
    svc = new IdempotencyService({ store, clock, log, waitMs: 300, pollMs: 5 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs the write once and replays its result to a repeat', async () => {
    let runs = 0;
    const write = async () => done(++runs);
    expect(await svc.once('u', 'k', write)).toEqual({ type: 'fresh', value: 'v1' });
    expect(await svc.once('u', 'k', write)).toEqual({
      type: 'replay',
      result: { n: 1 },
      firstAt: clock.now(),
    });
    expect(runs).toBe(1);
  });

  it('makes a concurrent repeat wait for the first write and replay it', async () => {
    const gate = deferred<void>();
    const started = deferred<void>();
    let runs = 0;
    const write = async () => {
      runs++;
      started.resolve();
      await gate.promise;
      return done(runs);
    };
    const first = svc.once('u', 'k', write);
    await started.promise;
    const second = svc.once('u', 'k', write);
    setTimeout(() => gate.resolve(), 30);
    expect(await first).toEqual({ type: 'fresh', value: 'v1' });
    expect(await second).toMatchObject({ type: 'replay', result: { n: 1 } });
    expect(runs).toBe(1);
  });

  it('answers in_progress when the first write outlasts the wait', async () => {
    const gate = deferred<void>();
    const started = deferred<void>();
    const first = svc.once('u', 'k', async () => {
      started.resolve();
      await gate.promise;
      return done(1);
    });
    await started.promise;
    const second = await svc.once('u', 'k', async () => done(2));
    expect(second).toEqual({ type: 'in_progress', retryAfterSeconds: expect.any(Number) });
    gate.resolve();
    await first;
  });

  it('lets a waiting repeat take the key when the first write provably did not act', async () => {
    const gate = deferred<void>();
    const started = deferred<void>();
    const first = svc.once('u', 'k', async (): Promise<WriteOutcome<string>> => {
      started.resolve();
      await gate.promise;
      return { outcome: 'not_acted', value: 'refused' };
    });
    await started.promise;
    const second = svc.once('u', 'k', async () => done(2));
    setTimeout(() => gate.resolve(), 20);
    expect(await first).toEqual({ type: 'fresh', value: 'refused' });
    expect(await second).toEqual({ type: 'fresh', value: 'v2' });
  });

  it('blocks the key after an uncertain write and after a write that threw midway', async () => {
    await svc.once('u', 'a', async () => ({ outcome: 'uncertain', value: 'lost' }));
    expect(await svc.once('u', 'a', async () => done(1))).toMatchObject({ type: 'uncertain' });
    await expect(
      svc.once('u', 'b', async () => {
        throw new Error('socket hang up');
      }),
    ).rejects.toThrow('socket hang up');
    expect(await svc.once('u', 'b', async () => done(1))).toMatchObject({ type: 'uncertain' });
  });

  it('frees the key when the write failed before sending, rethrowing the cause', async () => {
    const cause = new Error('vault busy');
    await expect(
      svc.once('u', 'k', async () => {
        throw new WriteNotSentError(cause);
      }),
    ).rejects.toBe(cause);
    expect(await svc.once('u', 'k', async () => done(1))).toEqual({ type: 'fresh', value: 'v1' });
  });

  it('treats a claim whose holder vanished past its lease as uncertain', async () => {
    await store.claimIdempotencyKey('u', 'k', 'crashed', clock.now(), {
      leaseMs: 120_000,
      ttlMs: 86_400_000,
    });
    clock.advance(120_000);
    expect(await svc.once('u', 'k', async () => done(1))).toMatchObject({ type: 'uncertain' });
  });
});
