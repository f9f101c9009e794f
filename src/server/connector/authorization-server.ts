import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Request, type RequestHandler } from 'express';
import Provider, { type Configuration, errors } from 'oidc-provider';
import { MemoryStore } from '../../providers/demo/memory-store.js';
import { generateSigningKey } from '../../providers/demo/authorization-server.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { People } from '../web/people.js';
import { RateLimiter } from '../rate-limit.js';
import { consentRouter } from './consent.js';
import { type GrantBook, type GrantRow, grantsOf, grantsRouter } from './grants.js';

/**
 * toolvault as the OAuth 2.1 authorization server of its own `/mcp` (issue 14), so hosted agents (claude.ai,
 * ChatGPT, Cursor, VS Code) reach it with no static key: oidc-provider mounted at `/as`, authorization code
 * with PKCE S256 only, dynamic client registration (rate limited, optionally behind an initial access token),
 * public clients (`none`), RFC 8707 resource indicators with the `/mcp` URL as the only resource and
 * audience, rotating refresh tokens, revocation, RFC 9207 `iss`. People sign in with toolvault's own sign-in
 * (consent.ts); the tokens' subject is the vault user.
 *
 * The provider is built on first use: the public URL (and so the issuer) is known only once the listener is up.
 */

export const AS_PATH = '/as';
const DAY_SEC = 24 * 3600;

export interface ConnectorOptions {
  publicUrl: () => string;
  people: People;
  log: Logger;
  clock: Clock;
  /** Cookie keys of the provider's interaction cookies. */
  cookieKeys: string[];
  /** When set, DCR requires it as a bearer token (RFC 7591 initial access token). */
  initialAccessToken?: string;
  /** Registrations per client IP per minute. Default 10. */
  registrationsPerMinute?: number;
  accessTokenTtlSec?: number;
  trustProxy?: boolean;
}

/** A verified access token of this server. */
export interface ConnectorCaller {
  userId: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
}

export interface Connector {
  issuer(): string;
  /** Mounts `/as` and the RFC 8414 metadata at `/.well-known/oauth-authorization-server/as`. */
  mount(app: Express): void;
  /**
   * The caller of an access token of this server: null when it is not one of ours (or expired, or revoked),
   * a string saying why when it is ours but not for `/mcp`.
   */
  verify(token: string): Promise<ConnectorCaller | string | null>;
  /** The grants a vault user gave to connector clients (for /admin and the person's own page). */
  grantsOf(userId: string): Promise<GrantRow[]>;
  /** Ends a grant: its refresh and access tokens die with it. */
  revokeGrant(grantId: string): void;
  /** The oidc-provider instance (built on first use): revocation by operators, tests. */
  provider(): Promise<Provider>;
}

export function createConnector(o: ConnectorOptions): Connector {
  const issuer = () => `${o.publicUrl()}${AS_PATH}`;
  const resource = () => `${o.publicUrl()}/mcp`;
  const store = new MemoryStore();
  const book: GrantBook = {
    idsFor: (userId) => store.grantIdsFor(userId),
    revoke: (grantId) => store.revokeGrant(grantId),
  };
  let built: Promise<{ provider: Provider; app: Express }> | undefined;

  const build = async () => {
    const configuration: Configuration = {
      adapter: store.adapter,
      clients: [],
      clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes: ['openid', 'offline_access', 'mcp'],
      responseTypes: ['code'],
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        registration: {
          enabled: true,
          ...(o.initialAccessToken ? { initialAccessToken: o.initialAccessToken } : {}),
        },
        // CIMD: a client_id that is an https URL is fetched by oidc-provider itself: https only, 2.5 s timeout,
        // a body size cap, HTTP caching (30 s to a day), special-use and private addresses refused at connect
        // time, redirect_uris and name from the document, no shared-secret auth methods.
        clientIdMetadataDocument: { enabled: true, ack: 'draft-02' },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        resourceIndicators: {
          enabled: true,
          // RFC 8707 on every request: no default, so a request without `resource` is invalid_target.
          defaultResource: () => {
            throw new errors.InvalidTarget('the resource parameter is required (RFC 8707)');
          },
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== resource()) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
            return {
              scope: 'mcp',
              audience: resource(),
              accessTokenTTL: o.accessTokenTtlSec ?? 3600,
              accessTokenFormat: 'opaque',
            };
          },
        },
      },
      rotateRefreshToken: true,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      interactions: { url: async (_ctx, interaction) => `${AS_PATH}/interaction/${interaction.uid}` },
      cookies: { keys: o.cookieKeys },
      jwks: { keys: [{ ...(await generateSigningKey()), kty: 'RSA', kid: 'connector-rs256', use: 'sig' }] },
      clockTolerance: 5,
      ttl: {
        AccessToken: o.accessTokenTtlSec ?? 3600,
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 600,
        Session: 14 * DAY_SEC,
        RefreshToken: 30 * DAY_SEC,
        Grant: 30 * DAY_SEC,
      },
      // Its error page shows the error code only, never a stack trace.
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head><body><main><h1>Authorization error</h1><p>${String(out['error'] ?? 'error').replace(/[^a-z_]/g, '')}</p></main></body></html>`;
      },
    };
    const provider = new Provider(issuer(), configuration);
    if (o.trustProxy) provider.proxy = true;
    const app = express();
    app.disable('x-powered-by');
    const router = express.Router();
    router.use(consentRouter({ provider, people: o.people, log: o.log, resource }));
    router.use(grantsRouter({ provider, book, people: o.people, log: o.log }));
    router.post('/reg', registrationLimit(o.registrationsPerMinute ?? 10, o.clock));
    const callback = provider.callback();
    router.use((req, res) => void callback(req, res));
    app.use(AS_PATH, router);
    return { provider, app };
  };
  const ready = () => (built ??= build());

  const handler: RequestHandler = (req, res, next) => {
    ready().then(({ app }) => app(req as IncomingMessage, res as ServerResponse), next);
  };

  return {
    issuer,
    mount(web) {
      // RFC 8414 §3: the metadata of issuer https://host/as lives at /.well-known/oauth-authorization-server/as.
      web.get(`/.well-known/oauth-authorization-server${AS_PATH}`, (req, res, next) => {
        req.url = `${AS_PATH}/.well-known/openid-configuration`;
        req.originalUrl = req.url;
        handler(req, res, next);
      });
      web.use((req, res, next) => {
        if (req.path === AS_PATH || req.path.startsWith(`${AS_PATH}/`)) return handler(req, res, next);
        next();
      });
    },
    provider: async () => (await ready()).provider,
    grantsOf: async (userId) => grantsOf((await ready()).provider, book, userId),
    revokeGrant: (grantId) => book.revoke(grantId),
    async verify(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const { provider } = await ready();
      const at = await provider.AccessToken.find(token);
      if (!at || !at.accountId || !at.grantId || !at.clientId) return null;
      const aud = Array.isArray(at.aud) ? at.aud : [at.aud];
      if (!aud.includes(resource())) return 'token was not issued for this resource';
      return {
        userId: at.accountId,
        clientId: at.clientId,
        grantId: at.grantId,
        scopes: (at.scope ?? '').split(' ').filter(Boolean),
        expiresAt: at.exp ?? 0,
      };
    },
  };
}

/** Dynamic registration per client address: a flood of registrations is refused with 429. */
function registrationLimit(perMinute: number, clock: Clock): RequestHandler {
  const limiter = new RateLimiter(perMinute, clock);
  return (req: Request, res, next) => {
    const r = limiter.take(`reg:${req.ip ?? 'unknown'}`);
    if (r.ok) return next();
    res.set('Retry-After', String(r.retryAfterSeconds));
    res.status(429).json({ error: 'rate_limited', error_description: 'too many registrations; try later' });
  };
}
