import type { ConfiguredProvider, NormalizedGrant } from '../providers/types.js';
import { normalizeScopes } from './scopes.js';
import type { GrantWrite, SealedSecret } from './store/types.js';

/** Share of an access token's life after which the scheduler refreshes it (DESIGN: 75%). */
export const REFRESH_AT_FRACTION = 0.75;
/** Spread of due times below 75%, so connections issued together are not refreshed in the same second. */
export const REFRESH_JITTER_FRACTION = 0.1;

/**
 * Turns a token endpoint answer into what the vault stores: expiry from `expires_in` or the declared
 * default lifetime, the refresh due time at 75% of that life, and the granted scopes (the provider's word
 * when it gives one, else what was asked for).
 */
export function grantWrite(
  p: ConfiguredProvider,
  grant: NormalizedGrant,
  askedScopes: string[],
  now: number,
  secret: SealedSecret,
  previousScopes?: string[],
  random: () => number = Math.random,
): GrantWrite {
  const lifetimeSec = grant.expiresIn ?? p.declaration.token.defaultAccessLifetimeSec;
  const accessExpiresAt = lifetimeSec === undefined ? null : now + lifetimeSec * 1000;
  const canRefresh = grant.tokens.refreshToken !== undefined;
  return {
    secret,
    scopes: grantedScopes(p, grant, askedScopes, previousScopes),
    account: grant.account ?? null,
    accessExpiresAt,
    accessIssuedAt: now,
    refreshDueAt:
      accessExpiresAt === null || !canRefresh
        ? null
        : now +
          Math.floor((accessExpiresAt - now) * (REFRESH_AT_FRACTION - random() * REFRESH_JITTER_FRACTION)),
  };
}

/**
 * The provider's word on scopes when it gives one, else what was asked for. Offline scopes asked for stay
 * recorded when a refresh token came back: oidc-provider (and others) leave `offline_access` out of the
 * response's `scope` even though they honoured it, and a missing one would look like a scope gap forever.
 */
function grantedScopes(
  p: ConfiguredProvider,
  grant: NormalizedGrant,
  asked: string[],
  previous?: string[],
): string[] {
  const said = grant.scopes ?? previous ?? asked;
  const offline = grant.tokens.refreshToken
    ? (p.declaration.offlineScopes ?? []).filter((s) => asked.includes(s))
    : [];
  return normalizeScopes([...said, ...offline]);
}
