import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

/**
 * Bearer JWTs from the deployment's identity provider, checked with jose: signature against the issuer's
 * JWKS (its `jwks_uri` by discovery unless configured), `iss`, `aud` (default: this MCP endpoint's URL, the
 * RFC 8707 resource), `exp` (required) and `nbf`. The vault user is a claim (default `sub`).
 */

/** Asymmetric algorithms only: a JWKS holds public keys, and HMAC with a public key is the classic forgery. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_SEC = 5;

/** Which issuer's JWTs identify HTTP callers (`jwt` in the config file). */
export interface JwtConfig {
  issuer: string;
  audience: string | undefined;
  jwksUrl: string | undefined;
  userClaim: string;
}

export interface JwtCaller {
  userId: string;
  subject: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** The token is not acceptable; `message` says why without echoing it. */
export class JwtRejected extends Error {
  override readonly name = 'JwtRejected';
}

/** The issuer's keys could not be fetched: our problem or the IdP's, not the caller's. */
export class JwtUnavailable extends Error {
  override readonly name = 'JwtUnavailable';
}

/** Whether `token` looks like a compact JWS (three base64url parts), before any verification. */
export const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

export class JwtVerifier {
  #jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(
    private readonly cfg: JwtConfig,
    /** The expected audience when none is configured: the MCP endpoint URL, known once listening. */
    private readonly defaultAudience: () => string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get issuer(): string {
    return this.cfg.issuer;
  }

  audience(): string {
    return this.cfg.audience ?? this.defaultAudience();
  }

  async verify(token: string): Promise<JwtCaller> {
    const jwks = await this.#keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.cfg.issuer,
        audience: this.audience(),
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SEC,
        requiredClaims: ['exp', this.cfg.userClaim],
      }));
    } catch (err) {
      throw rejection(err);
    }
    const user = payload[this.cfg.userClaim];
    if (typeof user !== 'string' || user === '') {
      throw new JwtRejected(`claim ${this.cfg.userClaim} is not a user id`);
    }
    return {
      userId: user,
      subject: payload.sub ?? user,
      clientId: stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? 'jwt',
      scopes: scopesOf(payload),
      expiresAt: payload.exp ?? 0,
    };
  }

  #keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.#jwks ??= this.#discover().then(
      (url) => createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 }),
      (err: unknown) => {
        this.#jwks = undefined; // try discovery again on the next request
        throw err;
      },
    );
    return this.#jwks;
  }

  /** The JWKS URL: configured, or from OpenID discovery, else RFC 8414 authorization server metadata. */
  async #discover(): Promise<string> {
    if (this.cfg.jwksUrl) return this.cfg.jwksUrl;
    const issuer = new URL(this.cfg.issuer);
    const path = issuer.pathname.replace(/\/$/, '');
    const candidates = [
      `${issuer.origin}${path}/.well-known/openid-configuration`,
      `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    ];
    for (const url of candidates) {
      let doc: unknown;
      try {
        const res = await this.fetchImpl(url, { headers: { accept: 'application/json' } });
        if (!res.ok) continue;
        doc = await res.json();
      } catch {
        continue;
      }
      const d = doc as { issuer?: unknown; jwks_uri?: unknown };
      // RFC 8414 section 3.3: metadata naming another issuer must not be used.
      if (d.issuer !== this.cfg.issuer || typeof d.jwks_uri !== 'string') continue;
      return d.jwks_uri;
    }
    throw new JwtUnavailable(`no usable discovery document for issuer ${this.cfg.issuer}`);
  }
}

function rejection(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return new JwtRejected('token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new JwtRejected(`claim ${err.claim} ${err.reason.replaceAll('_', ' ')}`);
  }
  if (err instanceof errors.JWKSTimeout) return new JwtUnavailable('the issuer JWKS did not answer in time');
  if (err instanceof errors.JWKSNoMatchingKey)
    return new JwtRejected('signed with a key the issuer does not publish');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new JwtRejected('signature verification failed');
  if (err instanceof errors.JOSEAlgNotAllowed) return new JwtRejected('signing algorithm not allowed');
  if (
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return new JwtRejected(`malformed or unusable token (${err.code})`);
  }
  return new JwtUnavailable(`the issuer JWKS could not be read: ${(err as Error).message}`);
}

function stringClaim(p: JWTPayload, name: string): string | undefined {
  const v = p[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function scopesOf(p: JWTPayload): string[] {
  const scope = p['scope'] ?? p['scp'];
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === 'string');
  return [];
}
