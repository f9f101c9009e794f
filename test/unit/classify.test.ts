import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyTokenError,
  kindOfCode,
  type TokenFailure,
  toToolvaultError,
} from '../../src/auth/refresh/classify.js';
import { ToolvaultError } from '../../src/errors.js';
import { adaptGithubTokenResponse, github } from '../../src/providers/github.js';
import { slack } from '../../src/providers/slack.js';
import type { ProviderDeclaration } from '../../src/providers/types.js';

/**
 * Every failure shape openid-client 6 produces at a token endpoint, produced for real: openid-client talks
 * to a local server that answers each case, and the classifier judges what openid-client threw.
 */

const REFRESH = 'rt-secret-do-not-leak';
const SECRET_TEXT = 'xoxe-1-secret-in-body';

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const routes: Record<string, (res: ServerResponse) => void> = {
  '/invalid-grant': (r) => json(r, 400, { error: 'invalid_grant', error_description: SECRET_TEXT }),
  '/invalid-request': (r) => json(r, 400, { error: 'invalid_request' }),
  '/unsupported-grant-type': (r) => json(r, 400, { error: 'unsupported_grant_type' }),
  '/invalid-client': (r) => json(r, 401, { error: 'invalid_client' }),
  '/invalid-client-challenge': (r) =>
    json(
      r,
      401,
      { error: 'invalid_client' },
      { 'www-authenticate': 'Basic realm="token", error="invalid_client"' },
    ),
  '/atlassian-403-invalid-grant': (r) => json(r, 403, { error: 'invalid_grant' }),
  '/slack-invalid-refresh': (r) => json(r, 200, { ok: false, error: 'invalid_refresh_token' }),
  '/slack-invalid-grant-type': (r) => json(r, 200, { ok: false, error: 'invalid_grant_type' }),
  '/slack-ratelimited': (r) => json(r, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '30' }),
  '/slack-success': (r) =>
    json(r, 200, { ok: true, access_token: SECRET_TEXT, token_type: 'user', refresh_token: 'xoxe-1-new' }),
  '/github-bad-refresh': (r) =>
    json(r, 200, {
      error: 'bad_refresh_token',
      error_description: 'The refresh token passed is incorrect or expired.',
    }),
  '/github-bad-credentials': (r) => json(r, 200, { error: 'incorrect_client_credentials' }),
  '/500-json': (r) => json(r, 500, { message: 'boom' }),
  '/500-invalid-grant': (r) => json(r, 500, { error: 'invalid_grant' }),
  '/503-html': (r) => {
    r.writeHead(503, { 'content-type': 'text/html' });
    r.end(`<html><body>Service Unavailable ${SECRET_TEXT}</body></html>`);
  },
  '/429-seconds': (r) => json(r, 429, { message: 'slow down' }, { 'retry-after': '7' }),
  '/429-date': (r) => json(r, 429, {}, { 'retry-after': new Date(Date.now() + 20_000).toUTCString() }),
  '/200-html': (r) => {
    r.writeHead(200, { 'content-type': 'text/html' });
    r.end('<html>login</html>');
  },
  '/404': (r) => json(r, 404, { message: 'Not Found' }),
  '/hang': () => {},
};

let server: Server;
let base: string;
let closedPortBase: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const route = routes[req.url ?? ''];
    if (route) route(res);
    else json(res, 418, { error: 'no_route' });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  closedPortBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((ok) => closed.close(() => ok()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

type Adapter = (r: Response) => Promise<Response>;

/** openid-client's error code (or name) for what it threw: proves each shape was really produced. */
let lastShape: string | undefined;

async function refreshFailure(
  path: string,
  opts: { declaration?: ProviderDeclaration; adapt?: Adapter; base?: string } = {},
): Promise<TokenFailure> {
  const root = opts.base ?? base;
  const config = new oidc.Configuration(
    { issuer: root, token_endpoint: `${root}${path}` },
    'client-id',
    undefined,
    oidc.ClientSecretPost('client-secret'),
  );
  oidc.allowInsecureRequests(config);
  config.timeout = 0.3;
  const adapt = opts.adapt;
  if (adapt) config[oidc.customFetch] = async (url, init) => adapt(await fetch(url, init as RequestInit));
  let thrown: unknown;
  try {
    await oidc.refreshTokenGrant(config, REFRESH);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `${path} should fail`).toBeDefined();
  const t = thrown as { code?: unknown; name?: unknown };
  lastShape = typeof t.code === 'string' ? t.code : String(t.name);
  const failure = classifyTokenError(thrown, opts.declaration, Date.now());
  expect(failure.message).not.toContain(REFRESH);
  expect(failure.message).not.toContain(SECRET_TEXT);
  return failure;
}

const slackAdapt = slack.adaptTokenResponse!;

describe('classifyTokenError with real openid-client failures', () => {
  const table: Array<{
    name: string;
    path: string;
    declaration?: ProviderDeclaration;
    adapt?: Adapter;
    shape: string;
    expected: Partial<TokenFailure>;
  }> = [
    {
      name: '400 invalid_grant is a definitive grant error',
      path: '/invalid-grant',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'revoked', code: 'invalid_grant', status: 400, definitiveGrantError: true },
    },
    {
      name: '400 invalid_request is the app’s problem',
      path: '/invalid-request',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'invalid_request', definitiveGrantError: false },
    },
    {
      name: 'a wrong grant type never reads as a dead credential (seed 004)',
      path: '/unsupported-grant-type',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'unsupported_grant_type', definitiveGrantError: false },
    },
    {
      name: '401 invalid_client body',
      path: '/invalid-client',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'config_error', code: 'invalid_client', status: 401, definitiveGrantError: false },
    },
    {
      name: '401 with a WWW-Authenticate challenge',
      path: '/invalid-client-challenge',
      shape: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      expected: { kind: 'config_error', code: 'invalid_client', status: 401, definitiveGrantError: false },
    },
    {
      name: 'invalid_grant counts by code, not status (Atlassian answers 403)',
      path: '/atlassian-403-invalid-grant',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      expected: { kind: 'revoked', status: 403, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 invalid_refresh_token through the Slack adapter',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'revoked', code: 'invalid_refresh_token', status: 400, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 invalid_refresh_token without the adapter, read from the hidden body',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      declaration: slack,
      expected: { kind: 'revoked', code: 'invalid_refresh_token', status: 200, definitiveGrantError: true },
    },
    {
      name: 'Slack 200 error without adapter or declaration is not understood, so not definitive',
      path: '/slack-invalid-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      expected: { kind: 'unknown', code: 'invalid_refresh_token', definitiveGrantError: false },
    },
    {
      name: 'Slack invalid_grant_type is config, never a downgrade',
      path: '/slack-invalid-grant-type',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'config_error', code: 'invalid_grant_type', definitiveGrantError: false },
    },
    {
      name: 'Slack ratelimited keeps Retry-After',
      path: '/slack-ratelimited',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: slack,
      adapt: slackAdapt,
      expected: { kind: 'rate_limited', code: 'ratelimited', status: 429, retryAfterSeconds: 30 },
    },
    {
      name: 'Slack success without the adapter (token_type user) is a config problem',
      path: '/slack-success',
      shape: 'OAUTH_UNSUPPORTED_OPERATION',
      declaration: slack,
      expected: { kind: 'config_error', definitiveGrantError: false },
    },
    {
      name: 'GitHub 200 bad_refresh_token through the GitHub adapter',
      path: '/github-bad-refresh',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: github,
      adapt: adaptGithubTokenResponse,
      expected: { kind: 'revoked', code: 'bad_refresh_token', status: 400, definitiveGrantError: true },
    },
    {
      name: 'GitHub 200 bad_refresh_token without the adapter',
      path: '/github-bad-refresh',
      shape: 'OAUTH_INVALID_RESPONSE',
      declaration: github,
      expected: { kind: 'revoked', code: 'bad_refresh_token', definitiveGrantError: true },
    },
    {
      name: 'GitHub incorrect_client_credentials',
      path: '/github-bad-credentials',
      shape: 'OAUTH_RESPONSE_BODY_ERROR',
      declaration: github,
      adapt: adaptGithubTokenResponse,
      expected: { kind: 'config_error', code: 'incorrect_client_credentials', definitiveGrantError: false },
    },
    {
      name: '500 without an error code',
      path: '/500-json',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 500, definitiveGrantError: false },
    },
    {
      name: '500 even with invalid_grant is the server’s trouble',
      path: '/500-invalid-grant',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 500, definitiveGrantError: false },
    },
    {
      name: 'HTML 503',
      path: '/503-html',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'transient', status: 503, definitiveGrantError: false },
    },
    {
      name: '429 with Retry-After seconds',
      path: '/429-seconds',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'rate_limited', status: 429, retryAfterSeconds: 7 },
    },
    {
      name: 'HTML 200',
      path: '/200-html',
      shape: 'OAUTH_RESPONSE_IS_NOT_JSON',
      expected: { kind: 'unknown', definitiveGrantError: false },
    },
    {
      name: '404 token endpoint',
      path: '/404',
      shape: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      expected: { kind: 'config_error', status: 404 },
    },
    {
      name: 'timeout',
      path: '/hang',
      shape: 'OAUTH_TIMEOUT',
      expected: { kind: 'transient', code: 'timeout', definitiveGrantError: false },
    },
  ];

  for (const c of table) {
    it(c.name, async () => {
      const opts: { declaration?: ProviderDeclaration; adapt?: Adapter } = {};
      if (c.declaration) opts.declaration = c.declaration;
      if (c.adapt) opts.adapt = c.adapt;
      expect(await refreshFailure(c.path, opts)).toMatchObject(c.expected);
      expect(lastShape).toBe(c.shape);
    });
  }

  it('429 with an HTTP-date Retry-After', async () => {
    const f = await refreshFailure('/429-date');
    expect(f.kind).toBe('rate_limited');
    expect(f.retryAfterSeconds).toBeGreaterThanOrEqual(18);
    expect(f.retryAfterSeconds).toBeLessThanOrEqual(21);
  });

  it('connection refused is transient and provably never reached the provider', async () => {
    const f = await refreshFailure('/token', { base: closedPortBase });
    expect(lastShape).toBe('TypeError');
    expect(f).toMatchObject({
      kind: 'transient',
      code: 'econnrefused',
      neverReached: true,
      definitiveGrantError: false,
    });
  });
});

describe('classifyTokenError on other inputs', () => {
  it('classifies DOMException timeouts and aborts from a plain fetch', () => {
    expect(classifyTokenError(new DOMException('t', 'TimeoutError')).kind).toBe('transient');
    expect(classifyTokenError(new DOMException('a', 'AbortError')).code).toBe('aborted');
  });

  it('classifies a bare fetch failed as transient', () => {
    expect(classifyTokenError(new TypeError('fetch failed'))).toMatchObject({
      kind: 'transient',
      code: 'network_error',
    });
  });

  it('keeps a ToolvaultError’s own classification', () => {
    const err = new ToolvaultError('rate_limited', 'x', { code: 'ratelimited', retryAfterSeconds: 3 });
    expect(classifyTokenError(err)).toMatchObject({
      kind: 'rate_limited',
      code: 'ratelimited',
      retryAfterSeconds: 3,
    });
  });

  it('applies provider codes first, then RFC 6749, and lets a 5xx or 429 status override any code', () => {
    expect(kindOfCode('invalid_refresh_token', 400, slack)).toBe('revoked');
    expect(kindOfCode('invalid_refresh_token', 400)).toBe('unknown');
    expect(kindOfCode('invalid_scope', 400)).toBe('config_error');
    expect(kindOfCode('invalid_grant', 502)).toBe('transient');
    expect(kindOfCode('invalid_grant', 429)).toBe('rate_limited');
  });

  it('calls anything else unknown, never revoked', () => {
    expect(classifyTokenError(new Error('disk full'))).toMatchObject({
      kind: 'unknown',
      definitiveGrantError: false,
    });
    expect(classifyTokenError('weird')).toMatchObject({ kind: 'unknown', definitiveGrantError: false });
  });

  it('builds a ToolvaultError without the original cause (bodies may hold tokens)', () => {
    const err = toToolvaultError({
      kind: 'revoked',
      code: 'invalid_grant',
      status: 400,
      definitiveGrantError: true,
      message: 'm',
    });
    expect(err).toMatchObject({ kind: 'revoked', code: 'invalid_grant', status: 400 });
    expect(err.cause).toBeUndefined();
  });
});
