import type { GitHubFake } from './github.js';
import type { SlackFake } from './slack.js';

/** The fakes' default redirect target; any URI is accepted unless `redirectUris` was set. */
export const DANCE_REDIRECT = 'http://127.0.0.1:1/oauth/callback';

/** Follows one authorize URL like a browser that approves, and reads the callback query. */
export async function followAuthorize(url: URL): Promise<URLSearchParams> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || location === null) throw new Error(`authorize answered ${res.status}`);
  return new URL(location).searchParams;
}

/**
 * Runs Slack's OAuth v2 flow over HTTP against the fake (authorize, then oauth.v2.access) and returns
 * the token response. For tests that need real tokens without going through toolvault's consent.
 */
export async function slackDance(
  fake: SlackFake,
  opts: { userScope?: string; scope?: string } = {},
): Promise<Record<string, unknown>> {
  const url = new URL('/oauth/v2/authorize', fake.url);
  url.searchParams.set('client_id', fake.clientId);
  url.searchParams.set('redirect_uri', DANCE_REDIRECT);
  url.searchParams.set('user_scope', opts.userScope ?? 'chat:write,channels:read,channels:history');
  if (opts.scope !== undefined) url.searchParams.set('scope', opts.scope);
  const code = (await followAuthorize(url)).get('code') ?? '';
  const res = await fetch(new URL('/api/oauth.v2.access', fake.url), {
    method: 'POST',
    body: new URLSearchParams({
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      code,
      redirect_uri: DANCE_REDIRECT,
    }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Runs GitHub's web flow against the fake and returns the JSON token response. */
export async function githubDance(
  fake: GitHubFake,
  opts: { scope?: string } = {},
): Promise<Record<string, unknown>> {
  const url = new URL('/login/oauth/authorize', fake.url);
  url.searchParams.set('client_id', fake.clientId);
  url.searchParams.set('redirect_uri', DANCE_REDIRECT);
  if (opts.scope !== undefined) url.searchParams.set('scope', opts.scope);
  const code = (await followAuthorize(url)).get('code') ?? '';
  const res = await fetch(new URL('/login/oauth/access_token', fake.url), {
    method: 'POST',
    headers: { accept: 'application/json' },
    body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, code }),
  });
  return (await res.json()) as Record<string, unknown>;
}
