import { randomBytes, randomUUID } from 'node:crypto';
import { probe } from '../../providers/api-client.js';
import type { Account, ConfiguredProvider, NormalizedGrant, TokenSet } from '../../providers/types.js';
import { type CallbackResult, confirmationHash, sameAccount, SWITCH_TTL_MS } from './outcome.js';
import type { ConsentDeps } from './deps.js';
import { ConsentProblem } from './problems.js';
import { grantWrite } from '../refresh/grant.js';
import { ConnectionIdMismatchError, type ConnectionRow, type ConsentRow } from '../../vault/types.js';
import { about, recordEvent } from '../../vault/events.js';

/**
 * A grant whose person is proven (or needs no proof here) becomes the connection: unless it came back as
 * another account than the connection's, which the user is asked to confirm first (callback.ts explains).
 */
export async function activate(
  d: ConsentDeps,
  c: ConsentRow,
  grant: NormalizedGrant,
  finished: (authId: string) => void,
): Promise<CallbackResult> {
  const store = d.vault.store;
  const client = d.oauth.get(c.provider);
  const account = grant.account ?? (await accountByProbe(d, client.provider, grant.tokens));
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
export async function accountByProbe(
  d: ConsentDeps,
  p: ConfiguredProvider,
  tokens: Pick<TokenSet, 'accessToken' | 'values'>,
): Promise<Account | undefined> {
  if (!p.declaration.probe?.account) return undefined;
  const seen = await probe(p, tokens.accessToken, d.fetch ?? fetch, {
    timeoutMs: 10_000,
    ...(tokens.values ? { values: tokens.values } : {}),
  });
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
