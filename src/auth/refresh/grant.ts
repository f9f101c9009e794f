import type { ConfiguredProvider, NormalizedGrant } from '../../providers/types.js';
import { planChecks } from './plan.js';
import { normalizeScopes } from '../scopes.js';
import type { GrantWrite, SealedSecret } from '../../vault/types.js';

export { REFRESH_AT_FRACTION, REFRESH_JITTER_FRACTION } from './plan.js';

/**
 * Turns a token endpoint answer into what the vault stores: expiry from `expires_in` or the declared
 * default lifetime, the refresh token's absolute end when the provider says it (or declares one), the check
 * plan (plan.ts: refresh due at 65–75% of the life, keep-alive before an idle limit, else periodic probes),
 * and the granted scopes (the provider's word when it gives one, else what was asked for).
 *
 * `previousRefreshToken` (on a refresh) tells a rotation from a kept refresh token: a kept one keeps the end
 * on record (refreshExpiresAt null means "no news").
 */
export function grantWrite(
  p: ConfiguredProvider,
  grant: NormalizedGrant,
  askedScopes: string[],
  now: number,
  secret: SealedSecret,
  previousScopes?: string[],
  random: () => number = Math.random,
  previousRefreshToken?: string,
): GrantWrite {
  const d = p.declaration;
  const lifetimeSec = grant.expiresIn ?? d.token.defaultAccessLifetimeSec;
  const accessExpiresAt = lifetimeSec === undefined ? null : now + lifetimeSec * 1000;
  const refreshToken = grant.tokens.refreshToken;
  const newRefreshToken = refreshToken !== undefined && refreshToken !== previousRefreshToken;
  // An end counted from the consent (Atlassian's 365 days) is set once, at consent; refreshes keep it.
  const fromConsent = d.token.absoluteLifetimeFrom === 'consent';
  const startsEnd = fromConsent ? previousRefreshToken === undefined : newRefreshToken;
  const absoluteSec = grant.refreshExpiresIn ?? (startsEnd ? d.token.refreshAbsoluteLifetimeSec : undefined);
  const refreshExpiresAt = absoluteSec === undefined ? null : now + absoluteSec * 1000;
  const plan = planChecks(
    d,
    { now, accessExpiresAt, refreshExpiresAt, canRefresh: refreshToken !== undefined },
    random,
  );
  return {
    secret,
    scopes: grantedScopes(p, grant, askedScopes, previousScopes),
    account: grant.account ?? null,
    accessExpiresAt,
    accessIssuedAt: now,
    refreshDueAt: plan.refreshDueAt,
    nextCheckAt: plan.nextCheckAt,
    refreshExpiresAt,
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
