import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/app/config.js';
import { ConfigError } from '../../src/errors.js';
import { applyDiscoveredMetadata, genericDeclaration } from '../../src/providers/generic.js';
import { adaptGithubTokenResponse, github } from '../../src/providers/github.js';
import { google } from '../../src/providers/google.js';
import { buildProviders } from '../../src/providers/registry.js';
import { slack, slackScopeParams } from '../../src/providers/slack.js';
import { adaptSlackTokenResponse, readSlackGrant } from '../../src/providers/slack-token-response.js';
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

describe('Slack', () => {
  it('splits bot: scopes into `scope` and user scopes into `user_scope`, comma-joined', () => {
    expect(slackScopeParams(['chat:write', 'bot:chat:write', 'channels:read', 'bot:commands'])).toEqual({
      user_scope: 'chat:write,channels:read',
      scope: 'chat:write,commands',
    });
    expect(slackScopeParams(['chat:write'])).toEqual({ user_scope: 'chat:write' });
  });

  const install = {
    ok: true,
    app_id: 'A1',
    access_token: 'xoxe.xoxb-bot',
    token_type: 'bot',
    scope: 'chat:write,commands',
    bot_user_id: 'UBOT',
    refresh_token: 'xoxe-1-bot',
    expires_in: 43200,
    team: { id: 'T1', name: 'Team' },
    authed_user: {
      id: 'U1',
      scope: 'chat:write,channels:read',
      access_token: 'xoxe.xoxp-user',
      token_type: 'user',
      refresh_token: 'xoxe-1-user',
      expires_in: 43200,
    },
  };

  it('reads an install: user token primary, bot token in extra.bot, scopes in toolvault naming', () => {
    const grant = readSlackGrant(install, undefined, 1_000);
    expect(grant.tokens).toEqual({
      accessToken: 'xoxe.xoxp-user',
      refreshToken: 'xoxe-1-user',
      tokenType: 'user',
      extra: {
        bot: { accessToken: 'xoxe.xoxb-bot', refreshToken: 'xoxe-1-bot', expiresAt: 1_000 + 43_200_000 },
      },
    });
    expect(grant.expiresIn).toBe(43200);
    expect(grant.scopes).toEqual(['chat:write', 'channels:read', 'bot:chat:write', 'bot:commands']);
    expect(grant.account).toEqual({ id: 'U1', team: 'T1' });
  });

  it('reads the adapted body exactly like the raw one', async () => {
    const adapted = await adaptSlackTokenResponse(Response.json(install));
    const body = (await adapted.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      access_token: 'xoxe.xoxp-user',
      token_type: 'bearer',
      slack_token_type: 'user',
    });
    expect(readSlackGrant(body, undefined, 1_000)).toEqual(readSlackGrant(install, undefined, 1_000));
  });

  it('reads a bot-only install with the bot token as primary', () => {
    const { authed_user: _u, ...bot } = install;
    const grant = readSlackGrant({ ...bot, authed_user: { id: 'U1' } });
    expect(grant.tokens).toMatchObject({ accessToken: 'xoxe.xoxb-bot', tokenType: 'bot' });
    expect(grant.tokens.extra).toBeUndefined();
    expect(grant.scopes).toEqual(['bot:chat:write', 'bot:commands']);
  });

  it('keeps the bot token across a user-token refresh and leaves the scope set to the store', () => {
    const previous = readSlackGrant(install, undefined, 1_000).tokens;
    const refreshed = readSlackGrant(
      {
        ok: true,
        access_token: 'xoxe.xoxp-new',
        token_type: 'user',
        refresh_token: 'xoxe-1-new',
        expires_in: 43200,
        scope: 'chat:write',
      },
      previous,
    );
    expect(refreshed.tokens).toMatchObject({
      accessToken: 'xoxe.xoxp-new',
      refreshToken: 'xoxe-1-new',
      tokenType: 'user',
    });
    expect(refreshed.tokens.extra?.['bot']?.accessToken).toBe('xoxe.xoxb-bot');
    expect(refreshed.scopes).toBeUndefined();
  });

  it('turns 200 {ok:false} into a 400 and ratelimited into a 429 keeping Retry-After', async () => {
    const bad = await adaptSlackTokenResponse(Response.json({ ok: false, error: 'invalid_refresh_token' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_refresh_token' });
    const limited = await adaptSlackTokenResponse(
      Response.json({ ok: false, error: 'ratelimited' }, { headers: { 'retry-after': '9' } }),
    );
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    const html = new Response('<html/>', { status: 502, headers: { 'content-type': 'text/html' } });
    expect(await adaptSlackTokenResponse(html)).toBe(html);
  });

  it('declares auth.revoke, a POST auth.test probe, and rotation', () => {
    expect(slack).toMatchObject({
      revocation: { name: 'slack-auth-revoke' },
      scopeSeparator: ',',
      probe: { method: 'POST', path: 'auth.test' },
      token: { rotatesRefreshToken: true },
    });
  });
});

describe('GitHub', () => {
  it('reads a GitHub App user token: 8 h access, rotating refresh with its own lifetime, no scopes', () => {
    const grant = github.readGrant!({
      access_token: 'ghu_x',
      expires_in: 28800,
      refresh_token: 'ghr_y',
      refresh_token_expires_in: 15897600,
      scope: '',
      token_type: 'bearer',
    });
    expect(grant).toEqual({
      tokens: { accessToken: 'ghu_x', refreshToken: 'ghr_y', tokenType: 'bearer' },
      expiresIn: 28800,
      refreshExpiresIn: 15897600,
    });
  });

  it('reads an OAuth App token: no expiry, no refresh token, comma scopes', () => {
    const grant = github.readGrant!({ access_token: 'gho_x', scope: 'repo,gist', token_type: 'bearer' });
    expect(grant).toEqual({
      tokens: { accessToken: 'gho_x', tokenType: 'bearer' },
      scopes: ['repo', 'gist'],
    });
  });

  it('turns a 200 {error} into a 400 with the same error fields', async () => {
    const res = await adaptGithubTokenResponse(
      Response.json({ error: 'bad_refresh_token', error_description: 'd', error_uri: 'u', extra: 1 }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_refresh_token', error_description: 'd', error_uri: 'u' });
    const ok = Response.json({ access_token: 'gho_x', token_type: 'bearer' });
    expect(await adaptGithubTokenResponse(ok)).toBe(ok);
  });

  it('declares grant revocation and the API headers', () => {
    expect(github.revocation).toMatchObject({ name: 'github-grant' });
    expect(github.api?.headers).toMatchObject({
      'x-github-api-version': '2022-11-28',
      'user-agent': 'toolvault',
    });
  });
});

describe('Google', () => {
  it('asks for offline access with a forced consent and incremental scopes', () => {
    expect(google.authorizeParams).toEqual({
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
    });
    expect(google).toMatchObject({
      scopeSeparator: ' ',
      revocation: 'rfc7009',
      endpoints: {
        revokeUrl: 'https://oauth2.googleapis.com/revoke',
        userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
      },
      probe: { path: 'userinfo' },
      token: { rotatesRefreshToken: false, refreshIdleLimitSec: 180 * 86400 },
    });
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
