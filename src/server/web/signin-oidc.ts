import type { Request, Response } from 'express';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.js';
import type { Store } from '../../vault/types.js';
import { readCookie, setCookie, sha256 } from './cookies.js';

/**
 * Signing in with the operator's OpenID Connect provider: authorization code with PKCE, state and nonce. The
 * PKCE verifier lives only in the browser (an HttpOnly cookie scoped to the callback); the vault keeps its
 * hash as a single-use `signin_oidc` ticket with the state and nonce, so a callback works once, only in the
 * browser that started it, and only within ten minutes. The vault user is the configured claim of the ID
 * token (default `sub`; with JWT callers from the same issuer, their user claim).
 */

export interface OidcSignInConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  userClaim: string;
}

const COOKIE = 'tv_signin';
const TTL_MS = 10 * 60_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** The same rule as API keys' user ids: 1-200 characters, no control characters, no leading space. */
const USER_ID = /^[^\s\p{Cc}][^\p{Cc}]{0,199}$/u;

/** A sign-in that cannot finish; shown as a page, nothing is signed in. */
export class SignInProblem extends Error {
  override readonly name = 'SignInProblem';
}

export class OidcSignIn {
  #config: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly cfg: OidcSignInConfig,
    private readonly d: {
      store: () => Store;
      clock: Clock;
      publicUrl: () => string;
      secure: () => boolean;
      fetch?: typeof fetch;
    },
  ) {}

  get redirectUri(): string {
    return `${this.d.publicUrl()}/signin/oidc/callback`;
  }

  /** Sends the browser to the identity provider. */
  async start(res: Response): Promise<void> {
    const config = await this.#configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const now = this.d.clock.now();
    await this.d.store().createTicket({
      hash: sha256(`signin|${verifier}`),
      kind: 'signin_oidc',
      userId: null,
      data: { state, nonce },
      createdAt: now,
      expiresAt: now + TTL_MS,
    });
    setCookie(res, COOKIE, verifier, {
      path: '/signin/oidc',
      sameSite: 'Lax',
      maxAgeSec: TTL_MS / 1000,
      secure: this.d.secure(),
    });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      response_type: 'code',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    res.redirect(303, url.href);
  }

  /** The identity provider's answer: resolves to the vault user it names. */
  async finish(req: Request): Promise<string> {
    const verifier = readCookie(req, COOKIE);
    const ticket = verifier
      ? await this.d.store().takeTicket(sha256(`signin|${verifier}`), 'signin_oidc', this.d.clock.now())
      : null;
    if (!verifier || !ticket) throw new SignInProblem('This sign-in was not started here, or it expired.');
    const config = await this.#configuration();
    const current = new URL(this.redirectUri);
    current.search = new URL(req.originalUrl, 'http://x').search;
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: verifier,
        expectedState: String(ticket.data['state']),
        expectedNonce: String(ticket.data['nonce']),
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      const e = err as { error?: unknown; code?: unknown };
      throw new SignInProblem(
        `The identity provider did not sign you in (${String(e.error ?? e.code ?? 'error').slice(0, 64)}).`,
      );
    }
    const user = claims?.[this.cfg.userClaim];
    if (typeof user !== 'string' || !USER_ID.test(user))
      throw new SignInProblem(`The identity provider's ${this.cfg.userClaim} claim does not name a user.`);
    return user;
  }

  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= (async () => {
      const issuer = new URL(this.cfg.issuer);
      const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
      const auth = this.cfg.clientSecret ? oidc.ClientSecretPost(this.cfg.clientSecret) : oidc.None();
      return oidc.discovery(issuer, this.cfg.clientId, undefined, auth, {
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        ...(this.d.fetch ? { [oidc.customFetch]: this.d.fetch as oidc.CustomFetch } : {}),
        timeout: 15,
      });
    })();
    // A failed discovery is tried again on the next sign-in, not remembered.
    this.#config.catch(() => (this.#config = undefined));
    return this.#config;
  }
}
