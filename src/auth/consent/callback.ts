import type { NormalizedGrant } from '../../providers/types.js';
import { classifyTokenError } from '../refresh/classify.js';
import { accountByProbe, activate } from './activate.js';
import { learnConnectionValues } from './connection-values.js';
import type { CallbackResult } from './outcome.js';
import { holdGrant, refuseUnproven, type Verdict } from './held.js';
import type { ConsentDeps } from './deps.js';
import { ConsentProblem } from './problems.js';
import type { ConsentRow } from '../../vault/types.js';

/**
 * The OAuth callback: find the consent by `state`, refuse replays and late or failed answers, judge the
 * person in the browser (`gate`: web/verification.ts), exchange the code (PKCE verifier and nonce from the
 * vault), then store the grant (activate.ts), hold it sealed until the person is proven (held.ts), or refuse.
 * Every refusal is a ConsentProblem; nothing reaches the connections table unless the exchange succeeded.
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

/** GET /oauth/callback: exchange the code, seal the tokens, mark the connection healthy. */
export async function handleCallback(
  d: ConsentDeps,
  redirectUri: string,
  query: URLSearchParams,
  finished: (authId: string) => void,
  gate: (c: ConsentRow) => Promise<Verdict>,
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
  // Who is in the browser is judged before the code is spent: a known mismatch exchanges nothing.
  const verdict = await gate(c);
  if (verdict !== 'activate' && verdict !== 'hold') return refuseUnproven(d, c, verdict, finished);
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
  const learned = await learnConnectionValues(client.provider, grant, d.fetch ?? fetch);
  if (!learned.ok) {
    d.log.warn(
      { provider: c.provider, authId: c.authId, missing: learned.missing },
      'connection values unknown',
    );
    await fail(`connection_values:${learned.missing.join(',')}`);
    throw new ConsentProblem(
      'provider_unavailable',
      'Could not finish connecting',
      `${client.provider.declaration.displayName} did not say where this account's API is ` +
        `(${learned.missing.join(', ')}). Nothing was stored; ask your agent for a new link.`,
      502,
    );
  }
  if (learned.values) grant.tokens.values = learned.values;
  if (verdict === 'hold') {
    const account = grant.account ?? (await accountByProbe(d, client.provider, grant.tokens));
    if (account) grant.account = account;
    await holdGrant(d, c, grant);
    return { consent: c, accountName: account?.name ?? account?.id, held: true };
  }
  return activate(d, c, grant, finished);
}
