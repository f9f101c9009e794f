import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DANCE_REDIRECT, followAuthorize, githubDance } from '../fakes/dance.js';
import { type GitHubFake, startGitHubFake } from '../fakes/github.js';

/** The GitHub fake's wire behaviour, checked with plain fetch (no toolvault code). */
let clock = Date.UTC(2026, 10, 1);
const now = () => clock;
const HOUR = 3_600_000;

async function gh(fake: GitHubFake, method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${fake.url}${path}`, init);
  const text = await res.text();
  return { res, body: (text === '' ? null : JSON.parse(text)) as Record<string, any> };
}

function ghTokenRequest(fake: GitHubFake, params: Record<string, string>, json = true) {
  return fetch(`${fake.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: json ? { accept: 'application/json' } : {},
    body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, ...params }),
  });
}

describe('GitHub fake', () => {
  let github: GitHubFake;
  beforeEach(async () => {
    clock = Date.UTC(2026, 10, 1);
    github = await startGitHubFake({ now, retryAfterSeconds: 9 });
    github.addRepo({ owner: 'octocat', name: 'hello' });
    github.addRepo({ owner: 'acme', name: 'private', private: true });
    github.addRepo({ owner: 'octocat', name: 'quiet', hasIssues: false });
  });
  afterEach(() => github.close());

  it('issues expiring GitHub App tokens, JSON only on Accept: application/json', async () => {
    const url = new URL('/login/oauth/authorize', github.url);
    url.search = new URLSearchParams({
      client_id: github.clientId,
      redirect_uri: DANCE_REDIRECT,
      state: 'st',
    }).toString();
    const code = (await followAuthorize(url)).get('code') ?? '';
    const form = await ghTokenRequest(github, { code }, false);
    expect(form.headers.get('content-type')).toBe('application/x-www-form-urlencoded; charset=utf-8');
    const fields = new URLSearchParams(await form.text());
    expect([...fields.keys()]).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'refresh_token_expires_in',
      'scope',
      'token_type',
    ]);
    expect(fields.get('access_token')).toMatch(/^ghu_/);
    expect(fields.get('refresh_token')).toMatch(/^ghr_/);
    expect([
      fields.get('expires_in'),
      fields.get('refresh_token_expires_in'),
      fields.get('token_type'),
    ]).toEqual(['28800', '15897600', 'bearer']);

    const refreshed = (await (
      await ghTokenRequest(github, {
        grant_type: 'refresh_token',
        refresh_token: fields.get('refresh_token') ?? '',
      })
    ).json()) as Record<string, any>;
    expect(refreshed).toMatchObject({ token_type: 'bearer', expires_in: 28800, scope: '' });
    const reuse = await ghTokenRequest(github, {
      grant_type: 'refresh_token',
      refresh_token: fields.get('refresh_token') ?? '',
    });
    expect([reuse.status, await reuse.json()]).toEqual([
      200,
      expect.objectContaining({ error: 'bad_refresh_token' }),
    ]);
    expect((await gh(github, 'GET', '/user', refreshed['access_token'])).body).toMatchObject({
      login: 'octocat',
      id: 583231,
    });
    clock += 8 * HOUR;
    const expired = await gh(github, 'GET', '/user', refreshed['access_token']);
    expect([expired.res.status, expired.body]).toEqual([
      401,
      { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
    ]);
    expect(github.tokenRequests()).toEqual({ authorization_code: 1, refresh_token: 2 });
  });

  it('answers each token endpoint error with HTTP 200 and error, error_description, error_uri', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ client_secret: 'wrong', code: 'x' }, 'incorrect_client_credentials'],
      [{ code: 'nope' }, 'bad_verification_code'],
      [{ grant_type: 'password' }, 'unsupported_grant_type'],
      [{ grant_type: 'refresh_token', refresh_token: 'ghr_nope' }, 'bad_refresh_token'],
    ];
    for (const [params, error] of cases) {
      const res = await ghTokenRequest(github, params);
      const body = (await res.json()) as Record<string, string>;
      expect([res.status, body['error'], Object.keys(body)]).toEqual([
        200,
        error,
        ['error', 'error_description', 'error_uri'],
      ]);
    }
    const strict = await startGitHubFake({ now, redirectUris: ['http://127.0.0.1:1/cb'] });
    const url = new URL('/login/oauth/authorize', strict.url);
    url.search = new URLSearchParams({
      client_id: strict.clientId,
      redirect_uri: 'http://127.0.0.1:1/cb',
    }).toString();
    const code = (await followAuthorize(url)).get('code') ?? '';
    const res = await ghTokenRequest(strict, { code, redirect_uri: 'http://evil/cb' });
    expect(await res.json()).toMatchObject({ error: 'redirect_uri_mismatch' });
    url.searchParams.set('redirect_uri', 'http://evil/cb');
    expect((await followAuthorize(url)).get('error')).toBe('redirect_uri_mismatch');
    strict.setConsentingUser({ login: 'hubot', deny: true });
    url.search = new URLSearchParams({ client_id: strict.clientId, state: 'z' }).toString();
    expect(Object.fromEntries(await followAuthorize(url))).toMatchObject({
      error: 'access_denied',
      state: 'z',
    });
    await strict.close();
  });

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

  it('revokes a grant through DELETE /applications/{client_id}/grant', async () => {
    const token = (await githubDance(github))['access_token'] as string;
    const basic = `Basic ${Buffer.from(`${github.clientId}:${github.clientSecret}`).toString('base64')}`;
    const del = (auth: string) =>
      fetch(`${github.url}/applications/${github.clientId}/grant`, {
        method: 'DELETE',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token }),
      });
    expect((await del('Basic d3Jvbmc6d3Jvbmc=')).status).toBe(404);
    expect((await del(basic)).status).toBe(204);
    expect((await gh(github, 'GET', '/user', token)).res.status).toBe(401);
    expect(github.requests().at(-2)).toMatchObject({
      key: 'DELETE /applications/{client_id}/grant',
      token,
      status: 204,
    });
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
