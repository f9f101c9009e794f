import type { GitHubGrant, GitHubState } from './github-state.js';
import { mint, pkceMatches } from './grants.js';
import { basicCredentials, type FakeRequest, htmlReply, type Reply, redirect } from './http.js';

const CODE_TTL_MS = 10 * 60 * 1000; // GitHub codes expire after 10 minutes
const TROUBLESHOOT =
  'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/';

/** The token endpoint's error catalogue: description and doc anchor GitHub sends with each code. */
const ERRORS: Record<string, string> = {
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_verification_code: 'The code passed is incorrect or expired.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  unsupported_grant_type: 'The grant type is not supported.',
};

/** True when the caller asked for JSON; GitHub's default token response is form-encoded. */
function wantsJson(req: FakeRequest): boolean {
  return String(req.headers.accept ?? '').includes('application/json');
}

/** Formats a token endpoint body as GitHub does: JSON only on `Accept: application/json`. */
export function tokenBody(req: FakeRequest, body: Record<string, string | number>): Reply {
  if (wantsJson(req)) return { status: 200, body };
  const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]));
  return {
    status: 200,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: form.toString(),
  };
}

/** An error at the token endpoint: HTTP 200 with `error`, `error_description`, `error_uri`. */
export function tokenError(req: FakeRequest, error: string): Reply {
  return tokenBody(req, {
    error,
    error_description: ERRORS[error] ?? error,
    // redirect_uri_mismatch points at the authorization-errors page in GitHub's own examples.
    error_uri:
      error === 'redirect_uri_mismatch'
        ? 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2'
        : `${TROUBLESHOOT}#${error.replaceAll('_', '-')}`,
  });
}

function parseScopes(raw: string | undefined): Set<string> {
  // The docs say space-delimited; GitHub also takes commas.
  return new Set((raw ?? '').split(/[\s,]+/).filter((s) => s !== ''));
}

/**
 * `GET /login/oauth/authorize`: auto-approves for the consenting login. An unknown client gets
 * GitHub's 404 page; a redirect_uri that is not registered goes back to the registered callback
 * with `error=redirect_uri_mismatch`, as GitHub does.
 */
export function authorize(state: GitHubState, req: FakeRequest): Reply {
  const p = req.params;
  if (p['client_id'] !== state.opts.clientId) return htmlReply(404, 'Not Found');
  const registered = state.opts.redirectUris;
  const redirectUri = p['redirect_uri'];
  const fallback = registered?.[0];
  if (registered && redirectUri !== undefined && !registered.includes(redirectUri)) {
    if (fallback === undefined) return htmlReply(400, 'Bad redirect');
    return redirect(fallback, {
      error: 'redirect_uri_mismatch',
      error_description: ERRORS['redirect_uri_mismatch'],
      error_uri: TROUBLESHOOT,
      state: p['state'],
    });
  }
  const target = redirectUri ?? fallback;
  if (target === undefined) return htmlReply(400, 'No callback URL');
  if (state.consent.deny) {
    return redirect(target, {
      error: 'access_denied',
      error_description: 'The user has denied your application access.',
      error_uri: 'https://docs.github.com/apps/troubleshooting-authorization-request-errors/#access-denied',
      state: p['state'],
    });
  }
  // GitHub Apps ignore `scope`: the token carries the app's permissions.
  const scopes =
    state.opts.mode === 'github-app' ? new Set(state.opts.appPermissions) : parseScopes(p['scope']);
  const grant = state.grantFor(state.consent.login, scopes);
  const code = mint('').slice(0, 20);
  const challenge = p['code_challenge'];
  state.codes.add(code, {
    grant,
    clientId: state.opts.clientId,
    redirectUri: redirectUri ?? null,
    challenge:
      challenge === undefined ? null : { value: challenge, method: p['code_challenge_method'] ?? 'plain' },
    expiresAt: state.opts.now() + CODE_TTL_MS,
    used: false,
    scopes,
    botScopes: new Set(),
  });
  return redirect(target, { code, state: p['state'] });
}

/** The credential a token request presents and its grant type, for the request log. */
export function presentedGrant(req: FakeRequest): { token: string | null; grantType: string } {
  const grantType = req.params['grant_type'] ?? 'authorization_code';
  const token = grantType === 'refresh_token' ? req.params['refresh_token'] : req.params['code'];
  return { token: token ?? null, grantType };
}

function issue(state: GitHubState, req: FakeRequest, grant: GitHubGrant): Reply {
  const scope = state.opts.mode === 'github-app' ? '' : [...grant.scopes].join(',');
  if (state.opts.mode === 'oauth-app') {
    const access = state.tokens.issue(grant, 'access', 'user', mint('gho_'), grant.scopes, null);
    return tokenBody(req, { access_token: access.value, token_type: 'bearer', scope });
  }
  const ttl = state.opts.accessTtlSeconds;
  const refreshTtl = state.opts.refreshTtlSeconds;
  const access = state.tokens.issue(grant, 'access', 'user', mint('ghu_'), grant.scopes, ttl);
  const refresh = state.tokens.issue(grant, 'refresh', 'user', mint('ghr_'), grant.scopes, refreshTtl);
  return tokenBody(req, {
    access_token: access.value,
    expires_in: ttl,
    refresh_token: refresh.value,
    refresh_token_expires_in: refreshTtl,
    scope,
    token_type: 'bearer',
  });
}

/**
 * `POST /login/oauth/access_token`: code exchange (with PKCE when a challenge was sent) and, for
 * GitHub Apps, refresh with rotation. Errors answer HTTP 200, as NOTES.md's provider table records.
 */
export function accessToken(state: GitHubState, req: FakeRequest): Reply {
  const basic = basicCredentials(req.headers);
  const id = basic?.id ?? req.params['client_id'];
  const secret = basic?.secret ?? req.params['client_secret'];
  if (id !== state.opts.clientId || secret !== state.opts.clientSecret) {
    return tokenError(req, 'incorrect_client_credentials');
  }
  const grantType = req.params['grant_type'] ?? 'authorization_code';
  if (grantType === 'refresh_token') {
    // OAuth App tokens never expire and come without a refresh token, so any refresh is bad.
    const presented = req.params['refresh_token'] ?? '';
    const { token, problem } = state.tokens.check(presented, 'refresh');
    if (problem || !token || state.opts.mode === 'oauth-app') return tokenError(req, 'bad_refresh_token');
    token.rotated = true; // the old refresh token dies on use; no grace period is documented
    return issue(state, req, token.grant);
  }
  if (grantType !== 'authorization_code') return tokenError(req, 'unsupported_grant_type');
  const code = req.params['code'] ?? '';
  const entry = state.codes.peek(code);
  if (!entry || entry.grant.revoked) return tokenError(req, 'bad_verification_code');
  const redirectUri = req.params['redirect_uri'];
  if (redirectUri !== undefined && entry.redirectUri !== null && redirectUri !== entry.redirectUri) {
    return tokenError(req, 'redirect_uri_mismatch');
  }
  if (entry.challenge) {
    const verifier = req.params['code_verifier'];
    if (verifier === undefined || !pkceMatches(entry.challenge.value, entry.challenge.method, verifier)) {
      return tokenError(req, 'bad_verification_code');
    }
  }
  state.codes.consume(code);
  return issue(state, req, entry.grant);
}
