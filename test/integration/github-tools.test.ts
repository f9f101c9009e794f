import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ActionRig, startActionRig } from '../support/action-rig.js';
import { sc } from '../support/toolvault.js';

/**
 * The GitHub tools against the wire-faithful GitHub fake (GitHub App user tokens: 8 h, rotating refresh),
 * one row of issue 3's table per test: 401, scope gaps, rate limits, 404, 422 and 5xx.
 */

const CREATE = 'POST /repos/{owner}/{repo}/issues';

describe('GitHub tools (GitHub App)', () => {
  let rig: ActionRig;

  beforeAll(async () => {
    rig = await startActionRig();
    rig.github.addRepo({ owner: 'octocat', name: 'hello-world' });
    rig.github.addRepo({ owner: 'octocat', name: 'secret', private: true });
    rig.github.addRepo({ owner: 'someone', name: 'no-app', appInstalled: false });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const issues = () => rig.github.issues('octocat', 'hello-world');
  const creates = () => rig.github.requests().filter((r) => r.key === CREATE).length;
  const refreshes = () => rig.github.tokenRequests()['refresh_token'] ?? 0;
  const create = (title: string, extra: Record<string, unknown> = {}) =>
    rig.call('github.createIssue', { owner: 'octocat', repo: 'hello-world', title, ...extra });

  it('answers the first call with auth_required; the link connects and the retried call succeeds', async () => {
    const first = await create('First bug');
    expect(first.isError).toBe(true);
    expect(sc(first)).toMatchObject({ status: 'auth_required', provider: 'github', reason: 'not_connected' });
    expect(creates()).toBe(0);
    await rig.consent(first);
    const retried = await create('First bug', { body: 'Steps: open the app', labels: ['bug'] });
    expect(retried.isError).toBeFalsy();
    expect(sc(retried)).toMatchObject({
      status: 'ok',
      number: 1,
      url: 'https://github.com/octocat/hello-world/issues/1',
      id: expect.any(Number),
      repository: 'octocat/hello-world',
    });
    expect(issues()).toHaveLength(1);
    expect(issues()[0]).toMatchObject({ title: 'First bug', body: 'Steps: open the app' });
  });

  describe('once connected', () => {
    beforeEach(() => rig.github.clearRequests());

    it('reads an issue back as a small object', async () => {
      const r = sc(await rig.call('github.getIssue', { owner: 'octocat', repo: 'hello-world', number: 1 }));
      expect(r).toMatchObject({
        status: 'ok',
        number: 1,
        title: 'First bug',
        state: 'open',
        author: 'octocat',
        labels: ['bug'],
        body: 'Steps: open the app',
        comments: 0,
      });
    });

    it('comments on an issue', async () => {
      const r = sc(
        await rig.call('github.addComment', {
          owner: 'octocat',
          repo: 'hello-world',
          number: 1,
          body: 'Seen',
        }),
      );
      expect(r).toMatchObject({ status: 'ok', issueNumber: 1, id: expect.any(Number) });
      expect(r.url).toContain('/issues/1#issuecomment-');
      expect(rig.github.comments('octocat', 'hello-world', 1).map((c) => c.body)).toEqual(['Seen']);
    });

    it('searches issues a page at a time', async () => {
      await create('Crash on save');
      await create('Crash on load');
      const q = 'repo:octocat/hello-world is:issue crash';
      const p1 = sc(await rig.call('github.searchIssues', { query: q, perPage: 1 }));
      expect(p1).toMatchObject({ status: 'ok', totalCount: 2, nextPage: 2 });
      expect(p1.items[0]).toMatchObject({ title: 'Crash on load', repository: 'octocat/hello-world' });
      const p2 = sc(await rig.call('github.searchIssues', { query: q, perPage: 1, page: 2 }));
      expect(p2.items.map((i: { title: string }) => i.title)).toEqual(['Crash on save']);
      expect(p2.nextPage).toBeUndefined();
    });

    it('refreshes once and retries once on a 401', async () => {
      const before = refreshes();
      const count = issues().length;
      rig.github.failNext(CREATE, { reply: { status: 401, body: { message: 'Bad credentials' } } });
      expect(sc(await create('After 401'))).toMatchObject({ status: 'ok' });
      expect(refreshes()).toBe(before + 1);
      expect(creates()).toBe(2);
      expect(issues()).toHaveLength(count + 1);
    });

    it('answers 404 with not_found', async () => {
      const r = await rig.call('github.getIssue', { owner: 'octocat', repo: 'hello-world', number: 999 });
      expect(sc(r)).toMatchObject({ status: 'error', kind: 'not_found', retryable: false });
      expect(sc(r).message).toContain('issue #999 in octocat/hello-world');
    });

    it('answers 422 with invalid_request and the particulars', async () => {
      rig.github.failNext(CREATE, {
        reply: {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'Issue', field: 'assignees', code: 'invalid' }],
            documentation_url: 'https://docs.github.com/rest',
          },
        },
      });
      const r = await create('Bad input');
      expect(sc(r)).toMatchObject({
        status: 'error',
        kind: 'invalid_request',
        details: ['Issue.assignees: invalid'],
      });
    });

    it('answers a 403 primary rate limit with rate_limited and the real wait from x-ratelimit-reset', async () => {
      rig.github.failNext(CREATE, 'primary_rate_limit');
      const r = sc(await create('Limited'));
      expect(r).toMatchObject({ status: 'error', kind: 'rate_limited', retryable: true });
      // The hourly window resets within the hour: the agent hears that, not toolvault's 60 s backoff cap.
      expect(r.retryAfterSeconds).toBeGreaterThan(60);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect(creates()).toBe(1);
    });

    it('answers a 429 secondary rate limit with its Retry-After', async () => {
      rig.github.failNext(CREATE, { kind: 'secondary_rate_limit', status: 429, retryAfter: 42 });
      expect(sc(await create('Limited'))).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 42 });
    });

    it('reports a 5xx on a write as transient and retryable, and does not retry it', async () => {
      const count = issues().length;
      rig.github.failNext(CREATE, '500');
      const r = sc(await create('Server error'));
      expect(r).toMatchObject({ status: 'error', kind: 'transient', retryable: true });
      expect(r.message).toMatch(/may or may not exist/);
      expect(creates()).toBe(1);
      expect(issues()).toHaveLength(count);
    });

    it('says which App permission is missing on a 403 "Resource not accessible by integration"', async () => {
      const r = sc(await rig.call('github.createIssue', { owner: 'someone', repo: 'no-app', title: 'x' }));
      expect(r).toMatchObject({ status: 'error', kind: 'forbidden' });
      expect(r.message).toContain('issues=write');
    });

    it('asks for a scope update on a 403 with X-Accepted-OAuth-Scopes the token lacks', async () => {
      rig.github.failNext(CREATE, {
        reply: {
          status: 403,
          headers: { 'x-oauth-scopes': 'read:user', 'x-accepted-oauth-scopes': 'repo' },
          body: { message: 'Resource not accessible by personal access token' },
        },
      });
      const r = await create('Needs repo');
      expect(sc(r)).toMatchObject({
        status: 'auth_required',
        reason: 'scope_update_required',
        missingScopes: ['repo'],
      });
      await rig.consent(r);
      expect(sc(await create('Needs repo'))).toMatchObject({ status: 'ok' });
    });
  });

  it('never shows a token in a result or a log line', () => {
    const tokens = rig.github.issuedTokens().map((t) => t.value);
    expect(tokens.length).toBeGreaterThan(2);
    const seen = JSON.stringify(rig.tv.results) + rig.tv.logs.join('\n');
    for (const t of tokens) expect(seen.includes(t)).toBe(false);
  });
});

describe('GitHub tools (OAuth App)', () => {
  let rig: ActionRig;
  beforeAll(async () => {
    rig = await startActionRig({ github: { mode: 'oauth-app' } });
    rig.github.addRepo({ owner: 'octocat', name: 'private-repo', private: true });
    await rig.connect('github');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('reads a 404 whose X-Accepted-OAuth-Scopes the token lacks as a scope gap, not a missing repo', async () => {
    const args = { owner: 'octocat', repo: 'private-repo', title: 'Private bug' };
    expect(sc(await rig.call('github.createIssue', args))).toMatchObject({ status: 'ok', number: 1 });
    rig.github.dropScope('octocat', 'repo');
    const r = await rig.call('github.createIssue', args);
    expect(sc(r)).toMatchObject({
      status: 'auth_required',
      reason: 'scope_update_required',
      missingScopes: ['repo'],
    });
    await rig.consent(r);
    expect(sc(await rig.call('github.createIssue', args))).toMatchObject({ status: 'ok', number: 2 });
    expect(rig.github.issues('octocat', 'private-repo')).toHaveLength(2);
  });

  it('still answers not_found for a repository that is not there', async () => {
    const r = await rig.call('github.getIssue', { owner: 'octocat', repo: 'missing', number: 1 });
    expect(sc(r)).toMatchObject({ status: 'error', kind: 'not_found' });
  });
});
