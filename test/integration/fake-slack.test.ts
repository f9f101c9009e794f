import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackDance } from '../fakes/dance.js';
import type { SlackFake } from '../fakes/slack.js';
import { slackCall, startSeededSlackFake } from '../support/slack-fake-wire.js';

/** The Slack fake's Web API wire behaviour (tokens, scopes, methods, paging, faults), checked with plain fetch (no toolvault code). */
let clock = Date.UTC(2026, 10, 1);
const now = () => clock;
const HOUR = 3_600_000;

describe('Slack fake', () => {
  let slack: SlackFake;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 1);
    slack = await startSeededSlackFake(now);
  });
  afterEach(() => slack.close());

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
});
