import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/app/config.js';
import { ConfigError } from '../../src/errors.js';
import { applyDiscoveredMetadata, genericDeclaration } from '../../src/providers/generic.js';
import { github } from '../../src/providers/github.js';
import { buildProviders } from '../../src/providers/registry.js';
import { readStandardGrant } from '../../src/providers/standard-grant.js';
import type { ConfiguredProvider } from '../../src/providers/types.js';

const creds = { clientId: 'id', clientSecret: 'secret' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function build(providers: Record<string, ProviderConfig>, extra?: ConfiguredProvider[]) {
  return buildProviders({ providers }, extra ? { extra } : {});
}

describe('buildProviders', () => {
  it('enables a built-in only when it has a clientId', () => {
    expect([...build({}).keys()]).toEqual([]);
    expect([...build({ slack: creds, github: { scopes: ['repo'] } }).keys()]).toEqual(['slack']);
  });

  it('skips a provider with enabled:false even with credentials', () => {
    expect(build({ slack: { ...creds, enabled: false } }).size).toBe(0);
  });

  it('merges credentials, scopes and every endpoint override into the built-in', () => {
    const p = build({
      github: {
        ...creds,
        previousClientSecret: 'old',
        scopes: ['repo', 'read:org'],
        authorizeUrl: 'http://127.0.0.1:9/login/oauth/authorize',
        tokenUrl: 'http://127.0.0.1:9/login/oauth/access_token',
        userinfoUrl: 'http://127.0.0.1:9/userinfo',
        issuer: 'http://127.0.0.1:9',
        apiBaseUrl: 'http://127.0.0.1:9/api/v3',
      },
    }).get('github')!;
    expect(p.settings).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      previousClientSecret: 'old',
      scopes: ['repo', 'read:org'],
    });
    expect(p.declaration.endpoints).toEqual({
      authorizeUrl: 'http://127.0.0.1:9/login/oauth/authorize',
      tokenUrl: 'http://127.0.0.1:9/login/oauth/access_token',
      userinfoUrl: 'http://127.0.0.1:9/userinfo',
      issuer: 'http://127.0.0.1:9',
      apiBaseUrl: 'http://127.0.0.1:9/api/v3',
      // follows the apiBaseUrl override (GitHub Enterprise, fakes)
      revokeUrl: 'http://127.0.0.1:9/api/v3/applications/{client_id}/grant',
    });
    expect(p.declaration.adaptTokenResponse).toBe(github.adaptTokenResponse);
    expect(github.endpoints.apiBaseUrl).toBe('https://api.github.com'); // the built-in is not mutated
  });

  it('lets an explicit revokeUrl win over the apiBaseUrl rebase', () => {
    const p = build({
      slack: { ...creds, apiBaseUrl: 'http://127.0.0.1:9/api', revokeUrl: 'http://x.test/revoke' },
    });
    expect(p.get('slack')!.declaration.endpoints.revokeUrl).toBe('http://x.test/revoke');
  });

  it.each([
    [{ slack: { clientId: 'id' } }, 'providers.slack.clientSecret'],
    [{ github: { enabled: true } }, 'providers.github.clientId'],
    [{ slack: { ...creds, type: 'oauth2' as const } }, 'providers.slack.type'],
    [
      { acme: { ...creds, type: 'oauth2' as const, tokenUrl: 'https://a.test/token' } },
      'providers.acme.authorizeUrl',
    ],
    [
      { acme: { ...creds, type: 'oauth2' as const, authorizeUrl: 'https://a.test/auth' } },
      'providers.acme.tokenUrl',
    ],
    [{ acme: { ...creds, type: 'oidc' as const } }, 'providers.acme.issuer'],
    [
      { acme: { clientId: 'id', type: 'oidc' as const, issuer: 'https://a.test' } },
      'providers.acme.clientSecret',
    ],
    [{ acme: { ...creds, scopes: ['x'] } }, 'providers.acme.type'],
    [
      {
        acme: {
          ...creds,
          type: 'oauth2' as const,
          authorizeUrl: 'https://a.test/a',
          tokenUrl: 'https://a.test/t',
          userinfoUrl: 'ftp://a.test/u',
        },
      },
      'providers.acme.userinfoUrl',
    ],
  ])('names the field of a bad config (%#)', (providers, field) => {
    expect(configError(() => build(providers as Record<string, ProviderConfig>)).field).toBe(field);
  });

  it('ignores an unknown id that only carries env-shorthand credentials (AZURE_CLIENT_ID)', () => {
    expect(build({ azure: { clientId: 'x', clientSecret: 'y' } }).size).toBe(0);
  });

  it('builds a generic oauth2 provider from configuration', () => {
    const p = build({
      acme: {
        ...creds,
        type: 'oauth2',
        authorizeUrl: 'https://acme.test/authorize',
        tokenUrl: 'https://acme.test/token',
        revokeUrl: 'https://acme.test/revoke',
        apiBaseUrl: 'https://api.acme.test',
        rotatesRefreshToken: true,
      },
    }).get('acme')!;
    expect(p.declaration).toMatchObject({
      id: 'acme',
      scopeSeparator: ' ',
      clientAuth: 'client_secret_basic',
      revocation: 'rfc7009',
      token: { rotatesRefreshToken: true, reuseGraceSec: 0 },
    });
    expect(p.declaration.probe).toBeUndefined();
    expect(p.declaration.discovery).toBeUndefined();
  });

  it('builds a generic oidc provider with discovery, offline_access and a userinfo probe', () => {
    const p = build({ corp: { ...creds, type: 'oidc', issuer: 'https://id.corp.test' } }).get('corp')!;
    expect(p.declaration).toMatchObject({
      discovery: true,
      defaultScopes: ['openid', 'offline_access'],
      offlineScopes: ['offline_access'],
      probe: { path: 'userinfo' },
    });
    const resolved = applyDiscoveredMetadata(p.declaration, {
      authorization_endpoint: 'https://id.corp.test/auth',
      token_endpoint: 'https://id.corp.test/token',
      userinfo_endpoint: 'https://id.corp.test/me',
      revocation_endpoint: 'https://id.corp.test/revoke',
    });
    expect(resolved.endpoints).toMatchObject({
      tokenUrl: 'https://id.corp.test/token',
      userinfoUrl: 'https://id.corp.test/me',
    });
    expect(resolved.revocation).toBe('rfc7009');
    expect(configError(() => applyDiscoveredMetadata(p.declaration, {})).field).toBe(
      'providers.corp.authorizeUrl',
    );
  });

  it('adds runtime providers (demo) and refuses a config entry that collides with one', () => {
    const demo: ConfiguredProvider = {
      declaration: genericDeclaration('demo', {
        type: 'oauth2',
        authorizeUrl: 'http://127.0.0.1:1/a',
        tokenUrl: 'http://127.0.0.1:1/t',
      }),
      settings: creds,
    };
    expect([...build({}, [demo]).keys()]).toEqual(['demo']);
    expect(configError(() => build({ demo: { ...creds, type: 'oauth2' } }, [demo])).field).toBe(
      'providers.demo',
    );
  });
});

describe('readStandardGrant', () => {
  it('keeps the previous refresh token when none is returned (RFC 6749 §6) and reads string expires_in', () => {
    const grant = readStandardGrant(
      { access_token: 'a2', token_type: 'Bearer', expires_in: '3600', scope: 'openid api:read' },
      { accessToken: 'a1', refreshToken: 'r1', tokenType: 'bearer' },
    );
    expect(grant).toEqual({
      tokens: { accessToken: 'a2', refreshToken: 'r1', tokenType: 'Bearer' },
      expiresIn: 3600,
      scopes: ['openid', 'api:read'],
    });
  });

  it('names the account from the id_token subject', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'user-1', email: 'u@x.test' })).toString('base64url');
    const grant = readStandardGrant({ access_token: 'a', token_type: 'bearer', id_token: `h.${payload}.s` });
    expect(grant.account).toEqual({ id: 'user-1', name: 'u@x.test' });
  });

  it('refuses a body without an access token, without echoing the body', () => {
    expect(() => readStandardGrant({ refresh_token: 'secret-r' })).toThrow(/no access_token$/);
  });
});
