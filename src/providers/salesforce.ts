import type { ErrorKind } from '../contract.js';
import { standardInspect, userinfoProbe } from './standard-api.js';
import { readStandardGrant, str } from './standard-grant.js';
import type {
  ApiRequestError,
  ApiResponse,
  ApiSignal,
  NormalizedGrant,
  ProviderDeclaration,
  TokenSet,
} from './types.js';

/**
 * Salesforce (help.salesforce.com, "OAuth 2.0 Web Server Flow"). The token response has no `expires_in`: a
 * session lasts as the org's policy says, so toolvault probes the token every few hours and refreshes when a
 * probe or a call gets 401. The API lives on the org's own host, the response's `instance_url`, kept on the
 * connection (a refresh answer repeats it; a changed one is followed). `id` names the org and the user.
 * Revocation is RFC 7009-like at `/services/oauth2/revoke`. API errors are an array of
 * `{message, errorCode, fields}`; `REQUEST_LIMIT_EXCEEDED` is the org's daily API limit.
 */

const API_VERSION = 'v62.0';

const TOKEN_ERRORS: Record<string, ErrorKind> = {
  inactive_user: 'revoked',
  inactive_org: 'revoked',
};

/** `https://login.salesforce.com/id/<org id>/<user id>`. */
function identity(b: Record<string, unknown>): { org: string; user: string } | undefined {
  const m = /\/id\/([A-Za-z0-9]{15,18})\/([A-Za-z0-9]{15,18})$/.exec(str(b, 'id') ?? '');
  return m ? { org: m[1]!, user: m[2]! } : undefined;
}

export function readSalesforceGrant(b: Record<string, unknown>, previous?: TokenSet): NormalizedGrant {
  const grant = readStandardGrant(b, previous);
  const instanceUrl = str(b, 'instance_url');
  if (instanceUrl)
    grant.tokens.values = { ...grant.tokens.values, instanceUrl: instanceUrl.replace(/\/+$/, '') };
  const who = identity(b);
  if (who) grant.account = { id: who.user, team: who.org };
  return grant;
}

function firstError(response: ApiResponse): Record<string, unknown> | undefined {
  const b = response.body;
  const first = Array.isArray(b) ? b[0] : b;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

export function inspectSalesforce(response: ApiResponse, now: number): ApiSignal | null {
  const code = str(firstError(response) ?? {}, 'errorCode');
  if (code === 'REQUEST_LIMIT_EXCEEDED')
    return { kind: 'rate_limited', code: 'request_limit_exceeded', retryAfterSeconds: 3600 };
  if (response.status === 401)
    return { kind: 'expired_access', code: (code ?? 'invalid_session_id').toLowerCase() };
  return standardInspect(response, now);
}

export function salesforceRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  const e = firstError(response) ?? {};
  const code = (str(e, 'errorCode') ?? `http_${response.status}`).toLowerCase();
  const fields = Array.isArray(e['fields']) ? e['fields'].map(String) : [];
  const message = str(e, 'message');
  const details = [
    ...(fields.length > 0 ? [`fields: ${fields.join(', ')}`] : []),
    ...(message ? [message.slice(0, 300)] : []),
  ];
  return { status: response.status, code, ...(details.length > 0 ? { details } : {}) };
}

export const salesforce: ProviderDeclaration = {
  id: 'salesforce',
  displayName: 'Salesforce',
  endpoints: {
    authorizeUrl: 'https://login.salesforce.com/services/oauth2/authorize',
    tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
    revokeUrl: 'https://login.salesforce.com/services/oauth2/revoke',
    userinfoUrl: 'https://login.salesforce.com/services/oauth2/userinfo',
    apiBaseUrl: `{instanceUrl}/services/data/${API_VERSION}`,
  },
  scopeSeparator: ' ',
  defaultScopes: ['api'],
  // Salesforce issues a refresh token only when the `refresh_token` scope is asked for.
  offlineScopes: ['refresh_token'],
  clientAuth: 'client_secret_post',
  pkce: true,
  readGrant: (b, previous) => readSalesforceGrant(b, previous),
  tokenErrors: TOKEN_ERRORS,
  revocation: 'rfc7009',
  // No expires_in and no default: the plan is a probe every few hours, and a refresh on 401.
  token: { rotatesRefreshToken: false, reuseGraceSec: 0 },
  connectionValues: { names: ['instanceUrl'] },
  probe: userinfoProbe,
  api: { inspect: inspectSalesforce, requestError: salesforceRequestError },
};
