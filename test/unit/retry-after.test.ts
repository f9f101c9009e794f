import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../src/auth/refresh/classify.js';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it('reads delay-seconds', () =>
    expect(retryAfterSeconds(new Headers({ 'retry-after': '120' }), now)).toBe(120));
  it('reads an HTTP-date', () =>
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'Mon, 23 Nov 2026 12:00:45 GMT' }), now)).toBe(45));
  it('never goes negative for a past date', () =>
    expect(retryAfterSeconds({ 'Retry-After': 'Mon, 23 Nov 2026 11:00:00 GMT' }, now)).toBe(0));
  it('reads GitHub x-ratelimit-reset epoch seconds', () =>
    expect(retryAfterSeconds(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 90) }), now)).toBe(90));
  it('reads the IETF ratelimit-reset delay', () =>
    expect(retryAfterSeconds(new Headers({ 'ratelimit-reset': '12' }), now)).toBe(12));
  it('returns the raw value, uncapped', () =>
    expect(retryAfterSeconds(new Headers({ 'retry-after': '3600' }), now)).toBe(3600));
  it('is undefined without a usable header', () => {
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
  });
});
