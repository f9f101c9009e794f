import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../clock.js';
import type { Store } from '../../vault/types.js';
import { sha256 } from './cookies.js';

/**
 * The operator's user verifier (Arcade's custom-verifier model), for deployments that have their own login
 * and no OpenID Connect provider to lend toolvault. toolvault sends the browser to the operator's URL with
 * `?request=<JWT>`; the operator's app, where the person is signed in, sends it back to the `return_to` in
 * that request with `?confirmation=<JWT>` naming its user. Both are HS256 JWTs under the shared secret:
 *
 * - request: `typ: toolvault-verify-request+jwt`; `iss` toolvault's public URL, `aud` the verifier URL,
 *   `jti` a single-use nonce, `iat`, `exp` (5 minutes), `return_to`.
 * - confirmation: `typ: toolvault-verify-confirmation+jwt`; `aud` toolvault's public URL, `nonce` the
 *   request's `jti`, `sub` the user id, `exp` (keep it short).
 *
 * A confirmation is accepted once (its nonce is a single-use ticket), before it expires, and only with the
 * right signature and type; toolvault then compares `sub` with the vault user the link was made for.
 */

export const VERIFY_REQUEST_TTL_MS = 5 * 60_000;
const REQUEST_TYP = 'toolvault-verify-request+jwt';
const CONFIRMATION_TYP = 'toolvault-verify-confirmation+jwt';

export interface UserVerifierConfig {
  url: string;
  secret: string;
}

export class VerifierProblem extends Error {
  override readonly name = 'VerifierProblem';
}

export class UserVerifier {
  readonly #key: Uint8Array;

  constructor(
    readonly cfg: UserVerifierConfig,
    private readonly d: { store: () => Store; clock: Clock; publicUrl: () => string },
  ) {
    this.#key = new TextEncoder().encode(cfg.secret);
  }

  get returnTo(): string {
    return `${this.d.publicUrl()}/verify/return`;
  }

  /** Sends the browser to the operator's verifier to prove who it is for consent `authId`. */
  async start(res: Response, authId: string): Promise<void> {
    const nonce = randomBytes(24).toString('base64url');
    const now = this.d.clock.now();
    await this.d.store().createTicket({
      hash: sha256(`verify|${nonce}`),
      kind: 'verify_request',
      userId: null,
      data: { authId },
      createdAt: now,
      expiresAt: now + VERIFY_REQUEST_TTL_MS,
    });
    const request = await new SignJWT({ return_to: this.returnTo })
      .setProtectedHeader({ alg: 'HS256', typ: REQUEST_TYP })
      .setIssuer(this.d.publicUrl())
      .setAudience(this.cfg.url)
      .setJti(nonce)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + VERIFY_REQUEST_TTL_MS) / 1000))
      .sign(this.#key);
    const url = new URL(this.cfg.url);
    url.searchParams.set('request', request);
    res.redirect(303, url.href);
  }

  /** Checks the confirmation the operator's app sent back: the consent it is for, and the user it names. */
  async finish(req: Request): Promise<{ authId: string; user: string }> {
    const raw = new URL(req.originalUrl, 'http://x').searchParams.get('confirmation');
    if (!raw || raw.length > 4096) throw new VerifierProblem('The verifier sent no confirmation.');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(raw, this.#key, {
        algorithms: ['HS256'],
        typ: CONFIRMATION_TYP,
        audience: this.d.publicUrl(),
        requiredClaims: ['exp', 'sub', 'nonce'],
        currentDate: new Date(this.d.clock.now()),
        clockTolerance: 5,
      }));
    } catch (err) {
      const why = err instanceof errors.JWTExpired ? 'has expired' : 'is not valid';
      throw new VerifierProblem(`The verifier's confirmation ${why}.`);
    }
    const nonce = payload['nonce'];
    const ticket =
      typeof nonce === 'string'
        ? await this.d.store().takeTicket(sha256(`verify|${nonce}`), 'verify_request', this.d.clock.now())
        : null;
    if (!ticket) throw new VerifierProblem('This confirmation was already used, or answers no request.');
    return { authId: String(ticket.data['authId']), user: String(payload['sub']) };
  }
}
