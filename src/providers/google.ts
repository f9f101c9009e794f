import { standardInspect, userinfoProbe } from './standard-api.js';
import { readStandardGrant } from './standard-grant.js';
import type { ApiResponse, ApiSignal, ProviderDeclaration } from './types.js';

/**
 * Google (developers.google.com/identity/protocols/oauth2/web-server). A refresh token is issued only with
 * `access_type=offline`, and only on first consent unless `prompt=consent`; `include_granted_scopes=true` makes
 * incremental consent keep earlier scopes. No rotation. A refresh token dies after 6 months unused, after 7
 * days for apps in "testing", or beyond 100 per user and client — all surface as 400 `invalid_grant`.
 */

/** Google APIs put reasons in `error.errors[].reason` (v1 style) or `error.details[].reason` (AIP-193). */
function reasons(response: ApiResponse): string[] {
  const error = (response.body as { error?: { errors?: unknown; details?: unknown } } | null)?.error;
  if (typeof error !== 'object' || error === null) return [];
  const list = [error.errors, error.details].flatMap((v) => (Array.isArray(v) ? v : []));
  return list
    .map((e) => (typeof e === 'object' && e !== null ? (e as { reason?: unknown }).reason : undefined))
    .filter((r): r is string => typeof r === 'string');
}

/** RFC 6750 reading plus Google's 403 reasons: rate limits and insufficient scopes come as 403. */
export function inspectGoogle(response: ApiResponse, now: number): ApiSignal | null {
  const standard = standardInspect(response, now);
  if (standard || response.status !== 403) return standard;
  const why = reasons(response);
  if (
    why.some((r) => r === 'rateLimitExceeded' || r === 'userRateLimitExceeded' || r === 'RATE_LIMIT_EXCEEDED')
  ) {
    return { kind: 'rate_limited', code: 'rateLimitExceeded', retryAfterSeconds: 60 };
  }
  if (why.some((r) => r === 'insufficientPermissions' || r === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    return { kind: 'missing_scope', code: 'insufficient_scope' };
  }
  return null;
}

/** The Google declaration. */
export const google: ProviderDeclaration = {
  id: 'google',
  displayName: 'Google',
  endpoints: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    // Accepts RFC 7009's form (`token=`); revoking a refresh token also kills its access tokens.
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
    userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    apiBaseUrl: 'https://www.googleapis.com',
    issuer: 'https://accounts.google.com',
  },
  scopeSeparator: ' ',
  defaultScopes: ['openid', 'email', 'profile'],
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
  clientAuth: 'client_secret_post',
  pkce: true,
  readGrant: (body, previous) => readStandardGrant(body, previous),
  revocation: 'rfc7009',
  token: {
    rotatesRefreshToken: false,
    reuseGraceSec: 0,
    // "six months" unused; 180 days errs on the early side for warnings.
    refreshIdleLimitSec: 180 * 24 * 3600,
  },
  probe: userinfoProbe,
  api: { inspect: inspectGoogle },
};
