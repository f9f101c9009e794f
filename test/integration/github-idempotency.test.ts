import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { completeConsent } from '../support/browser.js';
import { sc } from '../support/toolvault.js';

/**
 * github.createIssue under an idempotencyKey: one issue per key and user for 24 hours (the injected clock),
 * also when two calls race; and no write is ever retried unless the provider provably did not act.
 */

const CREATE = 'POST /repos/{owner}/{repo}/issues';
const DAY = 24 * 60 * 60 * 1000;

describe('github.createIssue with an idempotencyKey', () => {
  let rig: ActionRig;

  beforeAll(async () => {
    rig = await startActionRig();
    rig.github.addRepo({ owner: 'octocat', name: 'triage' });
    await rig.connect('github');
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => rig.github.clearRequests());

  const issues = () => rig.github.issues('octocat', 'triage');
  const creates = () => rig.github.requests().filter((r) => r.key === CREATE).length;
  const create = (title: string, idempotencyKey?: string) =>
    rig.call('github.createIssue', {
      owner: 'octocat',
      repo: 'triage',
      title,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });

  it('returns the first issue for a repeated key instead of creating a duplicate', async () => {
    const first = sc(await create('Login broken', 'msg-1'));
    expect(first).toMatchObject({ status: 'ok', number: 1 });
    expect(first.idempotentReplay).toBeUndefined();
    const again = await create('Login broken', 'msg-1');
    expect(again.isError).toBeFalsy();
    expect(sc(again)).toMatchObject({
      status: 'ok',
      number: 1,
      url: first.url,
      id: first.id,
      idempotentReplay: true,
    });
    expect(creates()).toBe(1);
    expect(issues()).toHaveLength(1);
  });

  it('creates one issue when two calls with one key race', async () => {
    const before = issues().length;
    const [a, b] = await Promise.all([create('Race', 'msg-race'), create('Race', 'msg-race')]);
    expect(issues()).toHaveLength(before + 1);
    expect(creates()).toBe(1);
    expect(sc(a).number).toBe(before + 1);
    expect(sc(b).number).toBe(before + 1);
    expect([sc(a).idempotentReplay, sc(b).idempotentReplay].filter(Boolean)).toHaveLength(1);
  });

  it('keeps keys apart per user: another user with the same key gets their own issue', async () => {
    // A second agent session acting for another toolvault user, on the same vault.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await rig.tv.app.newMcpServer(() => 'bob').connect(serverSide);
    const bob = new Client({ name: 'bob-agent', version: '1.0.0' });
    await bob.connect(clientSide);
    const bobCreate = async () =>
      sc(
        (await bob.callTool({
          name: 'github_createIssue',
          arguments: { owner: 'octocat', repo: 'triage', title: 'Shared key', idempotencyKey: 'msg-shared' },
        })) as CallToolResult,
      );
    try {
      const before = issues().length;
      const mine = sc(await create('Shared key', 'msg-shared'));
      const needsConsent = await bobCreate();
      expect(needsConsent).toMatchObject({ status: 'auth_required', reason: 'not_connected' });
      rig.github.setConsentingUser({ login: 'hubot' });
      await completeConsent(needsConsent.authUrl);
      const bobs = await bobCreate();
      expect(bobs).toMatchObject({ status: 'ok', number: mine.number + 1 });
      expect(bobs.idempotentReplay).toBeUndefined();
      expect(await bobCreate()).toMatchObject({ number: bobs.number, idempotentReplay: true });
      expect(sc(await create('Shared key', 'msg-shared'))).toMatchObject({ number: mine.number });
      expect(issues()).toHaveLength(before + 2);
      expect(issues().at(-1)?.user.login).toBe('hubot');
    } finally {
      await bob.close();
    }
  });

  it('does not retry a create whose response was lost, and blocks the key until checked', async () => {
    const before = issues().length;
    rig.github.failNext(CREATE, 'lose_response');
    const lost = await create('Lost answer', 'msg-lost');
    expect(lost.isError).toBe(true);
    expect(sc(lost)).toMatchObject({ status: 'error', kind: 'transient', retryable: true });
    expect(sc(lost).message).toMatch(/may or may not exist/);
    expect(creates()).toBe(1);
    expect(issues()).toHaveLength(before + 1);

    const repeat = await create('Lost answer', 'msg-lost');
    expect(sc(repeat)).toMatchObject({ status: 'error', kind: 'outcome_unknown', retryable: false });
    expect(sc(repeat).message).toContain('github.searchIssues');
    expect(creates()).toBe(1);
    expect(issues()).toHaveLength(before + 1);
  });

  it('does not retry a create that got a 5xx, and blocks its key', async () => {
    rig.github.failNext(CREATE, '503_html');
    expect(sc(await create('Unicorn', 'msg-503'))).toMatchObject({ kind: 'transient', retryable: true });
    expect(sc(await create('Unicorn', 'msg-503'))).toMatchObject({ kind: 'outcome_unknown' });
    expect(creates()).toBe(1);
  });

  it('frees the key when GitHub refused the write, so the next call creates it', async () => {
    const before = issues().length;
    rig.github.failNext(CREATE, { kind: 'secondary_rate_limit', status: 429, retryAfter: 5 });
    expect(sc(await create('Refused first', 'msg-refused'))).toMatchObject({ kind: 'rate_limited' });
    expect(issues()).toHaveLength(before);
    expect(sc(await create('Refused first', 'msg-refused'))).toMatchObject({
      status: 'ok',
      number: before + 1,
    });
    expect(sc(await create('Refused first', 'msg-refused'))).toMatchObject({ idempotentReplay: true });
    expect(issues()).toHaveLength(before + 1);
  });

  it('retries a create refused with a 401 once after a refresh, under the same key', async () => {
    const before = issues().length;
    rig.github.failNext(CREATE, { reply: { status: 401, body: { message: 'Bad credentials' } } });
    expect(sc(await create('After refresh', 'msg-401'))).toMatchObject({ status: 'ok', number: before + 1 });
    expect(sc(await create('After refresh', 'msg-401'))).toMatchObject({ idempotentReplay: true });
    expect(issues()).toHaveLength(before + 1);
  });

  it('frees the key when a 401 is followed by a refresh that fails: GitHub never acted', async () => {
    const before = issues().length;
    rig.github.failNext(CREATE, { reply: { status: 401, body: { message: 'Bad credentials' } } });
    rig.github.failNext('POST /login/oauth/access_token', '500');
    const r = sc(await create('Refresh outage', 'msg-401-500'));
    expect(r).toMatchObject({ status: 'error', kind: 'transient', retryable: true });
    expect(r.message).not.toMatch(/may or may not/);
    expect(issues()).toHaveLength(before);
    expect(sc(await create('Refresh outage', 'msg-401-500'))).toMatchObject({
      status: 'ok',
      number: before + 1,
    });
  });

  it('forgets a key after 24 hours by the injected clock', async () => {
    const first = sc(await create('Daily', 'msg-day'));
    rig.clock.advance(DAY - 1000);
    expect(sc(await create('Daily', 'msg-day'))).toMatchObject({
      number: first.number,
      idempotentReplay: true,
    });
    rig.clock.advance(2000);
    const later = sc(await create('Daily', 'msg-day'));
    expect(later.number).toBe(first.number + 1);
    expect(later.idempotentReplay).toBeUndefined();
  });

  it('creates a new issue on every call without a key', async () => {
    const before = issues().length;
    await create('No key');
    await create('No key');
    expect(issues()).toHaveLength(before + 2);
  });

  it('stores no token with the replayed results', () => {
    const tokens = rig.github.issuedTokens().map((t) => t.value);
    const seen = JSON.stringify(rig.tv.results) + rig.tv.logs.join('\n');
    for (const t of tokens) expect(seen.includes(t)).toBe(false);
  });
});
