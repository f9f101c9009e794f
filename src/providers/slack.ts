import type { ErrorKind } from '../contract.js';
import { slackRevocation } from './slack-revocation.js';
import { adaptSlackTokenResponse, readSlackGrant } from './slack-token-response.js';
import { standardRequestError, transportSignal } from './standard-api.js';
import { obj, str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProbeVerdict, ProviderDeclaration } from './types.js';

/**
 * Slack, OAuth v2 with token rotation (docs.slack.dev/authentication/using-token-rotation: access tokens live
 * 12 h; a refresh revokes the refresh token used). toolvault scope strings are Slack *user* scopes, except
 * those prefixed `bot:`, which are bot scopes. Web API methods answer HTTP 200 with `{ok:false, error}`.
 */

/** Token endpoint codes (oauth.v2.access, plus rotation's) and what they mean. */
const TOKEN_ERRORS: Record<string, ErrorKind> = {
  // The refresh token is dead: the install was revoked, the user deactivated, or the token already rotated.
  invalid_refresh_token: 'revoked',
  token_revoked: 'revoked',
  token_expired: 'revoked',
  account_inactive: 'revoked',
  // A code exchange with a used or expired code: the flow must start over (RFC 6749 invalid_grant's twin).
  invalid_code: 'revoked',
  // Our request is wrong (seed 004: a wrong grant type is not a dead credential).
  invalid_client_id: 'config_error',
  bad_client_secret: 'config_error',
  invalid_grant_type: 'config_error',
  bad_redirect_uri: 'config_error',
  oauth_authorization_url_mismatch: 'config_error',
  invalid_arguments: 'config_error',
  invalid_form_data: 'config_error',
  ratelimited: 'rate_limited',
  internal_error: 'transient',
  fatal_error: 'transient',
  service_unavailable: 'transient',
  request_timeout: 'transient',
};

/** Web API errors about the token (auth.test's documented set, plus rotation's `token_expired`). */
const API_AUTH_ERRORS: Record<string, ErrorKind> = {
  not_authed: 'expired_access',
  invalid_auth: 'expired_access',
  token_expired: 'expired_access',
  token_revoked: 'revoked',
  account_inactive: 'revoked',
  ratelimited: 'rate_limited',
  internal_error: 'transient',
  fatal_error: 'transient',
  service_unavailable: 'transient',
  request_timeout: 'transient',
};

function slackBody(response: ApiResponse): Record<string, unknown> | undefined {
  const b = response.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b)
    ? (b as Record<string, unknown>)
    : undefined;
}

function slackError(response: ApiResponse): string | undefined {
  const body = slackBody(response);
  return body && body['ok'] === false ? (str(body, 'error') ?? 'unknown_error') : undefined;
}

/** `needed`/`provided` are comma-separated scope lists on `missing_scope` errors. */
function scopeList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * Reads a Web API response. Scopes in `missing_scope` come as Slack names them, i.e. user scopes when the
 * primary (user) token made the call.
 */
export function inspectSlack(response: ApiResponse, now: number): ApiSignal | null {
  const transport = transportSignal(response, now);
  if (transport) return response.status === 429 ? { ...transport, code: 'ratelimited' } : transport;
  const error = slackError(response);
  if (!error) return null;
  if (error === 'missing_scope') {
    const body = slackBody(response)!;
    const signal: ApiSignal = { kind: 'missing_scope', code: error };
    const needed = scopeList(body['needed']);
    const provided = scopeList(body['provided']);
    if (needed) signal.missingScopes = needed;
    if (provided) signal.grantedScopes = provided;
    return signal;
  }
  const kind = API_AUTH_ERRORS[error];
  return kind ? { kind, code: error } : null;
}

/**
 * A failed method that is not about the token (`channel_not_found`, `not_in_channel`, `is_archived`...):
 * Slack's code, plus `response_metadata.messages` (Slack's structured argument complaints) as details.
 */
export function slackRequestError(response: ApiResponse): ApiRequestError | null {
  const error = slackError(response);
  if (!error) return standardRequestError(response);
  const result: ApiRequestError = { status: response.status, code: error };
  const messages = obj(slackBody(response)!, 'response_metadata')?.['messages'];
  if (Array.isArray(messages)) {
    const details = messages.filter((m): m is string => typeof m === 'string').map((m) => m.slice(0, 200));
    if (details.length > 0) result.details = details.slice(0, 5);
  }
  return result;
}

/**
 * `auth.test` verdict. `not_authed` means no token reached Slack — our bug, not evidence about the token
 * (seed 004), so it is `unknown`, as are rate limits and outages.
 */
function judgeAuthTest(response: ApiResponse): ProbeVerdict {
  if (response.status !== 200) return response.status === 401 ? 'invalid' : 'unknown';
  const body = slackBody(response);
  if (body?.['ok'] === true) return 'valid';
  const error = slackError(response);
  return error === 'invalid_auth' ||
    error === 'token_revoked' ||
    error === 'account_inactive' ||
    error === 'token_expired'
    ? 'invalid'
    : 'unknown';
}

/** Authorize parameters: user scopes in `user_scope`, `bot:` scopes (unprefixed) in `scope`, comma-joined. */
export function slackScopeParams(scopes: string[]): Record<string, string> {
  const user = scopes.filter((s) => !s.startsWith('bot:'));
  const bot = scopes.filter((s) => s.startsWith('bot:')).map((s) => s.slice(4));
  const params: Record<string, string> = {};
  if (user.length > 0) params['user_scope'] = user.join(',');
  if (bot.length > 0) params['scope'] = bot.join(',');
  return params;
}

/** The Slack declaration. */
export const slack: ProviderDeclaration = {
  id: 'slack',
  displayName: 'Slack',
  endpoints: {
    authorizeUrl: 'https://slack.com/oauth/v2/authorize',
    tokenUrl: 'https://slack.com/api/oauth.v2.access',
    // auth.revoke is a Web API method authenticated by the token itself, not RFC 7009.
    revokeUrl: 'https://slack.com/api/auth.revoke',
    apiBaseUrl: 'https://slack.com/api',
  },
  scopeSeparator: ',',
  defaultScopes: ['channels:read', 'channels:history', 'chat:write'],
  scopeParams: slackScopeParams,
  // oauth.v2.access takes client_id/client_secret as form parameters (Basic also works).
  clientAuth: 'client_secret_post',
  // oauth.v2.access documents `code_verifier`.
  pkce: true,
  adaptTokenResponse: adaptSlackTokenResponse,
  readGrant: readSlackGrant,
  tokenErrors: TOKEN_ERRORS,
  revocation: slackRevocation,
  token: {
    // Without rotation Slack tokens never expire and come with no expires_in: nothing to assume.
    rotatesRefreshToken: true,
    reuseGraceSec: 0,
  },
  probe: {
    method: 'POST',
    path: 'auth.test',
    judge: judgeAuthTest,
    account: (response) => {
      const body = slackBody(response);
      const id = body && str(body, 'user_id');
      if (!body || !id) return undefined;
      const team = str(body, 'team_id');
      const name = str(body, 'user');
      return { id, ...(team ? { team } : {}), ...(name ? { name } : {}) };
    },
  },
  api: { inspect: inspectSlack, requestError: slackRequestError },
};
