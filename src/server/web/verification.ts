import type { Request, Response } from 'express';
import type { Verdict } from '../../auth/consent/links.js';
import type { ConsentRow } from '../../vault/types.js';
import type { FlowBinding } from './flow-binding.js';
import type { WebSessions } from './sessions.js';
import type { UserVerifier } from './user-verifier.js';

/**
 * Who may finish a consent, by install: the policy of DESIGN.md "People in the browser".
 *
 * - `signin`: toolvault's own sign-in is configured (an OpenID Connect provider, or CLI sign-in links
 *   declared as the method): the person signs in, and must be the consent's user.
 * - `verifier`: the operator's user verifier confirms who the person is, for this one flow.
 * - `binding`: a one-person install on loopback: the browser binding alone.
 * - `declared`: hosted, no method, and the operator opted out explicitly: the browser binding alone, and
 *   every connect page says which vault user the grant is for.
 * - `unavailable`: hosted with no method and no opt-out: no grant is ever activated.
 *
 * Whatever the mode, a person already proven (signed in, or verified for this flow) as someone else is
 * refused, and only the browser that pressed Continue may finish.
 */

export type VerificationMode = 'signin' | 'verifier' | 'binding' | 'declared' | 'unavailable';

export interface VerificationDeps {
  sessions: WebSessions;
  flows: FlowBinding;
  /** Sign-in is a configured method (OIDC, or links declared as the method). */
  signIn: boolean;
  verifier: UserVerifier | undefined;
  /** `userVerification: "off"`: the operator accepts that whoever holds a link may finish it. */
  optOut: boolean;
  /** Any API key, a JWT issuer, or a public URL off loopback. */
  hosted: () => Promise<boolean>;
}

export class Verification {
  constructor(private readonly d: VerificationDeps) {}

  async mode(): Promise<VerificationMode> {
    if (this.d.signIn) return 'signin';
    if (this.d.verifier) return 'verifier';
    if (!(await this.d.hosted())) return 'binding';
    return this.d.optOut ? 'declared' : 'unavailable';
  }

  /** The judgement of the person in this browser for consent `c` (see held.ts `Verdict`). */
  async verdict(req: Request, c: ConsentRow): Promise<Verdict> {
    if (!(await this.d.flows.holds(req, c.authId))) return { refuse: 'other_browser' };
    const signedIn = await this.d.sessions.currentUser(req);
    if (signedIn !== null)
      return signedIn === c.userId ? 'activate' : { refuse: 'user_mismatch', by: signedIn, method: 'signin' };
    if ((await this.d.flows.verifiedUser(req, c.authId)) === c.userId) return 'activate';
    switch (await this.mode()) {
      case 'signin':
      case 'verifier':
        return 'hold';
      case 'binding':
      case 'declared':
        return 'activate';
      case 'unavailable':
        return { refuse: 'unavailable' };
    }
  }

  /** Sends the browser to prove who it is for consent `authId`; it comes back to /connect/finish/:authId. */
  async askProof(res: Response, authId: string): Promise<void> {
    if ((await this.mode()) === 'verifier' && this.d.verifier) {
      await this.d.verifier.start(res, authId);
      return;
    }
    this.d.sessions.rememberReturn(res, `/connect/finish/${encodeURIComponent(authId)}`);
    res.redirect(303, '/signin');
  }
}
