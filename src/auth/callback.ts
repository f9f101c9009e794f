import { randomUUID } from 'node:crypto';
import type { ConfiguredProvider, NormalizedGrant } from '../providers/types.js';
import { classifyTokenError } from './classify.js';
import type { ConsentDeps } from './consent.js';
import { ConsentProblem } from './consent-problem.js';
import { grantWrite } from './grant.js';
import { ConnectionIdMismatchError, type ConnectionRow, type ConsentRow } from './store/types.js';

/**
 * The OAuth callback: find the consent by `state`, refuse replays and late or failed answers, exchange the
 * code (PKCE verifier and nonce from the vault), then seal and store the grant. Every refusal is a
 * ConsentProblem; nothing reaches the connections table unless the exchange succeeded.
 */

export interface CallbackResult {
  consent: ConsentRow;
  accountName: string | undefined;
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
  const connection = await storeGrant(d, c, grant, client.provider);
  d.log.info({ provider: c.provider, user: c.userId, connection: connection.id }, 'connected');
  finished(c.authId);
  const done = (await store.getConsent(c.authId)) ?? c;
  return { consent: done, accountName: grant.account?.name ?? grant.account?.id };
}

/** Seals the grant for the (user, provider) row and completes the consent in one transaction. */
async function storeGrant(
  d: ConsentDeps,
  c: ConsentRow,
  grant: NormalizedGrant,
  p: ConfiguredProvider,
): Promise<ConnectionRow> {
  const store = d.vault.store;
  const now = d.clock.now();
  const before = await store.getConnection(c.userId, c.provider);
  let id = before?.id ?? randomUUID();
  for (let attempt = 0; ; attempt++) {
    const write = grantWrite(p, grant, c.scopes, now, d.vault.sealTokens(id, grant.tokens));
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
