import { generateKeyPair, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type IRouter, type Router } from 'express';
import Provider, { type Configuration } from 'oidc-provider';
import { interactionRouter } from './interaction.js';
import { escapeHtml } from './login-page.js';
import { MemoryStore } from './memory-store.js';

/** A registered client of the demo authorization server. */
export interface DemoClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Shown on the sign-in page; defaults to the client id. */
  clientName?: string;
  /** oidc-provider accepts only the one registered method per client. Default `client_secret_post`. */
  authMethod?: 'client_secret_post' | 'client_secret_basic';
}

/** Options of {@link createAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /** Public URL of the server, including the path it is mounted at (`https://host/demo`). */
  issuer: string;
  clients: DemoClient[];
  /** Default 300. */
  accessTokenTtlSec?: number;
  /** Default 14 days. */
  refreshTokenTtlSec?: number;
  /** Default true: every refresh returns a new refresh token and replaying an old one revokes the grant. */
  rotateRefreshToken?: boolean;
  /** Default `openid offline_access profile api:read api:write`. */
  scopes?: string[];
  /** Keys signing the provider's cookies; fixed so sign-ins survive a restart of the handler. */
  cookieKeys: string[];
  /** Heading of the sign-in page. Default "Demo sign-in". */
  loginTitle?: string;
  /** Trust X-Forwarded-* (behind a TLS-terminating proxy). Default false. */
  trustProxy?: boolean;
  /** RSA private JWK signing ID tokens (see {@link generateSigningKey}); default one made synchronously. */
  signingKey?: JsonWebKey;
}

/** The demo OAuth authorization server: oidc-provider plus its sign-in pages. */
export interface DemoAuthorizationServer {
  provider: Provider;
  /** Path part of the issuer, without trailing slash (`/demo`, or `''` at the root). */
  mountPath: string;
  /** Interaction pages and the provider; mount it at {@link mountPath}. */
  router: Router;
  /** A complete request listener for `http.createServer`, serving {@link router} at {@link mountPath}. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Revokes every grant of an account: its refresh tokens fail with invalid_grant, its access tokens die. */
  revokeGrantsFor(accountId: string): number;
  /** Revokes every grant. Returns how many. */
  revokeAll(): number;
}

const DEFAULT_SCOPES = ['openid', 'offline_access', 'profile', 'api:read', 'api:write'];
const DAY_SEC = 24 * 60 * 60;

/** Builds the demo provider's authorization server (no listening socket; see `listener` and `router`). */
export function createAuthorizationServer(opts: AuthorizationServerOptions): DemoAuthorizationServer {
  const issuerUrl = new URL(opts.issuer);
  const mountPath = issuerUrl.pathname.replace(/\/+$/, '');
  const store = new MemoryStore();
  const names = new Map<string, string>();
  const refreshTtl = opts.refreshTokenTtlSec ?? 14 * DAY_SEC;

  const configuration: Configuration = {
    adapter: store.adapter,
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      ...(c.clientName === undefined ? {} : { client_name: c.clientName }),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: c.authMethod ?? 'client_secret_post',
    })),
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    scopes: opts.scopes ?? DEFAULT_SCOPES,
    claims: { openid: ['sub'], profile: ['name'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // A client may revoke only tokens issued to it (RFC 7009 §2.1).
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      // Without a `resource` parameter tokens are opaque and good for userinfo; with the feature on, a client
      // sending `resource` would hit the unconfigured getResourceServerInfo and get invalid_target.
      resourceIndicators: { enabled: false },
    },
    rotateRefreshToken: opts.rotateRefreshToken ?? true,
    // Default is "client allowed refresh AND offline_access survived". oidc-provider drops offline_access when
    // the request carries a prompt without `consent`; a demo provider should issue refresh tokens regardless.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Default binds tokens without offline_access to the browser session; tokens here outlive any session.
    expiresWithSession: async () => false,
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: names.get(sub) ?? sub }),
    }),
    interactions: { url: async (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    allowOmittingSingleRegisteredRedirectUri: true,
    cookies: { keys: opts.cookieKeys },
    jwks: { keys: [signingKey(opts.signingKey)] },
    // Seconds of skew accepted on JWTs clients send (none in this configuration) — kept small but non-zero.
    clockTolerance: 5,
    ttl: {
      AccessToken: opts.accessTokenTtlSec ?? 300,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * DAY_SEC,
      RefreshToken: refreshTtl,
      // A grant must outlive its refresh tokens, or the refresh fails with "grant not found".
      Grant: Math.max(refreshTtl, 14 * DAY_SEC),
    },
    // oidc-provider's own error page echoes nothing sensitive, but keep it plain and free of stack traces.
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><p>${escapeHtml(String(out['error'] ?? 'error'))}: ${escapeHtml(String(out['error_description'] ?? ''))}</p></main></body></html>`;
    },
  };

  const provider = new Provider(opts.issuer, configuration);
  if (opts.trustProxy) provider.proxy = true;

  const router = express.Router();
  router.use(
    interactionRouter({
      provider,
      title: opts.loginTitle ?? 'Demo sign-in',
      rememberName: (id, name) => names.set(id, name),
    }),
  );
  // Koa composes its middleware when callback() is called: build it on the first request so `provider.use()`
  // after creation (the test harness records token requests that way) still takes effect.
  let callback: ReturnType<Provider['callback']> | undefined;
  router.use((req, res) => {
    callback ??= provider.callback();
    // Koa's handler settles its own errors into the response; the promise carries nothing to await.
    void callback(req, res);
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(mountPath || '/', router);

  const revoke = (grantIds: string[]): number => {
    for (const id of grantIds) store.revokeGrant(id);
    return grantIds.length;
  };

  return {
    provider,
    mountPath,
    router,
    listener: app,
    revokeGrantsFor: (accountId) => revoke(store.grantIdsFor(accountId)),
    revokeAll: () => revoke(store.allGrantIds()),
  };
}

/** Mounts the server's router on an express app or router at its issuer path (e.g. `/demo`). */
export function mountAuthorizationServer(app: IRouter, server: DemoAuthorizationServer): void {
  app.use(server.mountPath || '/', server.router);
}

let cachedKey: JsonWebKey | undefined;

/**
 * ID-token signing key, generated once per process (~100 ms for RSA). Without `jwks` oidc-provider uses
 * well-known development keys and warns; tokens from a key only this process knows are fine because the
 * in-memory store dies with the process too.
 */
function signingKey(given?: JsonWebKey): JsonWebKey & { kty: 'RSA'; kid: string; use: 'sig' } {
  const key =
    given ??
    (cachedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }));
  return { ...key, kty: 'RSA', kid: 'demo-rs256', use: 'sig' };
}

/** The same key made off the event loop (libuv's pool), so a server starting up keeps answering meanwhile. */
export async function generateSigningKey(): Promise<JsonWebKey> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'jwk' });
}
