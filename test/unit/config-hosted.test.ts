import { describe, expect, it } from 'vitest';
import { configDir, configErrorField, withConfigFile } from '../support/config-fixtures.js';
import { FakeClock } from '../support/clock.js';
import { loadConfig } from '../../src/app/config.js';
import { RateLimiter } from '../../src/server/rate-limit.js';

describe('hosted-mode configuration', () => {
  it('defaults to SQLite, sessions, no JWT issuer, 600 requests a minute per caller', () => {
    const c = loadConfig({}, {}, configDir());
    expect(c.databaseUrl).toBeUndefined();
    expect(c.jwt).toBeUndefined();
    expect(c.http).toEqual({
      stateless: false,
      allowedOrigins: [],
      allowedHosts: [],
      maxBodyBytes: 1_000_000,
      rateLimitPerMinute: 600,
    });
  });

  it('reads the environment first, then the file', () => {
    const file = withConfigFile({
      databaseUrl: 'postgres://file/db',
      http: { stateless: false, allowedOrigins: ['https://a.example'], maxBodyBytes: 2048 },
      jwt: { issuer: 'https://idp.example', audience: 'api://toolvault' },
    });
    const c = loadConfig(
      {
        ...file,
        TOOLVAULT_DATABASE_URL: 'postgres://env/db',
        TOOLVAULT_HTTP_STATELESS: '1',
        TOOLVAULT_ALLOWED_ORIGINS: 'https://App.example:8443/, https://b.example',
        TOOLVAULT_ALLOWED_HOSTS: 'TV.example.com',
        TOOLVAULT_RATE_LIMIT_PER_MINUTE: '0',
        TOOLVAULT_JWT_USER_CLAIM: 'email',
      },
      {},
      configDir(),
    );
    expect(c.databaseUrl).toBe('postgres://env/db');
    expect(c.http).toEqual({
      stateless: true,
      allowedOrigins: ['https://app.example:8443', 'https://b.example'],
      allowedHosts: ['tv.example.com'],
      maxBodyBytes: 2048,
      rateLimitPerMinute: 0,
    });
    expect(c.jwt).toEqual({
      issuer: 'https://idp.example',
      audience: 'api://toolvault',
      jwksUrl: undefined,
      userClaim: 'email',
    });
  });

  it('names the field of a bad value', () => {
    expect(configErrorField(() => loadConfig({ TOOLVAULT_ALLOWED_ORIGINS: 'evil' }, {}, configDir()))).toBe(
      'TOOLVAULT_ALLOWED_ORIGINS',
    );
    expect(configErrorField(() => loadConfig({ TOOLVAULT_HTTP_STATELESS: 'yes' }, {}, configDir()))).toBe(
      'TOOLVAULT_HTTP_STATELESS',
    );
    expect(
      configErrorField(() => loadConfig({ TOOLVAULT_RATE_LIMIT_PER_MINUTE: '-1' }, {}, configDir())),
    ).toBe('TOOLVAULT_RATE_LIMIT_PER_MINUTE');
    expect(configErrorField(() => loadConfig({ TOOLVAULT_JWT_ISSUER: 'not a url' }, {}, configDir()))).toBe(
      'TOOLVAULT_JWT_ISSUER',
    );
  });
});

describe('the per-caller rate limiter', () => {
  it('admits a burst of perMinute, then one every 60/perMinute seconds, per key', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(120, clock);
    for (let i = 0; i < 120; i++) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').ok).toBe(true);
    clock.advance(500);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });

  it('admits everything when the limit is 0', () => {
    const limiter = new RateLimiter(0, new FakeClock());
    for (let i = 0; i < 1000; i++) expect(limiter.take('a').ok).toBe(true);
  });
});
