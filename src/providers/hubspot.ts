import type { ErrorKind } from '../contract.js';
import { retryAfterSeconds } from './retry-after.js';
import { standardInspect } from './standard-api.js';
import { num, obj, readStandardGrant, str } from './standard-grant.js';
import type {
  ApiRequestError,
  ApiResponse,
  ApiSignal,
  NormalizedGrant,
  ProviderDeclaration,
  TokenSet,
} from './types.js';

/**
 * HubSpot (developers.hubspot.com, "Manage OAuth access tokens using the v3 APIs"). Access tokens live 30
 * minutes; the refresh token does not rotate. The v3 token endpoint (v1 ends 2027-02-16) takes every parameter
 * in the form body and answers errors in HubSpot's own shape, `{category, subCategory?, message,
 * correlationId}` (v1: `{status: "BAD_REFRESH_TOKEN", message}`), never RFC 6749's `error`: the adapter below
 * rewrites them, and camelCase token bodies (`accessToken`, `expiresIn`, `hubId`), into the standard shape.
 * API errors carry `category`: `EXPIRED_AUTHENTICATION`, `MISSING_SCOPES` (with the granular scopes needed),
 * `RATE_LIMITS`, `OBJECT_NOT_FOUND`, `VALIDATION_ERROR`.
 */

const TOKEN_ERRORS: Record<string, ErrorKind> = {
  bad_refresh_token: 'revoked',
  invalid_token: 'revoked',
  bad_auth_code: 'revoked',
  bad_client_id: 'config_error',
  bad_client_secret: 'config_error',
  bad_redirect_uri: 'config_error',
  bad_grant_type: 'config_error',
  validation_error: 'config_error',
  rate_limits: 'rate_limited',
};

const CAMEL: Record<string, string> = {
  accessToken: 'access_token',
  refreshToken: 'refresh_token',
  expiresIn: 'expires_in',
  tokenType: 'token_type',
  idToken: 'id_token',
  hubId: 'hub_id',
  userId: 'user_id',
};

/** HubSpot's error body as one RFC 6749 `error` code. */
function hubspotCode(b: Record<string, unknown>): string {
  const status = str(b, 'status');
  if (status && status !== 'error') return status.toLowerCase();
  const sub = str(b, 'subCategory');
  return (sub ?? str(b, 'category') ?? 'unknown_error').toLowerCase();
}

/** `adaptTokenResponse`: HubSpot errors become 400 `{error}`; camelCase token fields become snake_case. */
export async function adaptHubspotTokenResponse(response: Response): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  let b: unknown;
  try {
    b = await response.clone().json();
  } catch {
    return response;
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return response;
  const body = b as Record<string, unknown>;
  let out: Record<string, unknown>;
  let status = response.status;
  if (response.status >= 400 && typeof body['error'] !== 'string' && response.status < 500) {
    out = { error: hubspotCode(body) };
    if (status !== 429) status = 400;
  } else if (response.status === 200 && 'accessToken' in body) {
    out = Object.fromEntries(Object.entries(body).map(([k, v]) => [CAMEL[k] ?? k, v]));
  } else {
    return response;
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(out), { status, headers });
}

export function readHubspotGrant(b: Record<string, unknown>, previous?: TokenSet): NormalizedGrant {
  const grant = readStandardGrant(b, previous);
  if (Array.isArray(b['scopes'])) grant.scopes = b['scopes'].map(String);
  const hub = num(b, 'hub_id');
  const user = num(b, 'user_id');
  if (hub !== undefined) grant.account = { id: String(user ?? hub), team: String(hub) };
  return grant;
}

function category(response: ApiResponse): { category?: string; body: Record<string, unknown> } {
  const b = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<
    string,
    unknown
  >;
  const c = str(b, 'category');
  return c ? { category: c, body: b } : { body: b };
}

/** The granular scopes a MISSING_SCOPES error names (`errors[].context.requiredGranularScopes`). */
function requiredScopes(b: Record<string, unknown>): string[] {
  const errors = Array.isArray(b['errors']) ? b['errors'] : [];
  return errors.flatMap((e) => {
    const ctx = obj((e ?? {}) as Record<string, unknown>, 'context');
    const list = ctx?.['requiredGranularScopes'] ?? ctx?.['requiredScopes'];
    return Array.isArray(list) ? list.map(String) : [];
  });
}

export function inspectHubspot(response: ApiResponse, now: number): ApiSignal | null {
  const { category: c, body } = category(response);
  if (c === 'RATE_LIMITS' || response.status === 429) {
    // The ten-second window is the usual one; HubSpot does not always send Retry-After.
    return {
      kind: 'rate_limited',
      code: 'rate_limits',
      retryAfterSeconds: retryAfterSeconds(response.headers, now) ?? 10,
    };
  }
  if (c === 'MISSING_SCOPES') {
    const needed = requiredScopes(body);
    return {
      kind: 'missing_scope',
      code: 'missing_scopes',
      ...(needed.length > 0 ? { missingScopes: needed } : {}),
    };
  }
  if (c === 'EXPIRED_AUTHENTICATION' || c === 'INVALID_AUTHENTICATION')
    return { kind: 'expired_access', code: c.toLowerCase() };
  return standardInspect(response, now);
}

export function hubspotRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  const { category: c } = category(response);
  return { status: response.status, code: (c ?? `http_${response.status}`).toLowerCase() };
}

export const hubspot: ProviderDeclaration = {
  id: 'hubspot',
  displayName: 'HubSpot',
  endpoints: {
    authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
    tokenUrl: 'https://api.hubapi.com/oauth/v3/token',
    apiBaseUrl: 'https://api.hubapi.com',
  },
  scopeSeparator: ' ',
  defaultScopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
  clientAuth: 'client_secret_post',
  pkce: true,
  adaptTokenResponse: adaptHubspotTokenResponse,
  readGrant: (b, previous) => readHubspotGrant(b, previous),
  tokenErrors: TOKEN_ERRORS,
  token: { rotatesRefreshToken: false, reuseGraceSec: 0, defaultAccessLifetimeSec: 1800 },
  probe: {
    method: 'GET',
    path: 'account-info/v3/details',
    judge: (r) => (r.status === 200 ? 'valid' : r.status === 401 ? 'invalid' : 'unknown'),
  },
  api: { inspect: inspectHubspot, requestError: hubspotRequestError },
};
