import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { probe } from '../../providers/api-client.js';
import type { Account, ConfiguredProvider, NormalizedGrant } from '../../providers/types.js';
import { classifyTokenError } from '../refresh/classify.js';
import type { ConsentDeps } from './deps.js';
import { ConsentProblem } from './problems.js';
import { grantWrite } from '../refresh/grant.js';
import { ConnectionIdMismatchError, type ConnectionRow, type ConsentRow } from '../../vault/types.js';
import { about, recordEvent } from '../../vault/events.js';

/**
 * The OAuth callback: find the consent by `state`, refuse replays and late or failed answers, exchange the
 * code (PKCE verifier and nonce from the vault), learn who consented, then seal and store the grant. Every
 * refusal is a ConsentProblem; nothing reaches the connections table unless the exchange succeeded.
 *
 * Who consented is recorded as the connection's `account`: from the token response (Slack's user and team,
 * an OIDC id_token's `sub`) or else the provider's probe (GitHub's `GET /user` login). A reconnect that comes
 * back as another account than the connection's does not replace the grant: the user is shown both accounts
 * and asked to confirm with a single-use token. Until then the old grant stays and nothing of the new one is
 * kept — its tokens are dropped here, and a confirmed switch signs in again (consent.ts `confirmSwitch`).
 * Holding them sealed meanwhile would spare that second sign-in, but it would keep tokens for an account the
 * user may be refusing, in a place the key rotation does not know; a provider with a live session makes the
 * second sign-in one redirect.
 */

export interface CallbackResult {
  consent: ConsentRow;
  accountName: string | undefined;
  /** Set when the user must confirm switching accounts; nothing was stored. */
  confirm?: { token: string; current: Account; incoming: Account };
}

/** sha256 of an account-switch confirmation token, as the store keeps it (never the token itself). */
export function confirmationHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Time the user has to answer the account-switch question. */
export const SWITCH_TTL_MS = 10 * 60_000;

/** The same person at the provider: the same id (and, where the provider says, the same team/workspace). */
export function sameAccount(a: Account, b: Account): boolean {
  return a.id === b.id && (a.team === undefined || b.team === undefined || a.team === b.team);
}

/** GET /oauth/callback: exchange the code, seal the tokens, mark the connection healthy. */
export async function handleCallback(
  d: ConsentDeps,
  redirectUri: string,
  query: URLSearchParams,
  finished: (authId: string) => void,
): Promise<CallbackResult> {
  const store = d.vault.store;
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
  const now = d.clock.now();
  const fail = async (code: string): Promise<void> => {
    await store.failConsent(c.authId, code, d.clock.now());
    finished(c.authId);
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
  const client = d.oauth.get(c.provider);
  const checks = d.vault.openVerifier(c);
  const pkce = client.provider.declaration.pkce;
  const callbackUrl = new URL(redirectUri);
  callbackUrl.search = query.toString();
  let grant: NormalizedGrant;
  try {
    grant = await client.exchangeCode(callbackUrl, {
      state: c.oauthState ?? '',
      ...(pkce ? { codeVerifier: checks.codeVerifier } : {}),
      ...(checks.nonce ? { nonce: checks.nonce } : {}),
    });
  } catch (err) {
    const failure = classifyTokenError(err, client.provider.declaration);
    d.log.warn(
      {
        provider: c.provider,
        authId: c.authId,
        kind: failure.kind,
        errorCode: failure.code,
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
  const account = grant.account ?? (await accountByProbe(d, client.provider, grant.tokens.accessToken));
  if (account) grant.account = account;
  const before = await store.getConnection(c.userId, c.provider);
  if (
    before?.account &&
    account &&
    !sameAccount(before.account, account) &&
    c.expectedAccount !== account.id
  ) {
    return holdForSwitch(d, c, before, account);
  }
  const connection = await storeGrant(d, c, grant, client.provider, before);
  d.log.info({ provider: c.provider, user: c.userId, connection: connection.id }, 'connected');
  finished(c.authId);
  const done = (await store.getConsent(c.authId)) ?? c;
  return { consent: done, accountName: grant.account?.name ?? grant.account?.id };
}

/** Who the token belongs to, by the provider's probe; undefined when it does not say or cannot answer. */
async function accountByProbe(
  d: ConsentDeps,
  p: ConfiguredProvider,
  accessToken: string,
): Promise<Account | undefined> {
  if (!p.declaration.probe?.account) return undefined;
  const seen = await probe(p, accessToken, d.fetch ?? fetch, { timeoutMs: 10_000 });
  if (!seen.account)
    d.log.warn({ provider: p.declaration.id, status: seen.status }, 'could not learn the account');
  return seen.account;
}

/**
 * The consent came back as `incoming` while the connection acts as `before.account`: keep the consent open
 * (`exchanging`) with a single-use confirmation token, drop the new tokens, and let the page ask.
 */
async function holdForSwitch(
  d: ConsentDeps,
  c: ConsentRow,
  before: ConnectionRow,
  incoming: Account,
): Promise<CallbackResult> {
  const store = d.vault.store;
  const now = d.clock.now();
  const token = randomBytes(32).toString('base64url');
  const held = await store.holdForSwitch(
    c.authId,
    { account: incoming, tokenHash: confirmationHash(token), until: now + SWITCH_TTL_MS },
    now,
  );
  if (!held) {
    throw new ConsentProblem(
      'replayed_state',
      'Sign-in already handled',
      'This sign-in response was already used.',
      409,
    );
  }
  const current = before.account!;
  await recordEvent(store, about(before), now, {
    type: 'account_mismatch',
    reason: 'awaiting_confirmation',
    detail: { authId: c.authId, current: current.id, incoming: incoming.id },
  });
  d.log.warn(
    { provider: c.provider, user: c.userId, connection: before.id },
    'consent came back as another account; the user is asked to confirm the switch',
  );
  return { consent: held, accountName: incoming.name ?? incoming.id, confirm: { token, current, incoming } };
}

/** Seals the grant for the (user, provider) row and completes the consent in one transaction. */
async function storeGrant(
  d: ConsentDeps,
  c: ConsentRow,
  grant: NormalizedGrant,
  p: ConfiguredProvider,
  before: ConnectionRow | null,
): Promise<ConnectionRow> {
  const store = d.vault.store;
  const now = d.clock.now();
  const switched =
    before?.account && grant.account && !sameAccount(before.account, grant.account)
      ? { accountSwitched: { from: before.account.id, to: grant.account.id } }
      : {};
  let id = before?.id ?? randomUUID();
  for (let attempt = 0; ; attempt++) {
    const write = grantWrite(
      p,
      grant,
      c.scopes,
      now,
      d.vault.sealTokens(id, grant.tokens),
      undefined,
      d.random,
    );
    try {
      const row = await store.completeConsent(c.authId, id, write, now);
      await recordEvent(store, about(row), now, {
        type: 'state_changed',
        fromState: before?.state ?? 'pending',
        toState: 'healthy',
        reason: `consent_completed:${c.reason}`,
        detail: { authId: c.authId, scopes: row.scopes, ...switched },
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
