import { describe, expect, it } from 'vitest';
import { classifyTokenError, kindOfCode, toToolvaultError } from '../../src/auth/refresh/classify.js';
import { ToolvaultError } from '../../src/errors.js';
import { slack } from '../../src/providers/slack.js';

/** The classifier on what is not an openid-client failure: fetch errors, our own errors, bare codes. */

describe('classifyTokenError on other inputs', () => {
  it('classifies DOMException timeouts and aborts from a plain fetch', () => {
    expect(classifyTokenError(new DOMException('t', 'TimeoutError')).kind).toBe('transient');
    expect(classifyTokenError(new DOMException('a', 'AbortError')).code).toBe('aborted');
  });

  it('classifies a bare fetch failed as transient', () => {
    expect(classifyTokenError(new TypeError('fetch failed'))).toMatchObject({
      kind: 'transient',
      code: 'network_error',
    });
  });

  it('keeps a ToolvaultError’s own classification', () => {
    const err = new ToolvaultError('rate_limited', 'x', { code: 'ratelimited', retryAfterSeconds: 3 });
    expect(classifyTokenError(err)).toMatchObject({
      kind: 'rate_limited',
      code: 'ratelimited',
      retryAfterSeconds: 3,
    });
  });

  it('applies provider codes first, then RFC 6749, and lets a 5xx or 429 status override any code', () => {
    expect(kindOfCode('invalid_refresh_token', 400, slack)).toBe('revoked');
    expect(kindOfCode('invalid_refresh_token', 400)).toBe('unknown');
    expect(kindOfCode('invalid_scope', 400)).toBe('config_error');
    expect(kindOfCode('invalid_grant', 502)).toBe('transient');
    expect(kindOfCode('invalid_grant', 429)).toBe('rate_limited');
  });

  it('calls anything else unknown, never revoked', () => {
    expect(classifyTokenError(new Error('disk full'))).toMatchObject({
      kind: 'unknown',
      definitiveGrantError: false,
    });
    expect(classifyTokenError('weird')).toMatchObject({ kind: 'unknown', definitiveGrantError: false });
  });

  it('builds a ToolvaultError without the original cause (bodies may hold tokens)', () => {
    const err = toToolvaultError({
      kind: 'revoked',
      code: 'invalid_grant',
      status: 400,
      definitiveGrantError: true,
      message: 'm',
    });
    expect(err).toMatchObject({ kind: 'revoked', code: 'invalid_grant', status: 400 });
    expect(err.cause).toBeUndefined();
  });
});
