import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiClient, probe, resolveApiUrl } from '../../src/providers/api-client.js';
import { genericDeclaration } from '../../src/providers/generic.js';
import { github } from '../../src/providers/github.js';
import { slack } from '../../src/providers/slack.js';
import type { ConfiguredProvider, ProviderDeclaration } from '../../src/providers/types.js';

const TOKEN = 'xoxe.xoxp-SECRET-TOKEN';
const NOW = Date.parse('2026-11-23T12:00:00Z');

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records every request and answers from a list of responses, in order. */
function recorder(...responses: Array<Response | (() => Response)>) {
  const seen: Seen[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const next = responses.shift();
    if (!next) throw new Error('unexpected request');
    return typeof next === 'function' ? next() : next;
  };
  return { seen, fetch: fetchFn as typeof fetch };
}

function client(declaration: ProviderDeclaration, f: typeof fetch) {
  return createApiClient({ declaration, accessToken: TOKEN, fetch: f, now: () => NOW });
}

describe('the authenticated API client', () => {
  it('puts the token in the Authorization header and nowhere else', async () => {
    const r = recorder(Response.json({ ok: true, channel: 'C1' }));
    const result = await client(slack, r.fetch).request('POST', 'chat.postMessage', {
      json: { channel: 'C1', text: 'hi' },
      query: { pretty: 1 },
      headers: { Authorization: 'Bearer other', 'x-extra': 'y' },
    });
    const sent = r.seen[0]!;
    expect(sent.url).toBe('https://slack.com/api/chat.postMessage?pretty=1');
    expect(sent.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers['x-extra']).toBe('y');
    expect(sent.headers['content-type']).toBe('application/json; charset=utf-8');
    const { authorization: _a, ...others } = sent.headers;
    expect(JSON.stringify([sent.url, sent.body, others])).not.toContain(TOKEN);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(result).toMatchObject({ status: 200, signal: null, error: null, body: { ok: true } });
  });

  it('sends the declared API headers (GitHub)', async () => {
    const r = recorder(Response.json({ id: 1 }));
    await client(github, r.fetch).request('GET', '/repos/o/r/issues/1');
    expect(r.seen[0]!.url).toBe('https://api.github.com/repos/o/r/issues/1');
    expect(r.seen[0]!.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'toolvault',
    });
  });

  it.each([
    'https://evil.test/api/chat.postMessage',
    '//evil.test/api/x',
    '../oauth/v2/authorize',
    'https://slack.com/apix/auth.test',
    'https://user:pw@slack.com/api/auth.test',
    'http://slack.com/api/auth.test',
  ])('refuses to send the token to %s', async (path) => {
    const r = recorder();
    await expect(client(slack, r.fetch).request('GET', path)).rejects.toMatchObject({
      kind: 'config_error',
      code: 'url_outside_api',
    });
    expect(r.seen).toHaveLength(0);
  });

  it('accepts an absolute URL under the API base', () => {
    expect(resolveApiUrl('https://ghe.test/api/v3', 'https://ghe.test/api/v3/user').href).toBe(
      'https://ghe.test/api/v3/user',
    );
  });

  it('follows a redirect only while it stays under the API base', async () => {
    const moved = (to: string) => new Response(null, { status: 301, headers: { location: to } });
    const r = recorder(moved('/repos/new/name'), Response.json({ id: 1 }));
    const ok = await client(github, r.fetch).request('GET', 'repos/old/name');
    expect(ok.status).toBe(200);
    expect(r.seen.map((s) => s.url)).toEqual([
      'https://api.github.com/repos/old/name',
      'https://api.github.com/repos/new/name',
    ]);

    const away = recorder(moved('https://elsewhere.test/steal'));
    const res = await client(github, away.fetch).request('GET', 'repos/old/name');
    expect(res.status).toBe(301);
    expect(away.seen).toHaveLength(1);
  });

  it('turns a timeout into a transient signal', async () => {
    const hang: typeof fetch = (_u, init) =>
      new Promise((_ok, fail) => init?.signal?.addEventListener('abort', () => fail(init.signal?.reason)));
    const api = createApiClient({ declaration: slack, accessToken: TOKEN, fetch: hang, timeoutMs: 20 });
    expect(await api.request('POST', 'auth.test')).toMatchObject({
      status: 0,
      signal: { kind: 'transient', code: 'timeout' },
    });
  });

  it('marks a refused connection as never reached', async () => {
    const s = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((ok) => s.close(() => ok()));
    const d = genericDeclaration('local', {
      type: 'oauth2',
      authorizeUrl: 'http://127.0.0.1:1/a',
      tokenUrl: 'http://127.0.0.1:1/t',
      apiBaseUrl: `http://127.0.0.1:${port}`,
    });
    const res = await createApiClient({ declaration: d, accessToken: TOKEN }).request('GET', 'x');
    expect(res.signal).toEqual({ kind: 'transient', code: 'econnrefused', neverReached: true });
  });
});

describe('Slack API signals', () => {
  const cases: Array<[string, Response, object]> = [
    [
      'invalid_auth',
      Response.json({ ok: false, error: 'invalid_auth' }),
      { signal: { kind: 'expired_access', code: 'invalid_auth' } },
    ],
    [
      'token_expired',
      Response.json({ ok: false, error: 'token_expired' }),
      { signal: { kind: 'expired_access' } },
    ],
    ['token_revoked', Response.json({ ok: false, error: 'token_revoked' }), { signal: { kind: 'revoked' } }],
    [
      'account_inactive',
      Response.json({ ok: false, error: 'account_inactive' }),
      { signal: { kind: 'revoked' } },
    ],
    [
      'missing_scope',
      Response.json({
        ok: false,
        error: 'missing_scope',
        needed: 'chat:write',
        provided: 'channels:read,users:read',
      }),
      {
        signal: {
          kind: 'missing_scope',
          missingScopes: ['chat:write'],
          grantedScopes: ['channels:read', 'users:read'],
        },
      },
    ],
    [
      'HTTP 429 ratelimited',
      Response.json({ ok: false, error: 'ratelimited' }, { status: 429, headers: { 'retry-after': '30' } }),
      { signal: { kind: 'rate_limited', code: 'ratelimited', retryAfterSeconds: 30 } },
    ],
    ['503', new Response('down', { status: 503 }), { signal: { kind: 'transient', code: 'http_503' } }],
    [
      'channel_not_found (not an auth problem)',
      Response.json({ ok: false, error: 'channel_not_found' }),
      { signal: null, error: { status: 200, code: 'channel_not_found' } },
    ],
    [
      'invalid_arguments with Slack’s messages',
      Response.json({
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: ['[ERROR] missing required field: channel'] },
      }),
      {
        signal: null,
        error: { code: 'invalid_arguments', details: ['[ERROR] missing required field: channel'] },
      },
    ],
    ['success', Response.json({ ok: true }), { signal: null, error: null }],
  ];
  it.each(cases)('%s', async (_name, response, expected) => {
    const r = recorder(response);
    expect(
      await client(slack, r.fetch).request('POST', 'chat.postMessage', { form: { channel: 'C1' } }),
    ).toMatchObject(expected);
  });
});

describe('GitHub API signals', () => {
  const h = (status: number, headers: Record<string, string>, body: unknown = { message: 'x' }) =>
    Response.json(body, { status, headers });
  const reset = String(NOW / 1000 + 120);
  const cases: Array<[string, Response, object]> = [
    [
      '401',
      h(401, {}, { message: 'Bad credentials' }),
      { signal: { kind: 'expired_access', code: 'bad_credentials' } },
    ],
    [
      '403 missing scope',
      h(403, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'read:org, gist' }),
      { signal: { kind: 'missing_scope', missingScopes: ['repo'], grantedScopes: ['read:org', 'gist'] } },
    ],
    [
      '403 missing scope asks for the narrowest accepted one',
      h(403, { 'x-accepted-oauth-scopes': 'admin:org, read:org, write:org', 'x-oauth-scopes': 'user' }),
      { signal: { kind: 'missing_scope', missingScopes: ['read:org'] } },
    ],
    [
      '403 with a covering scope is not a scope problem',
      h(403, { 'x-accepted-oauth-scopes': 'public_repo', 'x-oauth-scopes': 'repo' }),
      { signal: null, error: { status: 403, code: 'forbidden' } },
    ],
    [
      '403 primary rate limit waits until reset',
      h(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }),
      { signal: { kind: 'rate_limited', code: 'primary_rate_limit', retryAfterSeconds: 120 } },
    ],
    [
      '403 secondary rate limit with Retry-After',
      h(403, { 'retry-after': '45', 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': reset }),
      { signal: { kind: 'rate_limited', code: 'secondary_rate_limit', retryAfterSeconds: 45 } },
    ],
    [
      '403 secondary rate limit by message alone waits a minute',
      h(403, { 'x-ratelimit-remaining': '10' }, { message: 'You have exceeded a secondary rate limit.' }),
      { signal: { kind: 'rate_limited', retryAfterSeconds: 60 } },
    ],
    ['429', h(429, { 'retry-after': '5' }), { signal: { kind: 'rate_limited', retryAfterSeconds: 5 } }],
    [
      '404 means the token cannot see it',
      h(404, {}),
      { signal: null, error: { status: 404, code: 'not_found' } },
    ],
    [
      '422 validation',
      h(
        422,
        {},
        {
          message: 'Validation Failed',
          errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }],
        },
      ),
      { signal: null, error: { code: 'validation_failed', details: ['Issue.title: missing_field'] } },
    ],
    [
      '403 SSO',
      h(403, { 'x-github-sso': 'required; url=https://github.com/orgs/o/sso' }),
      { error: { code: 'sso_required' } },
    ],
    ['502', h(502, {}), { signal: { kind: 'transient' } }],
  ];
  it.each(cases)('%s', async (_name, response, expected) => {
    const r = recorder(response);
    expect(await client(github, r.fetch).request('GET', 'repos/o/r')).toMatchObject(expected);
  });
});

describe('probe', () => {
  const configured: ConfiguredProvider = {
    declaration: slack,
    settings: { clientId: 'c', clientSecret: 's' },
  };

  it('says valid and names the account from auth.test', async () => {
    const r = recorder(Response.json({ ok: true, user_id: 'U1', team_id: 'T1', user: 'ada' }));
    expect(await probe(configured, TOKEN, r.fetch)).toEqual({
      verdict: 'valid',
      account: { id: 'U1', team: 'T1', name: 'ada' },
      status: 200,
    });
    expect(r.seen[0]).toMatchObject({ url: 'https://slack.com/api/auth.test', method: 'POST' });
  });

  it('says invalid only on the provider’s word, unknown on outages, rate limits and not_authed', async () => {
    const one = async (res: Response) => (await probe(configured, TOKEN, recorder(res).fetch)).verdict;
    expect(await one(Response.json({ ok: false, error: 'invalid_auth' }))).toBe('invalid');
    expect(await one(Response.json({ ok: false, error: 'not_authed' }))).toBe('unknown');
    expect(await one(new Response('', { status: 503 }))).toBe('unknown');
    expect(await one(Response.json({ ok: false, error: 'ratelimited' }, { status: 429 }))).toBe('unknown');
    const failing: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await probe(configured, TOKEN, failing)).toEqual({ verdict: 'unknown', status: 0 });
  });
});
