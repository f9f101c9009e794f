import * as oidc from 'openid-client';
import { applyDiscoveredMetadata } from '../providers/generic.js';
import { readStandardGrant } from '../providers/standard-grant.js';
import type { ConfiguredProvider, NormalizedGrant, TokenSet } from '../providers/types.js';
import { classifyTokenError } from './refresh/classify.js';

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

/** Which configured client secret a provider's token requests use (seed 000: rotation with a rollback). */
export type ClientSecretChoice = 'current' | 'previous';

export interface ClientSecretSwitch {
  provider: string;
  /** The secret that worked (and is used from now on), after the other was rejected with invalid_client. */
  now: ClientSecretChoice;
  /** The token request that found out: `refresh_token`, `authorization_code` or `revocation`. */
  grantType: string;
}

export interface OAuthClientOptions {
  fetch?: typeof fetch;
  /** Seconds before a token endpoint call is abandoned. */
  timeoutSec?: number;
  /** Told (and awaited) when a provider's token requests switched to the other client secret. */
  onClientSecretSwitch?: (e: ClientSecretSwitch) => void | Promise<void>;
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

function clientAuth(p: ConfiguredProvider, secret: string | undefined): oidc.ClientAuth {
  if (secret === undefined) return oidc.None();
  return p.declaration.clientAuth === 'client_secret_basic'
    ? oidc.ClientSecretBasic(secret)
    : oidc.ClientSecretPost(secret);
}

async function configure(
  p: ConfiguredProvider,
  opts: OAuthClientOptions,
  secret: string | undefined,
): Promise<oidc.Configuration> {
  const d = p.declaration;
  const e = d.endpoints;
  const baseFetch = opts.fetch ?? fetch;
  const adapt = d.adaptTokenResponse;
  const asJson = d.tokenRequestBody === 'json';
  const customFetch: oidc.CustomFetch = async (url, options) => {
    const form = options.method === 'POST' && options.body instanceof URLSearchParams ? options.body : null;
    // Notion's token endpoint reads a JSON body (its client authentication stays HTTP Basic).
    const init: RequestInit =
      asJson && form
        ? {
            ...(options as RequestInit),
            body: JSON.stringify(Object.fromEntries(form)),
            headers: {
              ...Object.fromEntries(new Headers(options.headers)),
              'content-type': 'application/json',
            },
          }
        : (options as RequestInit);
    const res = await baseFetch(url, init);
    // Only token endpoint answers need adapting; discovery and JWKS are standard everywhere.
    return adapt && options.method === 'POST' && options.body instanceof URLSearchParams ? adapt(res) : res;
  };
  let config: oidc.Configuration;
  if (d.discovery && e.issuer) {
    const insecure = onlyLoopbackHttp([e.issuer]) && e.issuer.startsWith('http:');
    config = await oidc.discovery(new URL(e.issuer), p.settings.clientId, undefined, clientAuth(p, secret), {
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
      clientAuth(p, secret),
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
  const pending = new Map<ClientSecretChoice, Promise<oidc.Configuration>>();
  // Lazy: the demo provider's metadata is served by this very process, which is not listening yet at start.
  const configFor = (which: ClientSecretChoice): Promise<oidc.Configuration> => {
    let c = pending.get(which);
    if (!c) {
      const secret = which === 'current' ? p.settings.clientSecret : p.settings.previousClientSecret;
      c = configure(p, opts, secret).catch((err: unknown) => {
        pending.delete(which);
        throw err;
      });
      pending.set(which, c);
    }
    return c;
  };
  let using: ClientSecretChoice = 'current';
  const config = (): Promise<oidc.Configuration> => configFor(using);
  /**
   * Runs a token request with the secret in use; when the provider answers invalid_client and a previous
   * secret is configured, runs it once more with the other one. Client authentication fails before the
   * grant is looked at, so the retry cannot spend a refresh token or a code twice; and it happens once per
   * request, never in a loop. The secret that got through is kept for the next requests, and reported.
   */
  const withSecret = async <T>(grantType: string, run: (c: oidc.Configuration) => Promise<T>): Promise<T> => {
    const first = using;
    try {
      return await run(await configFor(first));
    } catch (err) {
      if (p.settings.previousClientSecret === undefined || !isInvalidClient(err, p)) throw err;
      const other: ClientSecretChoice = first === 'current' ? 'previous' : 'current';
      let outcome: { ok: true; value: T } | { ok: false; err: unknown };
      try {
        outcome = { ok: true, value: await run(await configFor(other)) };
      } catch (err2) {
        outcome = { ok: false, err: err2 };
      }
      // Any answer but invalid_client means the provider accepted the other secret.
      if ((outcome.ok || !isInvalidClient(outcome.err, p)) && using === first) {
        using = other;
        await opts.onClientSecretSwitch?.({ provider: d.id, now: other, grantType });
      }
      if (outcome.ok) return outcome.value;
      throw outcome.err;
    }
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
      const res = await withSecret('authorization_code', (c) =>
        oidc.authorizationCodeGrant(
          c,
          callbackUrl,
          {
            expectedState: checks.state,
            ...(checks.codeVerifier ? { pkceCodeVerifier: checks.codeVerifier } : {}),
            ...(checks.nonce ? { expectedNonce: checks.nonce } : {}),
          },
          d.tokenParams,
        ),
      );
      return read(res as unknown as Record<string, unknown>);
    },
    async refresh(refreshToken, previous) {
      const res = await withSecret('refresh_token', (c) =>
        oidc.refreshTokenGrant(c, refreshToken, d.tokenParams),
      );
      return read(res as unknown as Record<string, unknown>, previous);
    },
    async revoke(token, hint) {
      if (!(await config()).serverMetadata().revocation_endpoint) return false;
      await withSecret('revocation', (c) => oidc.tokenRevocation(c, token, { token_type_hint: hint }));
      return true;
    },
  };
}

/** The provider rejected our client authentication (RFC 6749 §5.2), however it said so. */
function isInvalidClient(err: unknown, p: ConfiguredProvider): boolean {
  return classifyTokenError(err, p.declaration).code === 'invalid_client';
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
