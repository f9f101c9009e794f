import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as oidc from 'openid-client';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ConfiguredProvider } from '../providers/types.js';
import { classifyTokenError } from './classify.js';
import { grantWrite } from './grant.js';
import type { OAuthClients } from './oauth-client.js';
import { missingScopes, normalizeScopes, requestedScopes } from './scopes.js';
import { type AuthReason, ConnectionIdMismatchError, type ConsentRow } from './store/types.js';
import type { Vault } from './store/vault.js';

/**
 * The consent flow: single-use connect links bound to (user, provider, scopes), the redirect with state and
 * PKCE, and the callback that exchanges the code and seals the tokens. Every bad path ends in a
 * ConsentProblem (shown as a page) and leaves the connection untouched.
 */

export const LINK_TTL_MS = 15 * 60_000;
/** Time between pressing Continue and the provider sending the browser back. */
export const CALLBACK_TTL_MS = 10 * 60_000;

export class ConsentProblem extends Error {
  override readonly name = 'ConsentProblem';
  constructor(
    readonly code:
      | 'unknown_link'
      | 'expired_link'
      | 'used_link'
      | 'unknown_state'
      | 'replayed_state'
      | 'expired_state'
      | 'missing_code'
      | 'provider_error'
      | 'token_endpoint'
      | 'provider_unavailable'
      | 'disabled',
    readonly title: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

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

export interface ConsentDeps {
  vault: Vault;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  oauth: OAuthClients;
  clock: Clock;
  log: Logger;
  /** Base of links and of the redirect URI; a function because port 0 is known only after listening. */
  publicUrl: () => string;
}

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
   */
  async start(userId: string, providerId: string, asked?: string[], force = false): Promise<StartResult> {
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
      if (existing.state === 'reauthorization_required' || existing.state === 'pending' || force) {
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
      expiresAt: now + LINK_TTL_MS,
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

  /** For POST /connect/:id — consumes the link and returns the provider's authorize URL. */
  async redirect(linkId: string): Promise<URL> {
    const c = await this.describeLink(linkId);
    const client = this.d.oauth.get(c.provider);
    const decl = client.provider.declaration;
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = decl.discovery && c.scopes.includes('openid') ? oidc.randomNonce() : undefined;
    let url: URL;
    try {
      url = await client.authorizationUrl({
        redirectUri: this.redirectUri,
        state,
        scopes: c.scopes,
        ...(decl.pkce ? { codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier) } : {}),
        ...(nonce ? { nonce } : {}),
      });
    } catch (err) {
      // Discovery failed: the link stays usable, so the user can try again once the provider answers.
      this.d.log.warn({ provider: c.provider, err: (err as Error).message }, 'authorize URL unavailable');
      throw new ConsentProblem(
        'provider_unavailable',
        'Provider unavailable',
        `${decl.displayName} could not be reached. Try the link again in a minute.`,
        502,
      );
    }
    const verifier = this.d.vault.sealVerifier(c.authId, { codeVerifier, ...(nonce ? { nonce } : {}) });
    const now = this.d.clock.now();
    const claimed = await this.d.vault.store.markRedirected(
      linkId,
      { oauthState: state, verifier, callbackExpiresAt: now + CALLBACK_TTL_MS },
      now,
    );
    if (!claimed) {
      throw new ConsentProblem('used_link', 'Link already used', 'This connect link was already used.', 410);
    }
    return url;
  }

  /** GET /oauth/callback: exchange the code, seal the tokens, mark the connection healthy. */
  async callback(query: URLSearchParams): Promise<{ consent: ConsentRow; accountName: string | undefined }> {
    const store = this.d.vault.store;
    const state = query.get('state');
    const c = state ? await store.getConsentByState(state) : null;
    if (!c) {
      throw new ConsentProblem(
        'unknown_state',
        'Sign-in not recognised',
        'This sign-in response does not match any connect link toolvault sent (state mismatch).',
      );
    }
    if (c.status !== 'redirected') {
      throw new ConsentProblem(
        'replayed_state',
        'Sign-in already handled',
        'This sign-in response was already used. Ask your agent for a new link if you still need to connect.',
        409,
      );
    }
    const now = this.d.clock.now();
    const fail = async (code: string): Promise<void> => {
      await store.failConsent(c.authId, code, this.d.clock.now());
      this.#finished.emit(c.authId);
    };
    if (c.callbackExpiresAt !== null && now >= c.callbackExpiresAt) {
      await fail('expired_state');
      throw new ConsentProblem(
        'expired_state',
        'Sign-in took too long',
        'This sign-in expired. Ask your agent for a new link.',
        410,
      );
    }
    const providerError = query.get('error');
    if (providerError) {
      const code = providerError.replace(/[^a-z0-9_.-]/gi, '').slice(0, 64) || 'error';
      await fail(code);
      const denied = code === 'access_denied';
      throw new ConsentProblem(
        'provider_error',
        denied ? 'Access was not granted' : 'The provider reported an error',
        denied
          ? 'You declined access, so nothing was connected. Ask your agent for a new link if that was a mistake.'
          : `The provider answered "${code}" and nothing was connected.`,
      );
    }
    if (!query.get('code')) {
      await fail('missing_code');
      throw new ConsentProblem(
        'missing_code',
        'Sign-in incomplete',
        'The provider sent no authorization code, so nothing was connected.',
      );
    }
    const claimed = await store.claimCallback(c.authId, now);
    if (!claimed) {
      throw new ConsentProblem(
        'replayed_state',
        'Sign-in already handled',
        'This sign-in response was already used.',
        409,
      );
    }
    const client = this.d.oauth.get(c.provider);
    const checks = this.d.vault.openVerifier(c);
    const pkce = client.provider.declaration.pkce;
    const callbackUrl = new URL(this.redirectUri);
    callbackUrl.search = query.toString();
    let grant: Awaited<ReturnType<typeof client.exchangeCode>>;
    try {
      grant = await client.exchangeCode(callbackUrl, {
        state: c.oauthState ?? '',
        ...(pkce ? { codeVerifier: checks.codeVerifier } : {}),
        ...(checks.nonce ? { nonce: checks.nonce } : {}),
      });
    } catch (err) {
      const failure = classifyTokenError(err, client.provider.declaration);
      this.d.log.warn(
        {
          provider: c.provider,
          authId: c.authId,
          kind: failure.kind,
          code: failure.code,
          status: failure.status,
        },
        'code exchange failed',
      );
      await fail(`token_endpoint:${failure.code ?? failure.kind}`);
      throw new ConsentProblem(
        'token_endpoint',
        'Could not finish connecting',
        `${client.provider.declaration.displayName} did not accept the sign-in (${failure.code ?? failure.kind}). Nothing was stored; ask your agent for a new link.`,
        502,
      );
    }
    const connection = await this.#store(c, grant, client.provider);
    this.d.log.info({ provider: c.provider, user: c.userId, connection: connection.id }, 'connected');
    this.#finished.emit(c.authId);
    const done = (await store.getConsent(c.authId)) ?? c;
    return { consent: done, accountName: grant.account?.name ?? grant.account?.id };
  }

  async #store(
    c: ConsentRow,
    grant: Awaited<ReturnType<ReturnType<OAuthClients['get']>['exchangeCode']>>,
    p: ConfiguredProvider,
  ) {
    const store = this.d.vault.store;
    const now = this.d.clock.now();
    const before = await store.getConnection(c.userId, c.provider);
    let id = before?.id ?? randomUUID();
    for (let attempt = 0; ; attempt++) {
      const write = grantWrite(p, grant, c.scopes, now, this.d.vault.sealTokens(id, grant.tokens));
      try {
        const row = await store.completeConsent(c.authId, id, write, now);
        await store.appendEvent({
          at: now,
          type: 'state_changed',
          connectionId: row.id,
          userId: row.userId,
          provider: row.provider,
          fromState: before?.state ?? 'pending',
          toState: 'healthy',
          reason: `consent_completed:${c.reason}`,
          detail: { authId: c.authId, scopes: row.scopes },
        });
        return row;
      } catch (err) {
        // Another consent created the row meanwhile: seal for its id (the additional data) and retry once.
        if (err instanceof ConnectionIdMismatchError && attempt === 0) {
          id = err.existingId;
          continue;
        }
        throw err;
      }
    }
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
