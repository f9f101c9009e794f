import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DANCE_REDIRECT, followAuthorize, githubDance } from '../fakes/dance.js';
import { type GitHubFake, startGitHubFake } from '../fakes/github.js';
import { gh, ghTokenRequest, startSeededGitHubFake } from '../support/github-fake-wire.js';

/** The GitHub fake's OAuth wire behaviour (token endpoint, errors, grant revocation), checked with plain fetch (no toolvault code). */
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
});
