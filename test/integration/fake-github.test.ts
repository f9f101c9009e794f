import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { githubDance } from '../fakes/dance.js';
import { type GitHubFake, startGitHubFake } from '../fakes/github.js';
import { gh, ghTokenRequest, startSeededGitHubFake } from '../support/github-fake-wire.js';

/** The GitHub fake's REST wire behaviour (issues, permissions, search, rate limits, faults), checked with plain fetch (no toolvault code). */
let clock = Date.UTC(2026, 10, 1);
const now = () => clock;
const HOUR = 3_600_000;

describe('GitHub fake', () => {
  let github: GitHubFake;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 1);
    github = await startSeededGitHubFake(now);
  });
  afterEach(() => github.close());

  it('creates, reads and comments on issues with GitHub’s statuses and shapes', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    const created = await gh(github, 'POST', '/repos/octocat/hello/issues', token, {
      title: 'Bug',
      body: 'It broke',
      labels: ['bug'],
    });
    expect(created.res.status).toBe(201);
    expect(created.body).toMatchObject({
      number: 1,
      title: 'Bug',
      body: 'It broke',
      state: 'open',
      user: { login: 'octocat' },
      labels: [{ name: 'bug' }],
      html_url: 'https://github.com/octocat/hello/issues/1',
    });
    expect(created.res.headers.get('location')).toBe(`${github.url}/repos/octocat/hello/issues/1`);
    expect((await gh(github, 'GET', '/repos/octocat/hello/issues/1', token)).body['id']).toBe(
      created.body['id'],
    );
    expect(
      (await gh(github, 'POST', '/repos/octocat/hello/issues/1/comments', token, { body: 'me too' })).res
        .status,
    ).toBe(201);
    expect(github.comments('octocat', 'hello', 1).map((c) => c.body)).toEqual(['me too']);
    const statuses = await Promise.all([
      gh(github, 'POST', '/repos/octocat/missing/issues', token, { title: 'x' }),
      gh(github, 'POST', '/repos/acme/private/issues', token, { title: 'x' }),
      gh(github, 'POST', '/repos/octocat/quiet/issues', token, { title: 'x' }),
      gh(github, 'POST', '/repos/octocat/hello/issues', token, { body: 'no title' }),
      gh(github, 'GET', '/repos/octocat/hello/issues/99', token),
      gh(github, 'POST', '/repos/octocat/hello/issues', null, { title: 'x' }),
    ]);
    expect(statuses.map((s) => s.res.status)).toEqual([404, 404, 410, 422, 404, 401]);
    expect(statuses[3]?.body['errors']).toEqual([
      { resource: 'Issue', code: 'missing_field', field: 'title' },
    ]);
    expect(github.issues('octocat', 'hello')).toHaveLength(1);
  });

  it('signals a missing permission or scope as GitHub does for each app kind', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    github.dropScope('octocat', 'issues');
    const denied = await gh(github, 'POST', '/repos/octocat/hello/issues', token, { title: 'x' });
    expect([
      denied.res.status,
      denied.body['message'],
      denied.res.headers.get('x-accepted-github-permissions'),
    ]).toEqual([403, 'Resource not accessible by integration', 'issues=write']);

    const oauth = await startGitHubFake({ mode: 'oauth-app', now });
    oauth.addRepo({ owner: 'octocat', name: 'secret', private: true });
    const body = await githubDance(oauth, { scope: 'public_repo read:user' });
    expect(body).toEqual({
      access_token: expect.stringMatching(/^gho_/),
      token_type: 'bearer',
      scope: 'public_repo,read:user',
    });
    const hidden = await gh(oauth, 'POST', '/repos/octocat/secret/issues', body['access_token'] as string, {
      title: 'x',
    });
    expect([
      hidden.res.status,
      hidden.res.headers.get('x-oauth-scopes'),
      hidden.res.headers.get('x-accepted-oauth-scopes'),
    ]).toEqual([404, 'public_repo, read:user', 'repo']);
    const refresh = await ghTokenRequest(oauth, { grant_type: 'refresh_token', refresh_token: 'anything' });
    expect(await refresh.json()).toMatchObject({ error: 'bad_refresh_token' });
    await oauth.close();
  });

  it('searches issues with qualifiers, per_page/page and a Link header', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    for (const title of ['flaky test one', 'flaky test two', 'flaky test three', 'unrelated']) {
      await gh(github, 'POST', '/repos/octocat/hello/issues', token, { title });
    }
    const q = encodeURIComponent('repo:octocat/hello is:open flaky');
    const page1 = await gh(github, 'GET', `/search/issues?q=${q}&per_page=2`, token);
    expect(page1.body).toMatchObject({ total_count: 3, incomplete_results: false });
    expect(page1.body['items'].map((i: { title: string }) => i.title)).toEqual([
      'flaky test three',
      'flaky test two',
    ]);
    expect(page1.res.headers.get('link')).toMatch(/page=2>; rel="next", <[^>]*page=2>; rel="last"$/);
    expect(page1.res.headers.get('x-ratelimit-resource')).toBe('search');
    const page2 = await gh(github, 'GET', `/search/issues?q=${q}&per_page=2&page=2`, token);
    expect(page2.body['items'].map((i: { title: string }) => i.title)).toEqual(['flaky test one']);
    expect(page2.res.headers.get('link')).toMatch(/rel="prev", .*rel="first"$/);
  });

  it('sends rate-limit headers and injects primary and secondary limits', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    const ok = await gh(github, 'GET', '/user', token);
    expect(ok.res.headers.get('x-ratelimit-limit')).toBe('5000');
    expect([ok.res.headers.get('x-ratelimit-remaining'), ok.res.headers.get('x-ratelimit-used')]).toEqual([
      '4999',
      '1',
    ]);
    github.failNext('GET /user', 'primary_rate_limit');
    github.failNext('GET /user', 'secondary_rate_limit');
    github.failNext('GET /user', { kind: 'secondary_rate_limit', status: 429, retryAfter: 3 });
    const primary = await gh(github, 'GET', '/user', token);
    expect([
      primary.res.status,
      primary.res.headers.get('x-ratelimit-remaining'),
      primary.res.headers.get('x-ratelimit-reset'),
    ]).toEqual([403, '0', String(Math.ceil((clock + HOUR) / 1000))]);
    const secondary = await gh(github, 'GET', '/user', token);
    expect([secondary.res.status, secondary.res.headers.get('retry-after')]).toEqual([403, '9']);
    expect(secondary.body['message']).toMatch(/secondary rate limit/);
    const s429 = await gh(github, 'GET', '/user', token);
    expect([s429.res.status, s429.res.headers.get('retry-after')]).toEqual([429, '3']);

    const tight = await startGitHubFake({ now, coreLimit: 1 });
    const t = (await githubDance(tight))['access_token'] as string;
    expect((await gh(tight, 'GET', '/user', t)).res.status).toBe(200);
    expect((await gh(tight, 'GET', '/user', t)).res.status).toBe(403);
    clock += HOUR;
    expect((await gh(tight, 'GET', '/user', t)).res.status).toBe(200);
    await tight.close();
  });

  it('refuses requests without a User-Agent with 403', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${github.url}/search/issues?q=x`, { headers: {} }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('creates the issue once when the response is lost, and records it', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    github.clearRequests();
    expect(() => github.failNext('POST /repos/x/y/issues', '500')).toThrow(/unknown route key/);
    github.failNext('POST /repos/{owner}/{repo}/issues', 'lose_response');
    await expect(
      gh(github, 'POST', '/repos/octocat/hello/issues', token, { title: 'once' }),
    ).rejects.toThrow();
    github.failNext('GET /repos/{owner}/{repo}/issues/{issue_number}', 'reset');
    await expect(gh(github, 'GET', '/repos/octocat/hello/issues/1', token)).rejects.toThrow();
    github.failNext('GET /repos/{owner}/{repo}/issues/{issue_number}', '503_html');
    expect((await fetch(`${github.url}/repos/octocat/hello/issues/1`)).status).toBe(503);
    expect(github.issues('octocat', 'hello').map((i) => i.title)).toEqual(['once']);
    expect(
      github
        .requests()
        .map(({ method, path, token: t, status, fault }) => ({ method, path, t, status, fault })),
    ).toEqual([
      { method: 'POST', path: '/repos/octocat/hello/issues', t: token, status: null, fault: 'lose_response' },
      { method: 'GET', path: '/repos/octocat/hello/issues/1', t: token, status: null, fault: 'reset' },
      { method: 'GET', path: '/repos/octocat/hello/issues/1', t: null, status: 503, fault: '503_html' },
    ]);
  });
});
