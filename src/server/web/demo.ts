import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DemoAuthorizationServer } from '../../providers/demo/authorization-server.js';
import type { ConfiguredProvider, ProviderDeclaration } from '../../providers/types.js';

/**
 * The built-in `demo` provider: a certified OAuth/OIDC authorization server (oidc-provider) mounted at
 * /demo inside toolvault, with short-lived access tokens and rotating refresh tokens, so a newcomer sees
 * consent, refresh and rotation with no accounts anywhere. Its grants live in memory: after a restart the
 * stored refresh token is rejected, which shows the reauthorization path too.
 */

export const DEMO_PROVIDER_ID = 'demo';
export const DEMO_ACCESS_TTL_SEC = 300;

export function demoDeclaration(issuer: string): ProviderDeclaration {
  return {
    id: DEMO_PROVIDER_ID,
    displayName: 'Demo (built-in)',
    endpoints: {
      issuer,
      authorizeUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      revokeUrl: `${issuer}/token/revocation`,
      userinfoUrl: `${issuer}/me`,
      apiBaseUrl: issuer,
    },
    discovery: true,
    scopeSeparator: ' ',
    defaultScopes: ['openid', 'profile', 'api:read'],
    offlineScopes: ['offline_access'],
    clientAuth: 'client_secret_post',
    pkce: true,
    token: { rotatesRefreshToken: true, reuseGraceSec: 0 },
    probe: {
      method: 'GET',
      path: 'userinfo',
      judge: (r) => (r.status === 200 ? 'valid' : r.status === 401 ? 'invalid' : 'unknown'),
      account: (r) => {
        const body = r.body as { sub?: unknown; name?: unknown } | null;
        if (!body || typeof body.sub !== 'string') return undefined;
        return { id: body.sub, ...(typeof body.name === 'string' ? { name: body.name } : {}) };
      },
    },
  };
}

export interface Demo {
  provider: ConfiguredProvider;
  server: DemoAuthorizationServer;
  handler: RequestHandler;
}

/**
 * Builds the demo server for toolvault at `publicUrl`; client credentials are fresh per process. oidc-provider
 * is loaded here, not at start-up: it is a quarter of a second of every cold start (bench/cold-start.ts) and
 * only the demo needs it.
 */
export async function createDemo(publicUrl: string): Promise<Demo> {
  const { createAuthorizationServer, generateSigningKey } =
    await import('../../providers/demo/authorization-server.js');
  const signingKey = await generateSigningKey();
  const issuer = `${publicUrl}/demo`;
  const clientId = 'toolvault';
  const clientSecret = randomBytes(24).toString('base64url');
  const server = createAuthorizationServer({
    issuer,
    clients: [
      { clientId, clientSecret, redirectUris: [`${publicUrl}/oauth/callback`], clientName: 'toolvault' },
    ],
    accessTokenTtlSec: DEMO_ACCESS_TTL_SEC,
    rotateRefreshToken: true,
    cookieKeys: [randomBytes(32).toString('base64url')],
    signingKey,
  });
  return {
    provider: { declaration: demoDeclaration(issuer), settings: { clientId, clientSecret } },
    server,
    handler: server.router,
  };
}
