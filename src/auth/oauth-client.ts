import * as oidc from 'openid-client';
import { applyDiscoveredMetadata } from '../providers/generic.js';
import { readStandardGrant } from '../providers/standard-grant.js';
import type { ConfiguredProvider, NormalizedGrant, TokenSet } from '../providers/types.js';

/**
 * openid-client configured from a provider declaration: static metadata or OIDC discovery, the provider's
 * client authentication, and its token-response adapter applied through `customFetch` (the declared way
 * around Slack's and GitHub's 200-status errors). The only module that talks to token endpoints.
 */

export interface AuthorizeRequest {
  redirectUri: string;
  state: string;
  scopes: string[];
  codeChallenge?: string;
  nonce?: string;
}

export interface CallbackChecks {
  state: string;
  codeVerifier?: string;
  nonce?: string;
}

export interface OAuthClient {
  readonly provider: ConfiguredProvider;
  authorizationUrl(req: AuthorizeRequest): Promise<URL>;
  exchangeCode(callbackUrl: URL, checks: CallbackChecks): Promise<NormalizedGrant>;
  refresh(refreshToken: string, previous: TokenSet): Promise<NormalizedGrant>;
  /** RFC 7009 revocation; resolves false when the provider declares no revocation endpoint. */
  revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean>;
}

export interface OAuthClientOptions {
  fetch?: typeof fetch;
  /** Seconds before a token endpoint call is abandoned. */
  timeoutSec?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Plain http is allowed only to this machine (tests, the built-in demo provider). */
function onlyLoopbackHttp(urls: Array<string | undefined>): boolean {
  return urls.every((u) => {
    if (!u) return true;
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || LOOPBACK.has(parsed.hostname);
  });
}

function clientAuth(p: ConfiguredProvider): oidc.ClientAuth {
  const secret = p.settings.clientSecret;
  if (secret === undefined) return oidc.None();
  return p.declaration.clientAuth === 'client_secret_basic'
    ? oidc.ClientSecretBasic(secret)
    : oidc.ClientSecretPost(secret);
}

async function configure(p: ConfiguredProvider, opts: OAuthClientOptions): Promise<oidc.Configuration> {
  const d = p.declaration;
  const e = d.endpoints;
  const baseFetch = opts.fetch ?? fetch;
  const adapt = d.adaptTokenResponse;
  const customFetch: oidc.CustomFetch = async (url, options) => {
    const res = await baseFetch(url, options as RequestInit);
    // Only token endpoint answers need adapting; discovery and JWKS are standard everywhere.
    return adapt && options.method === 'POST' && options.body instanceof URLSearchParams ? adapt(res) : res;
  };
  let config: oidc.Configuration;
  if (d.discovery && e.issuer) {
    const insecure = onlyLoopbackHttp([e.issuer]) && e.issuer.startsWith('http:');
    config = await oidc.discovery(new URL(e.issuer), p.settings.clientId, undefined, clientAuth(p), {
      [oidc.customFetch]: customFetch,
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: opts.timeoutSec ?? 15,
    });
  } else {
    config = new oidc.Configuration(
      {
        issuer: e.issuer ?? new URL(e.authorizeUrl).origin,
        authorization_endpoint: e.authorizeUrl,
        token_endpoint: e.tokenUrl,
        ...(e.revokeUrl ? { revocation_endpoint: e.revokeUrl } : {}),
        ...(e.userinfoUrl ? { userinfo_endpoint: e.userinfoUrl } : {}),
      },
      p.settings.clientId,
      undefined,
      clientAuth(p),
    );
    config[oidc.customFetch] = customFetch;
    const urls = [e.authorizeUrl, e.tokenUrl, e.revokeUrl, e.userinfoUrl];
    if (urls.some((u) => u?.startsWith('http:')) && onlyLoopbackHttp(urls))
      oidc.allowInsecureRequests(config);
  }
  config.timeout = opts.timeoutSec ?? 15;
  if (d.discovery) {
    // Discovered endpoints (userinfo for probes, revocation for disconnect) become part of the declaration.
    p.declaration = applyDiscoveredMetadata(d, config.serverMetadata());
  }
  return config;
}

export function createOAuthClient(p: ConfiguredProvider, opts: OAuthClientOptions = {}): OAuthClient {
  const d = p.declaration;
  let pending: Promise<oidc.Configuration> | undefined;
  // Lazy: the demo provider's metadata is served by this very process, which is not listening yet at start.
  const config = (): Promise<oidc.Configuration> => {
    pending ??= configure(p, opts).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
  const read = (body: Record<string, unknown>, previous?: TokenSet): NormalizedGrant =>
    d.readGrant ? d.readGrant(body, previous, Date.now()) : readStandardGrant(body, previous);

  return {
    provider: p,
    async authorizationUrl(req) {
      const params: Record<string, string> = {
        redirect_uri: req.redirectUri,
        state: req.state,
        ...(d.scopeParams ? d.scopeParams(req.scopes) : { scope: req.scopes.join(d.scopeSeparator) }),
        ...(d.authorizeParams ?? {}),
      };
      if (req.codeChallenge) {
        params['code_challenge'] = req.codeChallenge;
        params['code_challenge_method'] = 'S256';
      }
      if (req.nonce) params['nonce'] = req.nonce;
      return oidc.buildAuthorizationUrl(await config(), params);
    },
    async exchangeCode(callbackUrl, checks) {
      const res = await oidc.authorizationCodeGrant(await config(), callbackUrl, {
        expectedState: checks.state,
        ...(checks.codeVerifier ? { pkceCodeVerifier: checks.codeVerifier } : {}),
        ...(checks.nonce ? { expectedNonce: checks.nonce } : {}),
      });
      return read(res as unknown as Record<string, unknown>);
    },
    async refresh(refreshToken, previous) {
      const res = await oidc.refreshTokenGrant(await config(), refreshToken);
      return read(res as unknown as Record<string, unknown>, previous);
    },
    async revoke(token, hint) {
      const c = await config();
      if (!c.serverMetadata().revocation_endpoint) return false;
      await oidc.tokenRevocation(c, token, { token_type_hint: hint });
      return true;
    },
  };
}

/** One lazily configured client per provider, shared by consent, refresh and revocation. */
export class OAuthClients {
  readonly #clients = new Map<string, OAuthClient>();
  constructor(
    private readonly providers: ReadonlyMap<string, ConfiguredProvider>,
    private readonly opts: OAuthClientOptions = {},
  ) {}

  get(providerId: string): OAuthClient {
    let c = this.#clients.get(providerId);
    if (!c) {
      const p = this.providers.get(providerId);
      if (!p) throw new Error(`unknown provider ${providerId}`);
      c = createOAuthClient(p, this.opts);
      this.#clients.set(providerId, c);
    }
    return c;
  }
}
