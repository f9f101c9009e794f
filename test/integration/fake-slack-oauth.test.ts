import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DANCE_REDIRECT, followAuthorize, slackDance } from '../fakes/dance.js';
import { type SlackFake, startSlackFake } from '../fakes/slack.js';
import { slackCall, slackToken, startSeededSlackFake } from '../support/slack-fake-wire.js';

/** The Slack fake's OAuth wire behaviour (oauth.v2.access, rotation), checked with plain fetch (no toolvault code). */
let clock = Date.UTC(2026, 10, 1);
const now = () => clock;

describe('Slack fake', () => {
  let slack: SlackFake;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 1);
    slack = await startSeededSlackFake(now);
  });
  afterEach(() => slack.close());

  it('exchanges a code for rotating user and bot tokens in Slack’s response shape', async () => {
    const url = new URL('/oauth/v2/authorize', slack.url);
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    slack.setConsentingUser({ userId: 'U42', teamId: 'T42', teamName: 'Acme' });
    for (const [k, v] of Object.entries({
      client_id: slack.clientId,
      redirect_uri: DANCE_REDIRECT,
      user_scope: 'chat:write',
      scope: 'channels:read',
      state: 's-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v);
    const callback = await followAuthorize(url);
    expect(callback.get('state')).toBe('s-1');
    const code = callback.get('code') ?? '';
    const params = { code, redirect_uri: DANCE_REDIRECT };
    expect(await slackToken(slack, { ...params, code_verifier: 'wrong' }, true)).toEqual({
      ok: false,
      error: 'invalid_code_verifier',
    });
    const body = await slackToken(slack, { ...params, code_verifier: verifier }, true);
    expect(body).toMatchObject({
      ok: true,
      app_id: 'A0FAKEAPP01',
      authed_user: { id: 'U42', scope: 'chat:write', token_type: 'user', expires_in: 43200 },
      scope: 'channels:read',
      token_type: 'bot',
      expires_in: 43200,
      team: { id: 'T42', name: 'Acme' },
      enterprise: null,
      is_enterprise_install: false,
    });
    expect(body.authed_user.access_token).toMatch(/^xoxe\.xoxp-1-/);
    expect(body.authed_user.refresh_token).toMatch(/^xoxe-1-/);
    expect(body.access_token).toMatch(/^xoxe\.xoxb-1-/);
    expect(await slackToken(slack, { ...params, code_verifier: verifier })).toEqual({
      ok: false,
      error: 'invalid_code',
    });

    slack.setConsentingUser({ userId: 'U42', deny: true });
    expect(Object.fromEntries(await followAuthorize(url))).toEqual({ error: 'access_denied', state: 's-1' });
  });

  it('rotates refresh tokens: the old one dies on use and the new access token works', async () => {
    const first = await slackDance(slack);
    const user = first['authed_user'] as Record<string, string>;
    const refreshed = await slackToken(slack, {
      grant_type: 'refresh_token',
      refresh_token: user['refresh_token'] ?? '',
    });
    expect(refreshed).toMatchObject({
      ok: true,
      token_type: 'user',
      expires_in: 43200,
      team: { id: 'T0000000001' },
    });
    expect(refreshed['refresh_token']).not.toBe(user['refresh_token']);
    const again = await slackToken(slack, {
      grant_type: 'refresh_token',
      refresh_token: user['refresh_token'] ?? '',
    });
    expect(again).toEqual({ ok: false, error: 'invalid_refresh_token' });
    expect((await slackCall(slack, 'auth.test', refreshed['access_token'])).body).toMatchObject({
      ok: true,
      user_id: 'U0000000001',
    });
    expect(slack.tokenRequests()).toEqual({ authorization_code: 1, refresh_token: 2 });
  });

  it('answers every token endpoint error with HTTP 200 and {ok:false,error}', async () => {
    const token = (await slackDance(slack))['authed_user'] as Record<string, string>;
    const refresh = token['refresh_token'] ?? '';
    const post = (body: Record<string, string>) =>
      fetch(`${slack.url}/api/oauth.v2.access`, { method: 'POST', body: new URLSearchParams(body) });
    const res = await post({ client_id: 'nope', client_secret: 'x', code: 'c' });
    expect([res.status, await res.json()]).toEqual([200, { ok: false, error: 'invalid_client_id' }]);
    const cases: [Record<string, string>, string][] = [
      [{ client_id: slack.clientId, client_secret: 'wrong', code: 'c' }, 'bad_client_secret'],
      [
        { client_id: slack.clientId, client_secret: slack.clientSecret, grant_type: 'password' },
        'invalid_grant_type',
      ],
      [{ client_id: slack.clientId, client_secret: slack.clientSecret, code: 'unknown' }, 'invalid_code'],
      [
        {
          client_id: slack.clientId,
          client_secret: slack.clientSecret,
          grant_type: 'refresh_token',
          refresh_token: 'x',
        },
        'invalid_refresh_token',
      ],
    ];
    for (const [body, error] of cases) expect(await (await post(body)).json()).toEqual({ ok: false, error });

    const url = new URL('/oauth/v2/authorize', slack.url);
    url.search = new URLSearchParams({
      client_id: slack.clientId,
      redirect_uri: DANCE_REDIRECT,
      user_scope: 'chat:write',
    }).toString();
    const code = (await followAuthorize(url)).get('code') ?? '';
    expect(await slackToken(slack, { code, redirect_uri: 'http://elsewhere/cb' })).toEqual({
      ok: false,
      error: 'bad_redirect_uri',
    });

    slack.revoke('U0000000001');
    expect(await slackToken(slack, { grant_type: 'refresh_token', refresh_token: refresh })).toEqual({
      ok: false,
      error: 'token_revoked',
    });
  });

  it('expires refresh tokens by the injected clock when given a lifetime', async () => {
    const short = await startSlackFake({ now, refreshTtlSeconds: 60 });
    const refresh =
      ((await slackDance(short))['authed_user'] as Record<string, string>)['refresh_token'] ?? '';
    clock += 61_000;
    const body = new URLSearchParams({
      client_id: short.clientId,
      client_secret: short.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refresh,
    });
    expect(await (await fetch(`${short.url}/api/oauth.v2.access`, { method: 'POST', body })).json()).toEqual({
      ok: false,
      error: 'token_expired',
    });
    await short.close();
  });

  it('rotates the refresh token even when the response is lost', async () => {
    const refresh =
      ((await slackDance(slack))['authed_user'] as Record<string, string>)['refresh_token'] ?? '';
    slack.failNext('oauth.v2.access', 'lose_response');
    await expect(
      slackToken(slack, { grant_type: 'refresh_token', refresh_token: refresh }),
    ).rejects.toThrow();
    expect(await slackToken(slack, { grant_type: 'refresh_token', refresh_token: refresh })).toEqual({
      ok: false,
      error: 'invalid_refresh_token',
    });
    expect(slack.issuedTokens().filter((t) => t.kind === 'refresh' && !t.rotated)).toHaveLength(1);
  });
});
