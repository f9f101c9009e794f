import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * The Slack tools against the wire-faithful Slack fake: Slack answers errors with HTTP 200 and
 * `{ok:false, error}`, and every row of issue 3's table ends in the result an agent can act on.
 */

const BUGS = 'C0BUGS0001';
const GENERAL = 'C0GENERAL1';

describe('Slack tools', () => {
  let rig: ActionRig;
  let slackUser: string;

  beforeAll(async () => {
    rig = await startActionRig();
    rig.slack.addChannel({ id: BUGS, name: 'bug-reports' });
    rig.slack.addChannel({ id: GENERAL, name: 'general' });
    rig.slack.addChannel({ id: 'C0OUTSIDE1', name: 'outside', is_member: false });
    rig.slack.addChannel({ id: 'C0OLD00001', name: 'old', is_archived: true });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const postCount = () => rig.slack.requests().filter((r) => r.key === 'chat.postMessage').length;
  const refreshes = () => rig.slack.tokenRequests()['refresh_token'] ?? 0;

  describe('before Slack is connected', () => {
    it('answers the first call with auth_required and a link that completes consent', async () => {
      const first = await rig.call('slack.postMessage', { channel: '#general', text: 'hello' });
      expect(first.isError).toBe(true);
      expect(sc(first)).toMatchObject({
        status: 'auth_required',
        provider: 'slack',
        reason: 'not_connected',
      });
      expect(sc(first).authUrl).toMatch(new RegExp(`^${rig.tv.url}/connect/`));
      expect(first.content).toEqual([
        expect.objectContaining({ type: 'text', text: expect.stringContaining(sc(first).authUrl) }),
      ]);
      expect(postCount()).toBe(0);

      await rig.consent(first);
      const status = sc(await rig.call('auth.status', { authId: sc(first).authId, waitSeconds: 5 }));
      expect(status.connections[0]).toMatchObject({ provider: 'slack', state: 'healthy' });
      // A first consent asks for the provider's default scopes with the tool's: the other tools need no
      // second trip.
      expect(status.connections[0].scopes).toEqual(['channels:history', 'channels:read', 'chat:write']);
      const again = await rig.call('auth.start', {
        provider: 'slack',
        scopes: ['channels:read', 'channels:history', 'chat:write'],
      });
      expect(sc(again).status).toBe('connected');
      slackUser = rig.slack.issuedTokens()[0]!.userId;

      const retried = await rig.call('slack.postMessage', { channel: '#general', text: 'hello' });
      expect(retried.isError).toBeFalsy();
      expect(sc(retried)).toMatchObject({ status: 'ok', channel: GENERAL });
      expect(rig.slack.messages(GENERAL).map((m) => m.text)).toEqual(['hello']);
    });
  });

  describe('once connected', () => {
    beforeEach(() => rig.slack.clearRequests());

    it('posts a reply in a thread and returns its channel, ts and permalink', async () => {
      const [parent] = rig.slack.addMessages(BUGS, [{ text: 'login page is blank' }]);
      const r = await rig.call('slack.postMessage', {
        channel: BUGS,
        text: 'Filed as issue #1',
        threadTs: parent!.ts,
      });
      expect(sc(r)).toMatchObject({ status: 'ok', channel: BUGS, threadTs: parent!.ts });
      expect(sc(r).permalink).toMatch(/^https:\/\/.+\.slack\.com\/archives\/C0BUGS0001\/p\d+$/);
      const reply = rig.slack.messages(BUGS).find((m) => m.ts === sc(r).ts);
      expect(reply).toMatchObject({ text: 'Filed as issue #1', thread_ts: parent!.ts });
    });

    it('lists channels a page at a time with a cursor', async () => {
      const first = sc(await rig.call('slack.listChannels', { limit: 2 }));
      expect(first.channels).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = sc(await rig.call('slack.listChannels', { limit: 2, cursor: first.nextCursor }));
      const all = [...first.channels, ...second.channels];
      expect(second.nextCursor).toBeUndefined();
      expect(all.map((c: { name: string }) => c.name).sort()).toEqual(['bug-reports', 'general', 'outside']);
      expect(all.find((c: { name: string }) => c.name === 'outside')).toEqual({
        id: 'C0OUTSIDE1',
        name: 'outside',
        isMember: false,
        isArchived: false,
        isPrivate: false,
      });
      const archived = sc(await rig.call('slack.listChannels', { includeArchived: true }));
      expect(archived.channels.map((c: { name: string }) => c.name)).toContain('old');
    });

    it('reads messages newer than oldest by #name, newest first, paging with a cursor', async () => {
      const seeded = rig.slack.addMessages(GENERAL, [{ text: 'one' }, { text: 'two' }, { text: 'three' }]);
      const since = seeded[0]!.ts;
      const page1 = sc(
        await rig.call('slack.readMessages', { channel: '#general', oldest: since, limit: 1 }),
      );
      expect(page1).toMatchObject({ status: 'ok', channel: GENERAL });
      expect(page1.messages).toEqual([{ ts: seeded[2]!.ts, user: slackUser, text: 'three' }]);
      const page2 = sc(
        await rig.call('slack.readMessages', {
          channel: '#general',
          oldest: since,
          cursor: page1.nextCursor,
        }),
      );
      expect(page2.messages.map((m: { text: string }) => m.text)).toEqual(['two']);
      expect(page2.nextCursor).toBeUndefined();
    });

    it('explains a channel that does not exist as not_found', async () => {
      const r = await rig.call('slack.postMessage', { channel: '#no-such-channel', text: 'x' });
      expect(r.isError).toBe(true);
      expect(sc(r)).toMatchObject({
        status: 'error',
        kind: 'not_found',
        retryable: false,
        provider: 'slack',
      });
      expect(sc(r).message).toContain('#no-such-channel');
      expect(sc(r).message).toContain('slack.listChannels');
      const read = sc(await rig.call('slack.readMessages', { channel: 'C0NOPE0001' }));
      expect(read).toMatchObject({ status: 'error', kind: 'not_found' });
    });

    it('says the user must join a channel they are not in, and that archived ones take no posts', async () => {
      expect(sc(await rig.call('slack.postMessage', { channel: '#outside', text: 'x' }))).toMatchObject({
        kind: 'forbidden',
      });
      expect(sc(await rig.call('slack.postMessage', { channel: '#old', text: 'x' }))).toMatchObject({
        kind: 'invalid_request',
      });
    });

    for (const code of ['not_authed', 'invalid_auth', 'token_expired']) {
      it(`refreshes once and retries once on a 200-status ${code}`, async () => {
        const before = refreshes();
        const posted = rig.slack.messages(GENERAL).length;
        rig.slack.failNext('chat.postMessage', { error: code });
        const r = await rig.call('slack.postMessage', { channel: GENERAL, text: `after ${code}` });
        expect(sc(r)).toMatchObject({ status: 'ok', channel: GENERAL });
        expect(refreshes()).toBe(before + 1);
        expect(postCount()).toBe(2);
        expect(rig.slack.messages(GENERAL)).toHaveLength(posted + 1);
      });
    }

    it('answers ratelimited (429 + Retry-After) with rate_limited and the wait, without retrying', async () => {
      rig.slack.failNext('chat.postMessage', { kind: 'ratelimited', retryAfter: 30 });
      const r = await rig.call('slack.postMessage', { channel: GENERAL, text: 'busy' });
      expect(sc(r)).toMatchObject({
        status: 'error',
        kind: 'rate_limited',
        retryable: true,
        retryAfterSeconds: 30,
      });
      expect(postCount()).toBe(1);
    });

    it('reports a 5xx on a post as transient and retryable, never retried, with a check-first warning', async () => {
      rig.slack.failNext('chat.postMessage', '500');
      const r = await rig.call('slack.postMessage', { channel: GENERAL, text: 'maybe' });
      expect(sc(r)).toMatchObject({ status: 'error', kind: 'transient', retryable: true });
      expect(sc(r).message).toMatch(/may or may not/);
      expect(postCount()).toBe(1);
    });

    it('does not repeat a post whose response was lost', async () => {
      const posted = rig.slack.messages(GENERAL).length;
      rig.slack.failNext('chat.postMessage', 'lose_response');
      const r = await rig.call('slack.postMessage', { channel: GENERAL, text: 'lost' });
      expect(sc(r)).toMatchObject({ status: 'error', kind: 'transient' });
      expect(postCount()).toBe(1);
      expect(rig.slack.messages(GENERAL)).toHaveLength(posted + 1);
    });

    it('asks for a scope update with granted ∪ missing when Slack says missing_scope', async () => {
      rig.slack.dropScope(slackUser, 'chat:write');
      const r = await rig.call('slack.postMessage', { channel: GENERAL, text: 'needs scope' });
      expect(r.isError).toBe(true);
      expect(sc(r)).toMatchObject({
        status: 'auth_required',
        reason: 'scope_update_required',
        missingScopes: ['chat:write'],
      });
      await rig.consent(r);
      const authorize = rig.slack.requests().filter((q) => q.key === 'oauth/v2/authorize');
      expect(authorize.at(-1)!.params['user_scope']!.split(',').sort()).toEqual([
        'channels:history',
        'channels:read',
        'chat:write',
      ]);
      const again = await rig.call('slack.postMessage', { channel: GENERAL, text: 'needs scope' });
      expect(sc(again)).toMatchObject({ status: 'ok' });
    });

    it('asks for reauthorization when the grant is revoked: refresh rejected and probe failed', async () => {
      rig.slack.revoke(slackUser);
      const before = refreshes();
      const r = await rig.call('slack.readMessages', { channel: GENERAL });
      expect(sc(r)).toMatchObject({ status: 'auth_required', reason: 'reauthorization_required' });
      expect(refreshes()).toBe(before + 1);
      expect(rig.slack.requests().some((q) => q.key === 'auth.test')).toBe(true);
      await rig.consent(r);
      expect(sc(await rig.call('slack.readMessages', { channel: GENERAL }))).toMatchObject({ status: 'ok' });
    });
  });

  it('never shows a token in a result or a log line', () => {
    const tokens = rig.slack.issuedTokens().map((t) => t.value);
    expect(tokens.length).toBeGreaterThan(2);
    const seen = JSON.stringify(rig.tv.results) + rig.tv.logs.join('\n');
    for (const t of tokens) expect(seen.includes(t)).toBe(false);
  });
});
