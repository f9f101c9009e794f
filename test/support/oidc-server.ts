import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Provider from 'oidc-provider';
import { type Clock, systemClock } from '../../src/clock.js';
import type { ProviderConfig } from '../../src/app/config.js';
import {
  type AuthorizationServerOptions,
  createAuthorizationServer,
  type DemoAuthorizationServer,
} from '../../src/providers/demo/authorization-server.js';

/**
 * Faults the token endpoint can be told to produce, and what each looks like on the wire:
 * - `500`: HTTP 500, JSON `{"error":"server_error"}` (openid-client: ClientError OAUTH_RESPONSE_IS_NOT_CONFORM,
 *   it never reads error bodies of 5xx).
 * - `503_html`: HTTP 503, `text/html` proxy page (same openid-client error as 500).
 * - `timeout`: the request is read, then nothing is ever sent; the socket is held until `close()`.
 * - `reset`: the request is read, then the TCP connection is reset (fetch: `TypeError: fetch failed`).
 * - `invalid_request` / `unsupported_grant_type`: HTTP 400 JSON `{"error": kind}` (ResponseBodyError).
 * - `invalid_client`: HTTP 401 JSON `{"error":"invalid_client"}`, plus `WWW-Authenticate: Basic` when the
 *   client authenticated with a header — exactly as oidc-provider answers a bad secret.
 * - `lose_response`: the provider processes the request for real (a refresh rotates: the old refresh token
 *   is consumed, the new one saved), then the socket is destroyed instead of the 200 being sent.
 * None but `lose_response` reaches the provider, so nothing changes state at the server.
 */
export type TokenFault =
  | '500'
  | '503_html'
  | 'timeout'
  | 'reset'
  | 'invalid_request'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'lose_response';

/** One request to the token endpoint. */
export interface TokenRequestRecord {
  grantType: string | null;
  /** Arrival time by the harness clock (ms). */
  at: number;
  /** Status the server produced; null when nothing was produced (`timeout`, `reset`). With `lose_response`,
   * the status the provider produced but never delivered. */
  status: number | null;
  fault: TokenFault | null;
}

/** Options of {@link startOidcServer}; everything has a test-friendly default. */
export interface OidcServerOptions extends Partial<
  Omit<AuthorizationServerOptions, 'issuer' | 'clients' | 'cookieKeys'>
> {
  clientId?: string;
  clientSecret?: string;
  /** Registered redirect URIs of the client. Default `http://127.0.0.1/callback`. */
  redirectUris?: string[];
  cookieKeys?: string[];
  /** Default `client_secret_post`. */
  authMethod?: 'client_secret_post' | 'client_secret_basic';
  /** Timestamps token request records. Default the system clock. */
  clock?: Clock;
}

/** A running demo authorization server with fault injection on its token endpoint. */
export interface OidcServer {
  /** The issuer (`http://127.0.0.1:PORT`), also the base URL. */
  issuer: string;
  url: string;
  tokenEndpoint: string;
  provider: Provider;
  authorizationServer: DemoAuthorizationServer;
  clientId: string;
  clientSecret: string;
  tokenRequests(): TokenRequestRecord[];
  clearTokenRequests(): void;
  /** The next `count` (default 1) token requests, of any grant type, fail with `kind`. */
  failNext(kind: TokenFault, count?: number): void;
  /**
   * Replaces the client's registered redirect URIs, for when the client (toolvault on port 0) starts after this
   * server. Patches oidc-provider's cached static client, an internal that is plain data in v9.
   */
  setRedirectUris(uris: string[]): Promise<void>;
  /** Revokes every grant of the account: refresh → invalid_grant, userinfo with its tokens → 401. */
  revokeGrantFor(accountId: string): number;
  revokeAll(): number;
  close(): Promise<void>;
}

/** Starts the demo authorization server standalone on 127.0.0.1, on a free port. */
export async function startOidcServer(opts: OidcServerOptions = {}): Promise<OidcServer> {
  const {
    clientId = 'test-client',
    clientSecret = 'test-secret',
    clock = systemClock,
    redirectUris = ['http://127.0.0.1/callback'],
    cookieKeys = ['test-cookie-key-1', 'test-cookie-key-2'],
    authMethod = 'client_secret_post',
    ...rest
  } = opts;
  const records: TokenRequestRecord[] = [];
  const faults: TokenFault[] = [];
  const held = new Set<Socket>();
  // Requests handed to the provider, so its middleware can fill in the grant type it parsed.
  const passing = new WeakMap<IncomingMessage, TokenRequestRecord>();
  // eslint-disable-next-line prefer-const -- set once the port (and so the issuer) is known; handlers read it first
  let auth: DemoAuthorizationServer | undefined;
  let tokenPath = '/token';

  const server = createServer((req, res) => {
    if (!auth) {
      res.writeHead(503).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === tokenPath) {
      handleToken(auth, req, res).catch((err: unknown) =>
        res.destroy(err instanceof Error ? err : undefined),
      );
      return;
    }
    auth.listener(req, res);
  });

  async function handleToken(a: DemoAuthorizationServer, req: IncomingMessage, res: ServerResponse) {
    const record: TokenRequestRecord = { grantType: null, at: clock.now(), status: null, fault: null };
    records.push(record);
    const fault = faults.shift();
    if (fault === undefined || fault === 'lose_response') {
      passing.set(req, record);
      if (fault) {
        record.fault = fault;
        // Koa sends the whole token response with one res.end(): swallow it and drop the connection.
        res.end = ((..._args: unknown[]) => {
          record.status = res.statusCode;
          req.socket.destroy();
          return res;
        }) as typeof res.end;
      } else {
        res.on('finish', () => {
          record.status = res.statusCode;
        });
      }
      a.listener(req, res);
      return;
    }
    record.fault = fault;
    // Read the body so the grant type is known; the provider never sees this request.
    const body = await readBody(req);
    record.grantType = new URLSearchParams(body).get('grant_type');
    if (fault === 'timeout') {
      held.add(req.socket);
      return;
    }
    if (fault === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    const reply = faultReply(fault, req);
    record.status = reply.status;
    res.writeHead(reply.status, {
      'content-type': reply.type,
      'cache-control': 'no-store',
      ...reply.headers,
    });
    res.end(reply.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  auth = createAuthorizationServer({
    ...rest,
    issuer,
    cookieKeys,
    clients: [{ clientId, clientSecret, redirectUris, authMethod }],
  });
  const { provider } = auth;
  tokenPath = new URL(provider.urlFor('token')).pathname;
  provider.use(async (ctx, next) => {
    await next();
    const record = passing.get(ctx.req);
    if (record) {
      const grantType = ctx.oidc.body?.['grant_type'];
      record.grantType = typeof grantType === 'string' ? grantType : null;
    }
  });

  return {
    issuer,
    url: issuer,
    tokenEndpoint: `${issuer}${tokenPath}`,
    provider,
    authorizationServer: auth,
    clientId,
    clientSecret,
    tokenRequests: () => records.map((r) => ({ ...r })),
    clearTokenRequests: () => {
      records.length = 0;
    },
    failNext: (kind, count = 1) => {
      for (let i = 0; i < count; i++) faults.push(kind);
    },
    setRedirectUris: async (uris) => {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error(`client ${clientId} not found`);
      Object.assign(client, { redirectUris: [...uris] });
    },
    revokeGrantFor: (accountId) => auth.revokeGrantsFor(accountId),
    revokeAll: () => auth.revokeAll(),
    close: async () => {
      for (const socket of held) socket.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

interface FaultReply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

function faultReply(fault: Exclude<TokenFault, 'timeout' | 'reset' | 'lose_response'>, req: IncomingMessage) {
  const json = (status: number, error: string, description: string): FaultReply => ({
    status,
    type: 'application/json; charset=utf-8',
    body: JSON.stringify({ error, error_description: description }),
  });
  switch (fault) {
    case '500':
      return json(500, 'server_error', 'injected fault: internal error');
    case '503_html':
      return {
        status: 503,
        type: 'text/html; charset=utf-8',
        body: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>',
      };
    case 'invalid_request':
      return json(400, 'invalid_request', 'injected fault: invalid request');
    case 'unsupported_grant_type':
      return json(400, 'unsupported_grant_type', 'injected fault: unsupported grant type');
    case 'invalid_client': {
      const reply = json(401, 'invalid_client', 'client authentication failed');
      if (req.headers.authorization !== undefined) {
        reply.headers = { 'www-authenticate': 'Basic realm="injected", error="invalid_client"' };
      }
      return reply;
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * toolvault's configuration for `as` as the provider `demo`: a generic OIDC provider whose userinfo the
 * `demo_whoami` tool calls, so a test drives the whole token path (refresh, rotation, reuse detection).
 */
export function asDemoProvider(
  as: Pick<OidcServer, 'issuer' | 'clientId' | 'clientSecret'>,
  extra: Partial<ProviderConfig> = {},
): { demo: ProviderConfig } {
  return {
    demo: {
      type: 'oidc',
      issuer: as.issuer,
      clientId: as.clientId,
      clientSecret: as.clientSecret,
      apiBaseUrl: as.issuer,
      ...extra,
    },
  };
}
