import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { classifyTokenError, type TokenFailure } from '../../src/auth/refresh/classify.js';
import type { ProviderDeclaration } from '../../src/providers/types.js';

/**
 * A local token endpoint that answers each failure shape a provider can produce (one path per shape), and
 * a refresh through real openid-client against it, judged by the classifier: test/unit/classify*.test.ts.
 */

export const REFRESH = 'rt-secret-do-not-leak';
export const SECRET_TEXT = 'xoxe-1-secret-in-body';

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

export type Adapter = (r: Response) => Promise<Response>;

export interface FailingTokenEndpoint {
  base: string;
  /** A port nothing listens on: connection refused. */
  closedPortBase: string;
  /** Refreshes at `path` through openid-client; returns the classified failure (and checks it leaks nothing). */
  refreshFailure(
    path: string,
    opts?: { declaration?: ProviderDeclaration; adapt?: Adapter; base?: string },
  ): Promise<TokenFailure>;
  /** openid-client's error code (or name) for what it last threw: proves each shape was really produced. */
  lastShape(): string | undefined;
  close(): Promise<void>;
}

export async function startFailingTokenEndpoint(): Promise<FailingTokenEndpoint> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const route = routes[req.url ?? ''];
    if (route) route(res);
    else json(res, 418, { error: 'no_route' });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const closedPortBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((ok) => closed.close(() => ok()));
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

  return {
    base,
    closedPortBase,
    refreshFailure,
    lastShape: () => lastShape,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
