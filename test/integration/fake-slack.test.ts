import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DANCE_REDIRECT, followAuthorize, slackDance } from '../fakes/dance.js';
import { type SlackFake, startSlackFake } from '../fakes/slack.js';

/** The Slack fake's wire behaviour, checked with plain fetch (no toolvault code). */
let clock = Date.UTC(2026, 10, 1);
const now = () => clock;
const HOUR = 3_600_000;
async function slackCall(
  fake: SlackFake,
  method: string,
  token: string | null,
  params: Record<string, string> = {},
) {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${fake.url}/api/${method}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params),
  });
  return { res, body: (await res.json()) as Record<string, any> };
}

async function slackToken(fake: SlackFake, params: Record<string, string>, basic = false) {
  const headers: Record<string, string> = {};
  const body = new URLSearchParams(params);
  if (basic) {
    headers['authorization'] =
      `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`;
  } else {
    body.set('client_id', fake.clientId);
    body.set('client_secret', fake.clientSecret);
  }
  const res = await fetch(`${fake.url}/api/oauth.v2.access`, { method: 'POST', headers, body });
  return (await res.json()) as Record<string, any>;
}

describe('Slack fake', () => {
  let slack: SlackFake;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 1);
    slack = await startSlackFake({ now, retryAfterSeconds: 7 });
    slack.addChannel({ id: 'C001', name: 'general' });
    slack.addChannel({ id: 'C002', name: 'random', is_member: false });
    slack.addChannel({ id: 'C003', name: 'old', is_archived: true });
    slack.addChannel({ id: 'C004', name: 'secret', is_private: true, is_member: false });
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

  it('checks Web API tokens: not_authed, invalid_auth, token_expired, token_revoked, account_inactive', async () => {
    const access = ((await slackDance(slack))['authed_user'] as Record<string, string>)['access_token'] ?? '';
    expect((await slackCall(slack, 'auth.test', null)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await slackCall(slack, 'auth.test', 'xoxp-made-up')).body).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    slack.deactivate('U0000000001');
    expect((await slackCall(slack, 'auth.test', access)).body).toEqual({
      ok: false,
      error: 'account_inactive',
    });
    clock += 12 * HOUR;
    expect((await slackCall(slack, 'auth.test', access)).body).toEqual({ ok: false, error: 'token_expired' });
    slack.revoke(access);
    const { res, body } = await slackCall(slack, 'auth.test', access);
    expect([res.status, body]).toEqual([200, { ok: false, error: 'token_revoked' }]);
  });

  it('reports missing_scope with needed and provided, and scope headers on every answer', async () => {
    const access = ((await slackDance(slack))['authed_user'] as Record<string, string>)['access_token'] ?? '';
    slack.dropScope('U0000000001', 'chat:write');
    const { res, body } = await slackCall(slack, 'chat.postMessage', access, { channel: 'C001', text: 'hi' });
    expect(body).toEqual({
      ok: false,
      error: 'missing_scope',
      needed: 'chat:write',
      provided: 'channels:read,channels:history',
    });
    expect(res.headers.get('x-oauth-scopes')).toBe('channels:read,channels:history');
    expect(res.headers.get('x-accepted-oauth-scopes')).toBe('chat:write,chat:write:user,chat:write:bot');
  });

  it('posts messages and answers chat.postMessage errors', async () => {
    const access = ((await slackDance(slack))['authed_user'] as Record<string, string>)['access_token'] ?? '';
    const json = await fetch(`${slack.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C001', text: 'hello' }),
    });
    const posted = (await json.json()) as Record<string, any>;
    expect(posted).toMatchObject({
      ok: true,
      channel: 'C001',
      message: { text: 'hello', user: 'U0000000001' },
    });
    const reply = await slackCall(slack, 'chat.postMessage', access, {
      channel: '#general',
      text: 'r',
      thread_ts: posted['ts'],
    });
    expect(reply.body['message']).toMatchObject({ thread_ts: posted['ts'] });
    expect(slack.messages('C001').map((m) => m.text)).toEqual(['hello', 'r']);
    const errors: [Record<string, string>, string][] = [
      [{ channel: 'C999', text: 'x' }, 'channel_not_found'],
      [{ channel: 'C004', text: 'x' }, 'channel_not_found'],
      [{ channel: 'C002', text: 'x' }, 'not_in_channel'],
      [{ channel: 'C003', text: 'x' }, 'is_archived'],
      [{ channel: 'C001', text: 'x'.repeat(40_001) }, 'msg_too_long'],
      [{ channel: 'C001' }, 'no_text'],
    ];
    for (const [params, error] of errors)
      expect((await slackCall(slack, 'chat.postMessage', access, params)).body).toEqual({ ok: false, error });
  });

  it('pages conversations.list and conversations.history with cursors, newest first', async () => {
    const access = ((await slackDance(slack))['authed_user'] as Record<string, string>)['access_token'] ?? '';
    const p1 = (await slackCall(slack, 'conversations.list', access, { limit: '2' })).body;
    expect(p1['channels'].map((c: { id: string }) => c.id)).toEqual(['C001', 'C002']);
    const p2 = (
      await slackCall(slack, 'conversations.list', access, {
        limit: '2',
        cursor: p1['response_metadata'].next_cursor,
      })
    ).body;
    expect(p2['channels'].map((c: { id: string }) => c.id)).toEqual(['C003']);
    expect(p2['response_metadata']).toEqual({ next_cursor: '' });
    expect(
      (await slackCall(slack, 'conversations.list', access, { types: 'private_channel' })).body,
    ).toMatchObject({ error: 'missing_scope', needed: 'groups:read' });

    slack.addMessages('C001', [
      { text: 'a', ts: '1700000001.000100' },
      { text: 'b', ts: '1700000002.000100' },
      { text: 'c', ts: '1700000003.000100' },
    ]);
    const h1 = (await slackCall(slack, 'conversations.history', access, { channel: 'C001', limit: '2' }))
      .body;
    expect(h1).toMatchObject({ ok: true, has_more: true });
    expect(h1['messages'].map((m: { text: string }) => m.text)).toEqual(['c', 'b']);
    const h2 = (
      await slackCall(slack, 'conversations.history', access, {
        channel: 'C001',
        limit: '2',
        cursor: h1['response_metadata'].next_cursor,
      })
    ).body;
    expect([h2['messages'].map((m: { text: string }) => m.text), h2['has_more']]).toEqual([['a'], false]);
    const ranged = (
      await slackCall(slack, 'conversations.history', access, {
        channel: 'C001',
        oldest: '1700000001.000100',
        latest: '1700000003.000100',
      })
    ).body;
    expect(ranged['messages'].map((m: { text: string }) => m.text)).toEqual(['b']);
  });

  it('injects each fault kind and records every request exactly', async () => {
    const access = ((await slackDance(slack))['authed_user'] as Record<string, string>)['access_token'] ?? '';
    slack.clearRequests();
    slack.failNext('auth.test', '500');
    slack.failNext('auth.test', '503_html');
    slack.failNext('auth.test', 'ratelimited');
    slack.failNext('auth.test', { error: 'internal_error' });
    expect((await slackCall(slack, 'auth.test', access).catch(() => null)) === null).toBe(true); // HTML is not JSON
    const html = await fetch(`${slack.url}/api/auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}` },
    });
    expect([html.status, html.headers.get('content-type')]).toEqual([503, 'text/html; charset=utf-8']);
    await html.text();
    const limited = await slackCall(slack, 'auth.test', access);
    expect([limited.res.status, limited.res.headers.get('retry-after'), limited.body]).toEqual([
      429,
      '7',
      { ok: false, error: 'ratelimited' },
    ]);
    expect((await slackCall(slack, 'auth.test', access)).body).toEqual({
      ok: false,
      error: 'internal_error',
    });

    slack.failNext('chat.postMessage', 'timeout');
    const hung = slackCall(slack, 'chat.postMessage', access, { channel: 'C001', text: 'x' });
    await expect(Promise.race([hung, new Promise((r) => setTimeout(() => r('waiting'), 100))])).resolves.toBe(
      'waiting',
    );
    hung.catch(() => undefined);
    slack.failNext('chat.postMessage', 'reset');
    await expect(
      slackCall(slack, 'chat.postMessage', access, { channel: 'C001', text: 'y' }),
    ).rejects.toThrow();
    slack.failNext('chat.postMessage', 'lose_response');
    await expect(
      slackCall(slack, 'chat.postMessage', access, { channel: 'C001', text: 'lost' }),
    ).rejects.toThrow();
    expect(slack.messages('C001').map((m) => m.text)).toEqual(['lost']);

    expect(slack.requests().map(({ key, token, status, fault }) => ({ key, token, status, fault }))).toEqual([
      { key: 'auth.test', token: access, status: 500, fault: '500' },
      { key: 'auth.test', token: access, status: 503, fault: '503_html' },
      { key: 'auth.test', token: access, status: 429, fault: 'ratelimited' },
      { key: 'auth.test', token: access, status: 200, fault: 'error:internal_error' },
      { key: 'chat.postMessage', token: access, status: null, fault: 'timeout' },
      { key: 'chat.postMessage', token: access, status: null, fault: 'reset' },
      { key: 'chat.postMessage', token: access, status: null, fault: 'lose_response' },
    ]);
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
