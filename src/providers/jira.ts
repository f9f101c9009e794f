import { standardInspect } from './standard-api.js';
import { obj, str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProviderDeclaration } from './types.js';

/**
 * Jira Cloud through Atlassian OAuth 2.0 (3LO) (developer.atlassian.com, "OAuth 2.0 (3LO) apps"):
 * - refresh tokens rotate; reusing one outside a 10-minute leeway revokes them all, so a refresh whose answer
 *   was lost is retried inside that window (lost-response.ts reads `reuseGraceSec`);
 * - 90 days unused ends a grant (a keep-alive refresh plans for it), and 365 days after consent ends it
 *   whatever happens (counted from the consent: rotation does not move it; the expiry watch warns);
 * - token errors come as **403** `invalid_grant`;
 * - the API is `api.atlassian.com/ex/jira/{cloudId}`, the cloud id read from `accessible-resources` right
 *   after consent and kept on the connection;
 * - a call whose scope the token lacks answers 401 "scope does not match", not 403.
 */

const DAY = 24 * 3600;

/** The first site the grant reaches with Jira scopes: its cloud id and URL. */
export function readAccessibleResources(response: ApiResponse): Record<string, string> | undefined {
  if (response.status !== 200 || !Array.isArray(response.body)) return undefined;
  const sites = response.body.filter(
    (s): s is Record<string, unknown> => typeof s === 'object' && s !== null,
  );
  const site =
    sites.find((s) => Array.isArray(s['scopes']) && s['scopes'].some((x) => /jira/.test(String(x)))) ??
    sites[0];
  const cloudId = site && str(site, 'id');
  if (!cloudId) return undefined;
  const url = str(site, 'url');
  return { cloudId, ...(url ? { siteUrl: url } : {}) };
}

function message(response: ApiResponse): string {
  const b = response.body;
  if (typeof b !== 'object' || b === null) return typeof b === 'string' ? b : '';
  return str(b as Record<string, unknown>, 'message') ?? '';
}

export function inspectJira(response: ApiResponse, now: number): ApiSignal | null {
  if (response.status === 401 && /scope does not match/i.test(message(response)))
    return { kind: 'missing_scope', code: 'scope_does_not_match' };
  return standardInspect(response, now);
}

/** Jira's `{errorMessages: [], errors: {field: message}}`: the field names and messages are safe to show. */
export function jiraRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  const b = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<
    string,
    unknown
  >;
  const messages = Array.isArray(b['errorMessages']) ? b['errorMessages'].map(String) : [];
  const fields = Object.entries(obj(b, 'errors') ?? {}).map(([k, v]) => `${k}: ${String(v)}`);
  const details = [...fields, ...messages].map((d) => d.slice(0, 200)).slice(0, 10);
  const code =
    response.status === 404
      ? 'not_found'
      : response.status === 400
        ? 'invalid_request'
        : `http_${response.status}`;
  return { status: response.status, code, ...(details.length > 0 ? { details } : {}) };
}

export const jira: ProviderDeclaration = {
  id: 'jira',
  displayName: 'Jira',
  endpoints: {
    authorizeUrl: 'https://auth.atlassian.com/authorize',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    apiBaseUrl: 'https://api.atlassian.com/ex/jira/{cloudId}',
  },
  scopeSeparator: ' ',
  defaultScopes: ['read:jira-work', 'write:jira-work', 'read:jira-user'],
  offlineScopes: ['offline_access'],
  authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  clientAuth: 'client_secret_post',
  pkce: true,
  token: {
    rotatesRefreshToken: true,
    reuseGraceSec: 600,
    refreshIdleLimitSec: 90 * DAY,
    refreshAbsoluteLifetimeSec: 365 * DAY,
    absoluteLifetimeFrom: 'consent',
  },
  connectionValues: {
    names: ['cloudId'],
    discover: {
      url: 'https://api.atlassian.com/oauth/token/accessible-resources',
      read: readAccessibleResources,
    },
  },
  probe: {
    method: 'GET',
    path: 'rest/api/3/myself',
    judge: (r) =>
      r.status === 200 ? 'valid' : r.status === 401 && !/scope/i.test(message(r)) ? 'invalid' : 'unknown',
    account: (r) => {
      const b = (typeof r.body === 'object' && r.body !== null ? r.body : {}) as Record<string, unknown>;
      const id = str(b, 'accountId');
      if (!id) return undefined;
      const name = str(b, 'emailAddress') ?? str(b, 'displayName');
      return name ? { id, name } : { id };
    },
  },
  api: { inspect: inspectJira, requestError: jiraRequestError },
};
