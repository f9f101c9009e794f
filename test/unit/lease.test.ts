import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseKeeper } from '../../src/auth/refresh/lease.js';
import { createLogger } from '../../src/log.js';
import { openSqliteStore } from '../../src/vault/sqlite/store.js';
import type { Store } from '../../src/vault/types.js';
import { FakeClock } from '../support/clock.js';
import { connect } from '../support/store-fixtures.js';

/**
 * The refresh lease keeper (auth/refresh/lease.ts): it renews the holder's lease every third of its life, and
 * a renewal that fails or finds the lease gone marks the lease lost and says so — never dropped in silence.
 * Renewal runs on real timers; vitest's fake timers move them, nothing sleeps.
 */

const LEASE_MS = 30_000;

describe('a refresh lease keeper', () => {
  let store: Store;
  let clock: FakeClock;
  let logs: string[];
  const log = () => createLogger('debug', { write: (line: string) => void logs.push(line) });

  beforeEach(() => {
    vi.useFakeTimers();
    store = openSqliteStore(':memory:');
    clock = new FakeClock();
    logs = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });

  async function held(): Promise<string> {
    const row = await connect(store, 'u1', 'slack', { id: 'c1' });
    expect(await store.acquireLease(row.id, 'me', clock.now(), LEASE_MS)).not.toBeNull();
    return row.id;
  }

  it('keeps a lease it renews, and reports nothing lost', async () => {
    const id = await held();
    const keeper = new LeaseKeeper(store, id, 'me', clock, LEASE_MS, log()).start(10_000);
    clock.advance(20_000);
    await vi.advanceTimersByTimeAsync(10_000);
    await keeper.stop();
    expect(keeper.lost).toBe(false);
    expect((await store.getConnectionById(id))?.leaseExpiresAt).toBe(clock.now() + LEASE_MS);
  });

  it('a lease taken by another worker is reported lost', async () => {
    const id = await held();
    const keeper = new LeaseKeeper(store, id, 'me', clock, LEASE_MS, log()).start(10_000);
    clock.advance(LEASE_MS + 1);
    expect(await store.acquireLease(id, 'other', clock.now(), LEASE_MS)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(10_000);
    await keeper.stop();
    expect(keeper.lost).toBe(true);
    expect(logs.join('\n')).toContain('refresh lease lost');
  });

  it('a lease whose renewal fails is reported lost', async () => {
    const id = await held();
    const failing: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'acquireLease') return () => Promise.reject(new Error('database is locked'));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const keeper = new LeaseKeeper(failing, id, 'me', clock, LEASE_MS, log()).start(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(keeper.lost).toBe(true);
    const line = logs.find((l) => l.includes('refresh lease lost'));
    expect(line).toContain('database is locked');
    expect(line).toContain(id);
    // Lost stays lost: no later renewal takes the lease back behind another worker's back.
    await vi.advanceTimersByTimeAsync(30_000);
    await keeper.stop();
    expect(logs.filter((l) => l.includes('refresh lease lost'))).toHaveLength(1);
  });
});
