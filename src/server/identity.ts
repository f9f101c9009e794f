import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Store } from '../vault/types.js';
import type { Logger } from '../log.js';
import type { ApiKeys } from './api-keys.js';
import { apiKeyId } from './api-keys.js';
import { rpcError } from './http.js';
import { JwtRejected, JwtUnavailable, type JwtVerifier, looksLikeJwt } from './jwt.js';

/**
 * Who is calling over HTTP. A bearer credential is an API key (`tv_...`) or, when an issuer is configured, a
 * JWT; the caller then goes on `req.auth`, which the SDK hands every handler as `extra.authInfo`, where
 * `userOfAuthInfo` reads the vault user. A request without a credential is refused with 401 and the
 * RFC 9728 `resource_metadata` challenge — except in one case: no JWT issuer configured, no API key ever
 * created, bound to loopback and linked from a loopback URL, and arriving from loopback. That is one person's
 * machine (the quick start), served as the configured local user. Creating the first key closes it for good.
 */

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the identity middleware; the SDK's transport passes it to handlers as `extra.authInfo`. */
    auth?: AuthInfo;
  }
}

export type CallerKind = 'api_key' | 'jwt' | 'connector' | 'local';

/** What the identity middleware puts in `AuthInfo.extra`. */
export interface CallerInfo {
  userId: string;
  via: CallerKind;
  /** Stable id of the credential (rate limiting, session binding): `key:<id>`, `jwt:<user>`, `local`. */
  principal: string;
  [k: string]: unknown;
}

export interface IdentityDeps {
  store: Store;
  apiKeys: ApiKeys;
  jwt: JwtVerifier | undefined;
  log: Logger;
  /** The configured user served in the loopback-only case. */
  localUser: string;
  /** The address the web listener binds. */
  bindHost: string;
  publicUrl: () => string;
  /** toolvault's own authorization server for /mcp (server/connector), when mounted. */
  connector?: {
    issuer(): string;
    verify(
      token: string,
    ): Promise<
      | { userId: string; clientId: string; grantId: string; scopes: string[]; expiresAt: number }
      | string
      | null
    >;
  };
}

export interface Identity {
  /** Express middleware: sets `req.auth` or answers 401 (503 when the issuer's keys are unreachable). */
  authenticate: RequestHandler;
  /** The MCP endpoint as an RFC 8707 resource identifier. */
  resourceUrl(): string;
  /** Where the protected-resource metadata lives (the path variant for /mcp, RFC 9728 section 3.1). */
  metadataUrl(): string;
  metadata(): Record<string, unknown>;
  /** Serves the metadata at `/.well-known/oauth-protected-resource` and its `/mcp` path variant. */
  mountMetadata(app: Express): void;
  /** Whether callers without a credential are served as the local user right now. */
  localAllowed(remoteAddress?: string): Promise<boolean>;
}

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost|::ffff:127(\.\d{1,3}){3})$/i;
export const isLoopback = (host: string): boolean => LOOPBACK_HOST.test(host);

/** The vault user of a request's auth info; throws when the identity middleware did not run. */
export function userOfAuthInfo(authInfo: { extra?: Record<string, unknown> } | undefined): string {
  const user = authInfo?.extra?.['userId'];
  if (typeof user !== 'string' || user === '') throw new Error('request carries no authenticated caller');
  return user;
}

/** The caller a request was authenticated as, if any. */
export function callerOf(req: Request): CallerInfo | undefined {
  const extra = req.auth?.extra;
  return extra && typeof extra['principal'] === 'string' ? (extra as CallerInfo) : undefined;
}

// Quotes would end the quoted-string early; the description never carries the credential anyway.
const quoted = (s: string): string => s.replace(/["\\\r\n]/g, ' ');

export function createIdentity(d: IdentityDeps): Identity {
  let keysExist = false;
  const resourceUrl = () => `${d.publicUrl()}/mcp`;
  const metadataUrl = () => `${d.publicUrl()}/.well-known/oauth-protected-resource/mcp`;

  const challenge = (res: Response, description?: string): void => {
    // RFC 6750 section 3.1: no error code when the request carried no credential at all.
    const params = [`resource_metadata="${metadataUrl()}"`];
    if (description !== undefined)
      params.push('error="invalid_token"', `error_description="${quoted(description)}"`);
    res.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
    rpcError(
      res,
      401,
      -32000,
      `Unauthorized: ${description ?? 'send Authorization: Bearer <API key or token>'}`,
    );
  };

  const localAllowed = async (remoteAddress?: string): Promise<boolean> => {
    if (d.jwt || keysExist) return false;
    if (!isLoopback(d.bindHost) || !isLoopback(new URL(d.publicUrl()).hostname)) return false;
    if (remoteAddress !== undefined && !isLoopback(remoteAddress)) return false;
    keysExist = await d.store.hasApiKeys();
    return !keysExist;
  };

  const authInfo = (caller: CallerInfo, rest: Omit<AuthInfo, 'extra' | 'token'>): AuthInfo => ({
    // Auth info reaches every handler: it carries a label of the credential, never the credential.
    token: caller.principal,
    ...rest,
    extra: caller,
  });

  const verify = async (token: string): Promise<AuthInfo | string> => {
    if (apiKeyId(token) !== null) {
      const key = await d.apiKeys.verify(token);
      if (!key) return 'unknown or revoked API key';
      const principal = `key:${key.id}`;
      return authInfo({ userId: key.userId, via: 'api_key', principal }, { clientId: principal, scopes: [] });
    }
    if (d.connector) {
      const c = await d.connector.verify(token);
      if (typeof c === 'string') return c;
      // A refreshed token keeps its grant, so its MCP session stays its own.
      if (c)
        return authInfo(
          { userId: c.userId, via: 'connector', principal: `grant:${c.grantId}` },
          { clientId: c.clientId, scopes: c.scopes, expiresAt: c.expiresAt },
        );
    }
    if (d.jwt && looksLikeJwt(token)) {
      try {
        const c = await d.jwt.verify(token);
        return authInfo(
          { userId: c.userId, via: 'jwt', principal: `jwt:${c.userId}` },
          { clientId: c.clientId, scopes: c.scopes, expiresAt: c.expiresAt },
        );
      } catch (err) {
        if (err instanceof JwtRejected) return `JWT rejected: ${err.message}`;
        throw err;
      }
    }
    if (d.connector) return 'unknown, expired or revoked token';
    return d.jwt ? 'not an API key or a JWT' : 'not an API key';
  };

  const authenticate = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const header = req.headers.authorization;
      if (header === undefined) {
        if (!(await localAllowed(req.socket.remoteAddress))) return challenge(res);
        const principal = 'local';
        req.auth = authInfo(
          { userId: d.localUser, via: 'local', principal },
          { clientId: principal, scopes: [] },
        );
        return next();
      }
      const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
      if (!m?.[1]) return challenge(res, 'expected Authorization: Bearer <credential>');
      const out = await verify(m[1]);
      if (typeof out === 'string') {
        d.log.info({ reason: out, keyId: apiKeyId(m[1]) ?? undefined }, 'refused an HTTP caller');
        return challenge(res, out);
      }
      req.auth = out;
      next();
    } catch (err) {
      const unavailable = err instanceof JwtUnavailable;
      d.log.error({ err: (err as Error).message }, 'caller authentication failed');
      rpcError(
        res,
        unavailable ? 503 : 500,
        -32603,
        unavailable
          ? 'Cannot verify tokens right now: the identity provider is unreachable'
          : 'Internal server error',
      );
    }
  };

  const metadata = () => ({
    resource: resourceUrl(),
    ...(d.jwt || d.connector
      ? {
          authorization_servers: [
            ...(d.connector ? [d.connector.issuer()] : []),
            ...(d.jwt ? [d.jwt.issuer] : []),
          ],
        }
      : {}),
    ...(d.connector ? { scopes_supported: ['mcp'] } : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'toolvault',
  });

  return {
    authenticate: (req, res, next) => void authenticate(req, res, next),
    resourceUrl,
    metadataUrl,
    metadata,
    mountMetadata(app) {
      const serve: RequestHandler = (_req, res) => {
        // Public by design (RFC 9728): browser-based MCP clients read it cross-origin.
        res.set('Access-Control-Allow-Origin', '*').json(metadata());
      };
      app.get('/.well-known/oauth-protected-resource', serve);
      app.get('/.well-known/oauth-protected-resource/mcp', serve);
    },
    localAllowed,
  };
}
