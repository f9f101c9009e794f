import { type GitHubFake, startGitHubFake } from '../fakes/github.js';

/** Plain-fetch access to the GitHub fake for its own wire tests (test/integration/fake-github*.test.ts). */

/** A GitHub fake on `now` with the repositories the wire tests use. */
export async function startSeededGitHubFake(now: () => number): Promise<GitHubFake> {
  const github = await startGitHubFake({ now, retryAfterSeconds: 9 });
  github.addRepo({ owner: 'octocat', name: 'hello' });
  github.addRepo({ owner: 'acme', name: 'private', private: true });
  github.addRepo({ owner: 'octocat', name: 'quiet', hasIssues: false });
  return github;
}

/** A REST call. */
export async function gh(
  fake: GitHubFake,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
) {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${fake.url}${path}`, init);
  const text = await res.text();
  return { res, body: (text === '' ? null : JSON.parse(text)) as Record<string, any> };
}

export function ghTokenRequest(fake: GitHubFake, params: Record<string, string>, json = true) {
  return fetch(`${fake.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: json ? { accept: 'application/json' } : {},
    body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, ...params }),
  });
}
