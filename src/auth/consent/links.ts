import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConfiguredProvider } from '../../providers/types.js';
import { activate } from './activate.js';
import { authorize } from './authorize.js';
import { handleCallback } from './callback.js';
import { type CallbackResult, confirmationHash } from './outcome.js';
import { recordRefusal, refuseUnproven, takeHeldGrant, type Verdict } from './held.js';
import { ConsentProblem } from './problems.js';
import { missingScopes, normalizeScopes, requestedScopes } from '../scopes.js';
import type { AuthReason, ConsentRow } from '../../vault/types.js';
import type { ConsentDeps } from './deps.js';

export type { ConsentDeps } from './deps.js';

/**
 * The consent flow: single-use connect links bound to (user, provider, scopes), the redirect with state and
 * PKCE, and the callback that exchanges the code and seals the tokens. Every bad path ends in a
 * ConsentProblem (shown as a page) and leaves the connection untouched.
 */

export const LINK_TTL_MS = 15 * 60_000;
/** Time between pressing Continue and the provider sending the browser back. */
export const CALLBACK_TTL_MS = 10 * 60_000;

export { ConsentProblem } from './problems.js';
export type { Verdict } from './held.js';

export type StartResult =
  | { status: 'connected'; provider: string; scopes: string[] }
  | {
      status: 'pending';
      provider: string;
      authId: string;
      authUrl: string;
      expiresAt: string;
      reason: AuthReason;
      missingScopes: string[];
    };

/** What the user chose on the account-switch page. */
export type SwitchDecision = 'switch' | 'keep';

/** The outcome of a switch decision: back to the provider, or the old account kept. */
export type SwitchOutcome = { redirect: URL } | { kept: ConsentRow };

const id128 = (): string => randomBytes(16).toString('base64url');

export class ConsentService {
  readonly #finished = new EventEmitter();
  constructor(private readonly d: ConsentDeps) {
    this.#finished.setMaxListeners(0);
  }

  get redirectUri(): string {
    return `${this.d.publicUrl()}/oauth/callback`;
  }

  provider(id: string): ConfiguredProvider | undefined {
    return this.d.providers.get(id);
  }

  /**
   * Starts a consent unless the user's connection already has every scope asked for. A connection that
   * lacks scopes gets an incremental consent for granted ∪ asked, so nothing already granted is lost.
   * `force` asks again even so (a reconnect link); `linkTtlMs` keeps the link usable longer than the usual
   * 15 minutes (a reconnect link sent days before a grant ends).
   */
  async start(
    userId: string,
    providerId: string,
    asked?: string[],
    force = false,
    opts: { linkTtlMs?: number } = {},
  ): Promise<StartResult> {
    const p = this.d.providers.get(providerId);
    if (!p) throw new Error(`unknown provider ${providerId}`);
    const wanted = requestedScopes(p, asked);
    const existing = await this.d.vault.store.getConnection(userId, providerId);
    let reason: AuthReason = 'not_connected';
    let scopes = wanted;
    let missing = wanted;
    if (existing) {
      if (existing.state === 'disabled') {
        throw new ConsentProblem(
          'disabled',
          'Connection disabled',
          `An operator disabled this ${p.declaration.displayName} connection.`,
          403,
        );
      }
      missing = missingScopes(existing.scopes, wanted);
      const ending =
        existing.refreshExpiresAt !== null &&
        existing.refreshExpiresAt - this.d.clock.now() <= (this.d.renewBeforeMs ?? 0);
      if (existing.state === 'reauthorization_required' || existing.state === 'pending' || force || ending) {
        reason = 'reauthorization_required';
      } else if (missing.length > 0) reason = 'scope_update_required';
      else return { status: 'connected', provider: providerId, scopes: existing.scopes };
      scopes = normalizeScopes([...existing.scopes, ...wanted]);
    }
    const now = this.d.clock.now();
    const consent = await this.d.vault.store.createConsent({
      authId: `auth_${randomBytes(12).toString('base64url')}`,
      linkId: id128(),
      userId,
      provider: providerId,
      scopes,
      reason,
      createdAt: now,
      expiresAt: now + Math.max(LINK_TTL_MS, opts.linkTtlMs ?? 0),
    });
    return {
      status: 'pending',
      provider: providerId,
      authId: consent.authId,
      authUrl: this.linkUrl(consent.linkId),
      expiresAt: new Date(consent.expiresAt).toISOString(),
      reason,
      missingScopes: missing,
    };
  }

  linkUrl(linkId: string): string {
    return `${this.d.publicUrl()}/connect/${linkId}`;
  }

  /** For GET /connect/:id — never consumes the link (link-preview bots fetch it). */
  async describeLink(linkId: string): Promise<ConsentRow> {
    const c = await this.d.vault.store.getConsentByLink(linkId);
    if (!c)
      throw new ConsentProblem('unknown_link', 'Link not found', 'This connect link does not exist.', 404);
    if (c.status !== 'created') {
      throw new ConsentProblem('used_link', 'Link already used', 'This connect link was already used.', 410);
    }
    if (this.d.clock.now() >= c.expiresAt) {
      throw new ConsentProblem('expired_link', 'Link expired', 'This connect link has expired.', 410);
    }
    return c;
  }

  /**
   * Continue was pressed without the connect page's binding (another site's auto-submit, most likely): the
   * link stays usable by its owner, and operators see a `verification_failed` event (`cross_site_post`).
   */
  async refusedContinue(c: ConsentRow): Promise<void> {
    await recordRefusal(this.d, c, 'cross_site_post');
  }

  /** For POST /connect/:id — consumes the link and returns the provider's authorize URL. */
  async redirect(linkId: string): Promise<{ url: URL; consent: ConsentRow }> {
    const c = await this.describeLink(linkId);
    const { url, state, verifier } = await authorize(this.d, this.redirectUri, c);
    const now = this.d.clock.now();
    const claimed = await this.d.vault.store.markRedirected(
      linkId,
      { oauthState: state, verifier, callbackExpiresAt: now + CALLBACK_TTL_MS },
      now,
    );
    if (!claimed) {
      throw new ConsentProblem('used_link', 'Link already used', 'This connect link was already used.', 410);
    }
    return { url, consent: claimed };
  }

  /**
   * For POST /oauth/confirm-account — the user's answer when a reconnect came back as another account
   * (callback.ts). `keep`: the consent fails and the connection stays as it was. `switch`: the same consent
   * goes back to the provider with a new state, and this time may store a grant for the account confirmed.
   * The token is single use; an unknown, used or expired one is refused.
   */
  async confirmSwitch(
    token: string,
    decision: SwitchDecision,
    gate: (c: ConsentRow) => Promise<Verdict>,
  ): Promise<SwitchOutcome> {
    const store = this.d.vault.store;
    const now = this.d.clock.now();
    const c = token ? await store.takeSwitch(confirmationHash(token), now) : null;
    if (!c?.switchAccount) {
      throw new ConsentProblem(
        'unknown_confirmation',
        'Confirmation not valid',
        'This confirmation was already used or has expired. Ask your agent for a new link.',
        410,
      );
    }
    // Only the person the link was made for answers the question (the guard must not ask whoever holds it).
    const verdict = await gate(c);
    if (verdict === 'hold') return refuseUnproven(this.d, c, { refuse: 'unproven' }, this.#emit);
    if (verdict !== 'activate') return refuseUnproven(this.d, c, verdict, this.#emit);
    if (decision === 'keep') {
      await store.failConsent(c.authId, 'account_switch_declined', now);
      this.#finished.emit(c.authId);
      this.d.log.info({ provider: c.provider, user: c.userId }, 'account switch declined; connection kept');
      return { kept: c };
    }
    const { url, state, verifier } = await authorize(this.d, this.redirectUri, c);
    const armed = await store.rearmConsent(
      c.authId,
      {
        oauthState: state,
        verifier,
        callbackExpiresAt: now + CALLBACK_TTL_MS,
        expectedAccount: c.switchAccount.id,
      },
      now,
    );
    if (!armed) {
      throw new ConsentProblem(
        'replayed_state',
        'Sign-in already handled',
        'This sign-in was already used.',
        409,
      );
    }
    this.d.log.info({ provider: c.provider, user: c.userId }, 'account switch confirmed; signing in again');
    return { redirect: url };
  }

  readonly #emit = (authId: string): void => {
    this.#finished.emit(authId);
  };

  /**
   * GET /oauth/callback: exchange the code, then — as `gate` judges the person in the browser — store the
   * grant, hold it sealed until they are proven, or refuse.
   */
  callback(query: URLSearchParams, gate: (c: ConsentRow) => Promise<Verdict>): Promise<CallbackResult> {
    return handleCallback(this.d, this.redirectUri, query, this.#emit, gate);
  }

  /** The consent of a held grant, for the web layer to judge the person before `finishHeld`. */
  async heldConsent(authId: string): Promise<ConsentRow> {
    const c = await this.d.vault.store.getConsent(authId);
    if (c?.status !== 'exchanging' || c.switchAccount !== null) {
      throw new ConsentProblem(
        'replayed_state',
        'Sign-in already handled',
        'This connection was already finished or refused. Ask your agent for a new link if you still need it.',
        409,
      );
    }
    return c;
  }

  /** After the person was judged: the held grant becomes the connection, or is dropped. */
  async finishHeld(c: ConsentRow, verdict: Verdict): Promise<CallbackResult> {
    if (verdict === 'hold') return refuseUnproven(this.d, c, { refuse: 'unproven' }, this.#emit);
    if (verdict !== 'activate') {
      await takeHeldGrant(this.d, c).catch(() => null);
      return refuseUnproven(this.d, c, verdict, this.#emit);
    }
    const grant = await takeHeldGrant(this.d, c);
    if (!grant) {
      await this.d.vault.store.failConsent(c.authId, 'verification_expired', this.d.clock.now());
      this.#emit(c.authId);
      throw new ConsentProblem(
        'verification_expired',
        'Too late to finish',
        'Proving who you are took too long, so nothing was connected. Ask your agent for a new link.',
        410,
      );
    }
    return activate(this.d, c, grant, this.#emit);
  }

  isExpired(c: ConsentRow): boolean {
    const now = this.d.clock.now();
    return c.status === 'created'
      ? now >= c.expiresAt
      : c.callbackExpiresAt !== null && now >= c.callbackExpiresAt;
  }

  providerList(): Array<{ id: string; name: string }> {
    return [...this.d.providers.values()].map((p) => ({
      id: p.declaration.id,
      name: p.declaration.displayName,
    }));
  }

  /** Resolves when the user's consent leaves its open states, or after `waitMs`; null if not theirs. */
  async waitFor(authId: string, waitMs: number, userId: string): Promise<ConsentRow | null> {
    const store = this.d.vault.store;
    const open = (c: ConsentRow | null) =>
      c !== null && c.status !== 'completed' && c.status !== 'failed' && !this.isExpired(c);
    let c = await store.getConsent(authId);
    if (c && c.userId !== userId) return null;
    const deadline = Date.now() + waitMs;
    while (open(c) && Date.now() < deadline) {
      // Event from this process, or a poll for consents finished by another process sharing the vault.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#finished.off(authId, done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(500, Math.max(0, deadline - Date.now())));
        this.#finished.on(authId, done);
      });
      c = await store.getConsent(authId);
    }
    return c;
  }
}
