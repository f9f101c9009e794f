import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/vault/types.js';
import { MINUTE, T0 } from './store-fixtures.js';

const HOUR = 60 * MINUTE;
const TIMES = { leaseMs: 2 * MINUTE, ttlMs: 24 * HOUR };
const RESULT = { status: 'ok', number: 7, url: 'https://github.com/o/r/issues/7' };

/** The idempotency-key part of the Store contract; `get` returns the current test's store. */
export function describeIdempotencyContract(get: () => Store): void {
  describe('idempotency keys', () => {
    it('claims a fresh key once; a second claim gets the pending record of the first', async () => {
      const first = await get().claimIdempotencyKey('u1', 'k1', 'c1', T0, TIMES);
      expect(first).toEqual({
        claimed: true,
        record: {
          userId: 'u1',
          key: 'k1',
          state: 'pending',
          claimId: 'c1',
          result: null,
          createdAt: T0,
          updatedAt: T0,
          leaseExpiresAt: T0 + TIMES.leaseMs,
          expiresAt: T0 + TIMES.ttlMs,
        },
      });
      const second = await get().claimIdempotencyKey('u1', 'k1', 'c2', T0 + 1, TIMES);
      expect(second).toEqual({ claimed: false, record: first.record });
    });

    it('lets exactly one of many concurrent claims of one key win', async () => {
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => get().claimIdempotencyKey('u1', 'k', `c${i}`, T0, TIMES)),
      );
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    });

    it('keeps keys apart per user and per key', async () => {
      expect((await get().claimIdempotencyKey('u1', 'k', 'c1', T0, TIMES)).claimed).toBe(true);
      expect((await get().claimIdempotencyKey('u2', 'k', 'c2', T0, TIMES)).claimed).toBe(true);
      expect((await get().claimIdempotencyKey('u1', 'k2', 'c3', T0, TIMES)).claimed).toBe(true);
    });

    it('replays the completed result to later claims until the TTL from completion runs out', async () => {
      await get().claimIdempotencyKey('u1', 'k', 'c1', T0, TIMES);
      expect(await get().completeIdempotencyKey('u1', 'k', 'c1', RESULT, T0 + 5, TIMES.ttlMs)).toBe(true);
      const again = await get().claimIdempotencyKey('u1', 'k', 'c2', T0 + HOUR, TIMES);
      expect(again).toMatchObject({
        claimed: false,
        record: { state: 'completed', result: RESULT, leaseExpiresAt: null, expiresAt: T0 + 5 + TIMES.ttlMs },
      });
      expect(await get().getIdempotencyKey('u1', 'k', T0 + HOUR)).toEqual(again.record);
      expect(await get().getIdempotencyKey('u1', 'k', T0 + 5 + TIMES.ttlMs)).toBeNull();
      const fresh = await get().claimIdempotencyKey('u1', 'k', 'c3', T0 + 5 + TIMES.ttlMs, TIMES);
      expect(fresh).toMatchObject({
        claimed: true,
        record: { state: 'pending', claimId: 'c3', result: null },
      });
    });

    it('finishes a claim only for its holder and only while pending', async () => {
      await get().claimIdempotencyKey('u1', 'k', 'c1', T0, TIMES);
      expect(await get().completeIdempotencyKey('u1', 'k', 'other', RESULT, T0, TIMES.ttlMs)).toBe(false);
      expect(await get().markIdempotencyKeyUncertain('u1', 'k', 'other', T0, TIMES.ttlMs)).toBe(false);
      expect(await get().releaseIdempotencyKey('u1', 'k', 'other')).toBe(false);
      expect(await get().completeIdempotencyKey('u1', 'k', 'c1', RESULT, T0, TIMES.ttlMs)).toBe(true);
      expect(await get().completeIdempotencyKey('u1', 'k', 'c1', { status: 'x' }, T0, TIMES.ttlMs)).toBe(
        false,
      );
      expect(await get().releaseIdempotencyKey('u1', 'k', 'c1')).toBe(false);
      expect((await get().getIdempotencyKey('u1', 'k', T0))?.result).toEqual(RESULT);
    });

    it('frees a released key for the next claim', async () => {
      await get().claimIdempotencyKey('u1', 'k', 'c1', T0, TIMES);
      expect(await get().releaseIdempotencyKey('u1', 'k', 'c1')).toBe(true);
      expect(await get().getIdempotencyKey('u1', 'k', T0)).toBeNull();
      expect((await get().claimIdempotencyKey('u1', 'k', 'c2', T0 + 1, TIMES)).claimed).toBe(true);
    });

    it('keeps an uncertain key blocked, without a result, until its TTL runs out', async () => {
      await get().claimIdempotencyKey('u1', 'k', 'c1', T0, TIMES);
      expect(await get().markIdempotencyKeyUncertain('u1', 'k', 'c1', T0 + 10, TIMES.ttlMs)).toBe(true);
      const again = await get().claimIdempotencyKey('u1', 'k', 'c2', T0 + HOUR, TIMES);
      expect(again).toMatchObject({
        claimed: false,
        record: { state: 'uncertain', result: null, claimId: 'c1', leaseExpiresAt: null },
      });
      expect(await get().releaseIdempotencyKey('u1', 'k', 'c1')).toBe(false);
      const later = await get().claimIdempotencyKey('u1', 'k', 'c3', T0 + 10 + TIMES.ttlMs, TIMES);
      expect(later.claimed).toBe(true);
    });

    it('turns a pending claim whose holder outlived its lease uncertain, and not claimable', async () => {
      await get().claimIdempotencyKey('u1', 'k', 'dead', T0, TIMES);
      const during = await get().claimIdempotencyKey('u1', 'k', 'c2', T0 + TIMES.leaseMs - 1, TIMES);
      expect(during.record.state).toBe('pending');
      const after = await get().claimIdempotencyKey('u1', 'k', 'c3', T0 + TIMES.leaseMs, TIMES);
      expect(after).toMatchObject({ claimed: false, record: { state: 'uncertain', claimId: 'dead' } });
      // The late holder can no longer record a result it may have produced twice over.
      expect(await get().completeIdempotencyKey('u1', 'k', 'dead', RESULT, T0 + HOUR, TIMES.ttlMs)).toBe(
        false,
      );
    });

    it('purges expired records only', async () => {
      await get().claimIdempotencyKey('u1', 'old', 'c1', T0, TIMES);
      await get().completeIdempotencyKey('u1', 'old', 'c1', RESULT, T0, TIMES.ttlMs);
      await get().claimIdempotencyKey('u1', 'new', 'c2', T0 + HOUR, TIMES);
      expect(await get().purgeIdempotencyKeys(T0 + TIMES.ttlMs)).toBe(1);
      expect(await get().getIdempotencyKey('u1', 'new', T0 + TIMES.ttlMs)).not.toBeNull();
      expect(await get().purgeIdempotencyKeys(T0 + TIMES.ttlMs)).toBe(0);
    });
  });
}
