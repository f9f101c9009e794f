import type { ErrorKind } from '../contract.js';
import { githubRevocation } from './github-revocation.js';
import { retryAfterSeconds } from './retry-after.js';
import { standardRequestError, statusCode } from './standard-api.js';
import { readStandardGrant, str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProviderDeclaration } from './types.js';

/**
 * GitHub, one declaration for both kinds of app, told apart by what the token response says:
 * - GitHub App user tokens: `expires_in` 28800 (8 h), a rotating `refresh_token` (old one dies on use) with
 *   `refresh_token_expires_in` (6 months), and `scope: ""` (apps have permissions, not scopes);
 * - OAuth App tokens: no `expires_in`, no refresh token, never expire; `scope` comma-separated (`repo,gist`).
 * Token endpoint errors come as HTTP 200 `{error, error_description, error_uri}` (docs.github.com, "Troubleshooting
 * OAuth app access token request errors"); JSON only because openid-client sends `Accept: application/json`.
 */

const TOKEN_ERRORS: Record<string, ErrorKind> = {
  // "The refresh token is expired, revoked or invalid" — GitHub's invalid_grant for refreshes.
  bad_refresh_token: 'revoked',
  // Code expired, used, or not ours: the consent flow must start over.
  bad_verification_code: 'revoked',
  incorrect_client_credentials: 'config_error',
  redirect_uri_mismatch: 'config_error',
  unsupported_grant_type: 'config_error',
  // A suspended GitHub App is an operator problem, not the user's grant.
  application_suspended: 'config_error',
};

/**
 * Scopes implied by broader ones (docs.github.com "Scopes for OAuth apps": `repo` grants `repo:status`...,
 * `admin:x` grants `write:x` grants `read:x`, `user` grants `read:user`, `user:email`, `user:follow`).
 */
const IMPLIED: Record<string, string[]> = {
  repo: ['repo:status', 'repo_deployment', 'public_repo', 'repo:invite', 'security_events'],
  user: ['read:user', 'user:email', 'user:follow'],
  'admin:org': ['write:org'],
  'write:org': ['read:org'],
  'admin:public_key': ['write:public_key'],
  'write:public_key': ['read:public_key'],
  'admin:repo_hook': ['write:repo_hook'],
  'write:repo_hook': ['read:repo_hook'],
  'admin:gpg_key': ['write:gpg_key'],
  'write:gpg_key': ['read:gpg_key'],
  'write:packages': ['read:packages'],
  'write:discussion': ['read:discussion'],
  project: ['read:project'],
};

/** Whether `granted` grants `needed`, directly or through the hierarchy above. */
export function githubScopeCovers(granted: string, needed: string): boolean {
  if (granted === needed) return true;
  return (IMPLIED[granted] ?? []).some((child) => githubScopeCovers(child, needed));
}

function headerScopes(headers: Headers, name: string): string[] | undefined {
  const raw = headers.get(name);
  if (raw === null) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function message(response: ApiResponse): string {
  const body = response.body;
  if (typeof body !== 'object' || body === null) return '';
  return str(body as Record<string, unknown>, 'message') ?? '';
}

/**
 * GitHub's 403 means three different things: a rate limit (primary: `x-ratelimit-remaining: 0`; secondary:
 * `retry-after`, or only the message — then "wait at least one minute", docs.github.com "Rate limits for the
 * REST API"), a missing OAuth scope (`X-Accepted-OAuth-Scopes` not covered by `X-OAuth-Scopes`), or a plain
 * refusal (SSO, org policy, app permissions) that is the request's problem. A 404 whose
 * `X-Accepted-OAuth-Scopes` the token's `X-OAuth-Scopes` do not cover is a scope gap too.
 */
export function inspectGithub(response: ApiResponse, now: number): ApiSignal | null {
  const { status, headers } = response;
  if (status === 401) return { kind: 'expired_access', code: 'bad_credentials' };
  if (status >= 500) return { kind: 'transient', code: `http_${status}` };
  if (status === 403 || status === 429) {
    const exhausted = headers.get('x-ratelimit-remaining') === '0';
    if (status === 429 || exhausted || headers.has('retry-after') || /rate limit/i.test(message(response))) {
      const signal: ApiSignal = {
        kind: 'rate_limited',
        code: exhausted ? 'primary_rate_limit' : 'secondary_rate_limit',
      };
      const wait = headers.has('retry-after') || exhausted ? retryAfterSeconds(headers, now) : undefined;
      signal.retryAfterSeconds = wait ?? 60;
      return signal;
    }
  }
  // OAuth Apps answer a missing scope with 404 as often as 403: GitHub hides what a token may not touch.
  if (status === 403 || status === 404) {
    const accepted = headerScopes(headers, 'x-accepted-oauth-scopes');
    const granted = headerScopes(headers, 'x-oauth-scopes');
    // Any one accepted scope suffices; App tokens send no X-OAuth-Scopes, and their 403s are permissions.
    if (accepted && accepted.length > 0 && granted) {
      const covered = accepted.some((need) => granted.some((have) => githubScopeCovers(have, need)));
      if (!covered) {
        // Ask for the narrowest accepted scope: one that implies no other accepted scope.
        const narrowest = accepted.filter((a) => !accepted.some((b) => b !== a && githubScopeCovers(a, b)));
        return {
          kind: 'missing_scope',
          code: 'insufficient_scope',
          missingScopes: narrowest.length > 0 ? narrowest : accepted,
          grantedScopes: granted,
        };
      }
    }
  }
  return null;
}

/**
 * GitHub's request failures: 404 also means "this token cannot see it" (GitHub hides private resources),
 * 422 lists `errors[]` as `Resource.field: code`, and a 403 with `X-GitHub-SSO` needs SAML SSO authorization.
 */
export function githubRequestError(response: ApiResponse): ApiRequestError | null {
  const base = standardRequestError(response);
  if (!base) return null;
  if (response.status === 403 && response.headers.has('x-github-sso'))
    return { ...base, code: 'sso_required' };
  if (response.status === 422 && typeof response.body === 'object' && response.body !== null) {
    const errors = (response.body as Record<string, unknown>)['errors'];
    if (Array.isArray(errors)) {
      const details = errors
        .map((e) => (typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {}))
        .map(
          (e) =>
            [str(e, 'resource'), str(e, 'field')].filter(Boolean).join('.') +
            `: ${str(e, 'code') ?? 'invalid'}`,
        )
        .slice(0, 10);
      if (details.length > 0) return { ...base, code: statusCode(422), details };
    }
  }
  return base;
}

/** The GitHub declaration. */
export const github: ProviderDeclaration = {
  id: 'github',
  displayName: 'GitHub',
  endpoints: {
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    // Deletes the whole authorization (every token of this app for this user); `{client_id}` is substituted.
    revokeUrl: 'https://api.github.com/applications/{client_id}/grant',
    apiBaseUrl: 'https://api.github.com',
  },
  // The authorize `scope` is "a space-delimited list of scopes" (docs.github.com, "Authorizing OAuth apps");
  // GitHub answers with commas, which readGrant splits.
  scopeSeparator: ' ',
  defaultScopes: ['repo'],
  clientAuth: 'client_secret_post',
  pkce: true,
  adaptTokenResponse: adaptGithubTokenResponse,
  readGrant: (body, previous) => readStandardGrant(body, previous),
  tokenErrors: TOKEN_ERRORS,
  revocation: githubRevocation,
  token: {
    // OAuth App tokens say nothing and never expire; App user tokens always say expires_in.
    rotatesRefreshToken: true,
    reuseGraceSec: 0,
    // "refresh_token_expires_in": 15897600 (six months); used only if a response leaves it out.
    refreshAbsoluteLifetimeSec: 15_897_600,
  },
  probe: {
    method: 'GET',
    path: 'user',
    judge: (r) => (r.status === 200 ? 'valid' : r.status === 401 ? 'invalid' : 'unknown'),
    account: (r) => {
      const body =
        typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>) : undefined;
      const id = body?.['id'];
      if (typeof id !== 'number' && typeof id !== 'string') return undefined;
      const login = body && str(body, 'login');
      return login ? { id: String(id), name: login } : { id: String(id) };
    },
  },
  api: {
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      // GitHub rejects API requests without a User-Agent.
      'user-agent': 'toolvault',
    },
    inspect: inspectGithub,
    requestError: githubRequestError,
  },
};

/** `adaptTokenResponse` for GitHub: a 200 `{error}` becomes a 400 with the same error fields. */
export async function adaptGithubTokenResponse(response: Response): Promise<Response> {
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').includes('json'))
    return response;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return response;
  }
  if (typeof body !== 'object' || body === null || typeof (body as { error?: unknown }).error !== 'string') {
    return response;
  }
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = { error: b['error'] };
  for (const key of ['error_description', 'error_uri']) if (typeof b[key] === 'string') out[key] = b[key];
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(out), { status: 400, headers });
}
