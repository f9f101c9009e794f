import { describe, expect, it } from 'vitest';
import { adaptGithubTokenResponse, github } from '../../src/providers/github.js';
import { google } from '../../src/providers/google.js';
import { slack, slackScopeParams } from '../../src/providers/slack.js';
import { adaptSlackTokenResponse, readSlackGrant } from '../../src/providers/slack-token-response.js';

/** The built-in declarations: each provider's quirks, as data and in its own module. */

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
