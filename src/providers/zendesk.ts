import { standardInspect } from './standard-api.js';
import { obj, str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProviderDeclaration } from './types.js';

/**
 * Zendesk (developer.zendesk.com, "Using OAuth to authenticate Zendesk API requests"). Everything lives on
 * the account's subdomain (`providers.zendesk.subdomain`): the OAuth endpoints are filled from configuration,
 * and each connection keeps the subdomain it was made on for its API base. Since 2026-04-30 refresh tokens
 * are mandatory: access tokens expire (30 minutes by default) and a refresh returns a new refresh token and
 * deletes the old pair. Clients registered earlier get expiring tokens only when the token request asks
 * (`expires_in`), so every token request does. API errors: `{error: "RecordNotFound" | "RecordInvalid",
 * description, details: {field: [{description}]}}`; 401 `invalid_token`; 429 with Retry-After.
 */

/** Asked for on every token request: 30 minutes, and a refresh token that lives 30 days unused. */
const TOKEN_PARAMS = { expires_in: '1800', refresh_token_expires_in: '2592000' };

export function inspectZendesk(response: ApiResponse, now: number): ApiSignal | null {
  const b = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<
    string,
    unknown
  >;
  if (response.status === 403 && /scope/i.test(str(b, 'description') ?? str(b, 'error') ?? ''))
    return { kind: 'missing_scope', code: 'insufficient_scope' };
  return standardInspect(response, now);
}

export function zendeskRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  const b = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<
    string,
    unknown
  >;
  const error = b['error'];
  const code =
    typeof error === 'string'
      ? error.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()
      : `http_${response.status}`;
  const details = Object.entries(obj(b, 'details') ?? {})
    .flatMap(([field, list]) =>
      (Array.isArray(list) ? list : []).map(
        (d) => `${field}: ${str((d ?? {}) as Record<string, unknown>, 'description') ?? 'invalid'}`,
      ),
    )
    .map((d) => d.slice(0, 200))
    .slice(0, 10);
  return { status: response.status, code, ...(details.length > 0 ? { details } : {}) };
}

export const zendesk: ProviderDeclaration = {
  id: 'zendesk',
  displayName: 'Zendesk',
  endpoints: {
    authorizeUrl: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
    tokenUrl: 'https://{subdomain}.zendesk.com/oauth/tokens',
    apiBaseUrl: 'https://{subdomain}.zendesk.com/api/v2',
  },
  scopeSeparator: ' ',
  defaultScopes: ['read', 'write'],
  clientAuth: 'client_secret_post',
  pkce: true,
  tokenParams: TOKEN_PARAMS,
  token: { rotatesRefreshToken: true, reuseGraceSec: 0 },
  connectionValues: { names: ['subdomain'] },
  probe: {
    method: 'GET',
    path: 'users/me',
    // An unauthenticated users/me answers 200 with an anonymous user (id null): only a real id is alive.
    judge: (r) => {
      if (r.status === 401) return 'invalid';
      const user = obj((r.body ?? {}) as Record<string, unknown>, 'user');
      return r.status === 200 && typeof user?.['id'] === 'number' ? 'valid' : 'unknown';
    },
    account: (r) => {
      const user = obj((r.body ?? {}) as Record<string, unknown>, 'user');
      const id = user?.['id'];
      if (typeof id !== 'number') return undefined;
      const name = str(user!, 'email') ?? str(user!, 'name');
      return name ? { id: String(id), name } : { id: String(id) };
    },
  },
  api: { inspect: inspectZendesk, requestError: zendeskRequestError },
};
