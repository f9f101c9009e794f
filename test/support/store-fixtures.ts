import type { ConnectionRow, GrantWrite, NewConsent, SealedSecret, Store } from '../../src/vault/types.js';

/** Builders for Store tests. The store never opens secrets, so sealed blobs here are plain marker bytes. */

export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;

export function secret(text: string, keyId = 'k_test'): SealedSecret {
  return { keyId, blob: new TextEncoder().encode(text) };
}

export function grant(text: string, overrides: Partial<GrantWrite> = {}): GrantWrite {
  return {
    secret: secret(text),
    scopes: ['read'],
    account: { id: 'U1', name: 'Ada' },
    accessExpiresAt: T0 + 60 * MINUTE,
    accessIssuedAt: T0,
    refreshDueAt: T0 + 45 * MINUTE,
    ...overrides,
  };
}

let seq = 0;
export function newConsent(
  userId: string,
  provider: string,
  overrides: Partial<NewConsent> = {},
): NewConsent {
  seq++;
  return {
    authId: `auth_${seq}`,
    linkId: `link_${seq}`,
    userId,
    provider,
    scopes: ['read'],
    reason: 'not_connected',
    createdAt: T0,
    expiresAt: T0 + 15 * MINUTE,
    ...overrides,
  };
}

/** Walks a consent through the whole flow and returns the connection it made. */
export async function connect(
  store: Store,
  userId: string,
  provider: string,
  opts: { id?: string; grant?: GrantWrite; now?: number } = {},
): Promise<ConnectionRow> {
  const now = opts.now ?? T0;
  const c = await store.createConsent(
    newConsent(userId, provider, { createdAt: now, expiresAt: now + 15 * MINUTE }),
  );
  await store.markRedirected(
    c.linkId,
    { oauthState: `state_${c.authId}`, verifier: secret('verifier'), callbackExpiresAt: now + 10 * MINUTE },
    now,
  );
  await store.claimCallback(c.authId, now);
  const id = opts.id ?? `conn_${userId}_${provider}`;
  return store.completeConsent(c.authId, id, opts.grant ?? grant(`tokens-${id}`), now);
}
