import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { Store } from '../../vault/types.js';
import { readCookie, setCookie, sha256 } from './cookies.js';

/**
 * Binds a consent in flight to the browser that pressed Continue. Pressing it sets a cookie for that consent
 * (`SameSite=Lax`, so the provider's redirect back still carries it) and stores its hash as a `flow` ticket;
 * the callback, the finish step after a sign-in, the user verifier's return and the account-switch answer all
 * require it. A callback URL carried to another browser (or a stranger's code pushed into ours) is refused.
 *
 * A user verifier's confirmation is recorded against the same cookie (`verified` ticket): it proves the person
 * for this one flow, where a sign-in proves them for a session.
 */

export const FLOW_TTL_MS = 30 * 60_000;

export class FlowBinding {
  constructor(private readonly o: { store: () => Store; clock: Clock; secure: () => boolean }) {}

  /** When the browser leaves for the provider with consent `authId`. */
  async bind(res: Response, authId: string): Promise<void> {
    const value = randomBytes(32).toString('base64url');
    const now = this.o.clock.now();
    await this.o.store().createTicket({
      hash: sha256(`flow|${value}`),
      kind: 'flow',
      userId: null,
      data: { authId },
      createdAt: now,
      expiresAt: now + FLOW_TTL_MS,
    });
    setCookie(res, cookieName(authId), value, {
      path: '/',
      sameSite: 'Lax',
      maxAgeSec: FLOW_TTL_MS / 1000,
      secure: this.o.secure(),
    });
  }

  /** Whether this browser is the one that started consent `authId`. */
  async holds(req: Request, authId: string): Promise<boolean> {
    const value = readCookie(req, cookieName(authId));
    if (!value) return false;
    const t = await this.o.store().peekTicket(sha256(`flow|${value}`), 'flow', this.o.clock.now());
    return t !== null && t.data['authId'] === authId;
  }

  /** Records that the user verifier confirmed `userId` in this browser for consent `authId`. */
  async markVerified(req: Request, authId: string, userId: string): Promise<boolean> {
    const value = readCookie(req, cookieName(authId));
    if (!value) return false;
    const now = this.o.clock.now();
    const hash = sha256(`verified|${authId}|${value}`);
    // A flow is verified once; a second confirmation for it changes nothing.
    if (await this.o.store().peekTicket(hash, 'verified', now)) return true;
    await this.o.store().createTicket({
      hash,
      kind: 'verified',
      userId,
      data: { authId },
      createdAt: now,
      expiresAt: now + FLOW_TTL_MS,
    });
    return true;
  }

  /** The user the verifier confirmed for this browser and consent, if any. */
  async verifiedUser(req: Request, authId: string): Promise<string | null> {
    const value = readCookie(req, cookieName(authId));
    if (!value) return null;
    const t = await this.o
      .store()
      .peekTicket(sha256(`verified|${authId}|${value}`), 'verified', this.o.clock.now());
    return t?.userId ?? null;
  }
}

/** One cookie per consent, so two links opened side by side do not undo each other. */
const cookieName = (authId: string): string => `tv_flow_${sha256(authId).slice(0, 16)}`;
