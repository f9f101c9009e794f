import type { App } from './app.js';
import { randomBytes } from 'node:crypto';
import { ApiKeys } from '../server/api-keys.js';
import { type Connector, createConnector } from '../server/connector/authorization-server.js';
import { type McpHttpHandle, mountMcpHttp } from '../server/http.js';
import { callerOf, createIdentity, type Identity, userOfAuthInfo } from '../server/identity.js';
import { JwtVerifier } from '../server/jwt.js';
import { RateLimiter, rateLimit } from '../server/rate-limit.js';

/**
 * `/mcp` for hosted use, on the app's web listener: Host and Origin checks, caller identity (API keys, JWTs,
 * protected-resource metadata), a rate limit per caller, then the SDK's streamable HTTP transport with
 * sessions bound to their caller, or stateless. Mount before `app.listen()`.
 */

export interface Hosted extends McpHttpHandle {
  identity: Identity;
  /** toolvault's own authorization server for /mcp, when `connector.enabled`. */
  connector: Connector | undefined;
  /** One line on how callers authenticate, for the start-up banner. */
  describeAuth(): Promise<string>;
}

export function mountHosted(app: App): Hosted {
  const { config, log } = app;
  const apiKeys = new ApiKeys({ store: app.vault.store, clock: app.clock, log });
  const jwt = config.jwt ? new JwtVerifier(config.jwt, () => `${app.publicUrl()}/mcp`) : undefined;
  const connector = config.connector.enabled
    ? createConnector({
        publicUrl: () => app.publicUrl(),
        people: app.people,
        log,
        clock: app.clock,
        // Interactions live in memory, so keys that die with the process lose nothing.
        cookieKeys: [randomBytes(32).toString('base64url')],
        registrationsPerMinute: config.connector.registrationsPerMinute,
        ...(config.connector.registrationToken
          ? { initialAccessToken: config.connector.registrationToken }
          : {}),
      })
    : undefined;
  connector?.mount(app.web);
  const identity = createIdentity({
    ...(connector ? { connector } : {}),
    store: app.vault.store,
    apiKeys,
    jwt,
    log,
    localUser: config.user,
    bindHost: config.host,
    publicUrl: () => app.publicUrl(),
  });
  identity.mountMetadata(app.web);

  const hosts = (): string[] => {
    const port = new URL(app.publicUrl()).port;
    const bind = config.host.includes(':') ? `[${config.host}]` : config.host;
    return [
      new URL(app.publicUrl()).host,
      `${bind}:${port}`,
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      ...config.http.allowedHosts,
    ].map((h) => h.toLowerCase());
  };
  const limiter = new RateLimiter(config.http.rateLimitPerMinute, app.clock);
  const handle = mountMcpHttp(app.web, {
    newServer: () => app.newMcpServer(userOfAuthInfo),
    log,
    allowedHosts: hosts,
    allowedOrigins: () => [
      new URL(app.publicUrl()).origin,
      ...hosts().map((h) => `http://${h}`),
      ...config.http.allowedOrigins,
    ],
    maxBodyBytes: config.http.maxBodyBytes,
    stateless: config.http.stateless,
    before: [identity.authenticate, rateLimit(limiter, (req) => callerOf(req)?.principal)],
    ownerOf: (req) => callerOf(req)?.principal,
  });

  return {
    ...handle,
    identity,
    connector,
    async describeAuth() {
      const ways = ['API keys (toolvault apikeys create --user U)'];
      if (connector) ways.push(`OAuth through ${connector.issuer()} (connectors)`);
      if (jwt) ways.push(`JWTs from ${jwt.issuer} for audience ${jwt.audience()}`);
      if (await identity.localAllowed()) {
        return `no API keys yet: serving user "${config.user}" to loopback callers without a key`;
      }
      if (!jwt && !(await app.vault.store.hasApiKeys())) {
        log.warn('no API keys and no JWT issuer: every /mcp request is refused until a key is created');
      }
      return `callers authenticate with ${ways.join(' or ')}`;
    },
  };
}
