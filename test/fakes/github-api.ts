import { randomBytes } from 'node:crypto';
import {
  type ApiCall,
  createComment,
  createIssue,
  getIssue,
  ghError,
  searchIssues,
} from './github-issues.js';
import type { GitHubGrant, GitHubState } from './github-state.js';
import type { IssuedToken } from './grants.js';
import { basicCredentials, type FakeRequest, type Reply } from './http.js';

interface Route {
  method: string;
  template: string;
  resource: 'core' | 'search';
  /** `token`: user token required; `optional`: public data without one; `client`: app Basic auth. */
  auth: 'token' | 'optional' | 'client';
  /** What `X-Accepted-OAuth-Scopes` says for OAuth App tokens. */
  accepted: string;
  run(call: ApiCall): Reply;
}

/** Route keys for {@link GitHubFake.failNext}, named after the OpenAPI paths. */
export const GITHUB_ROUTES: Route[] = [
  { method: 'GET', template: '/user', resource: 'core', auth: 'token', accepted: '', run: getUser },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues',
    resource: 'core',
    auth: 'token',
    accepted: 'repo',
    run: createIssue,
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}',
    resource: 'core',
    auth: 'optional',
    accepted: 'repo',
    run: getIssue,
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    resource: 'core',
    auth: 'token',
    accepted: 'repo',
    run: createComment,
  },
  {
    method: 'GET',
    template: '/search/issues',
    resource: 'search',
    auth: 'optional',
    accepted: '',
    run: searchIssues,
  },
  {
    method: 'DELETE',
    template: '/applications/{client_id}/grant',
    resource: 'core',
    auth: 'client',
    accepted: '',
    run: (call) => deleteAuthorization(call, 'grant'),
  },
  {
    method: 'DELETE',
    template: '/applications/{client_id}/token',
    resource: 'core',
    auth: 'client',
    accepted: '',
    run: (call) => deleteAuthorization(call, 'token'),
  },
];

/** Finds the route for a request and its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const route of GITHUB_ROUTES) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const source = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const m = new RegExp(`^${source}$`).exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route, params };
  }
  return null;
}

/**
 * The JSON body whatever the content type: GitHub parses request bodies as JSON regardless of the
 * header, and answers 400 "Problems parsing JSON" when they do not parse (null here).
 */
export function jsonBody(req: FakeRequest): Record<string, unknown> | null | undefined {
  if (req.rawBody === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(req.rawBody);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The token in `Authorization: Bearer X` or `token X`; GitHub takes both schemes. */
export function presentedToken(req: FakeRequest): string | null {
  return /^(?:Bearer|token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? null;
}

function getUser(call: ApiCall): Reply {
  const login = call.token?.grant.subject ?? '';
  return {
    status: 200,
    body: { ...call.state.user(login), name: null, email: null, created_at: '2011-01-25T18:44:36Z' },
  };
}

/** `DELETE /applications/{client_id}/grant|token`: body `{access_token}`, 204 on success. */
function deleteAuthorization(call: ApiCall, what: 'grant' | 'token'): Reply {
  const value = call.body['access_token'];
  if (typeof value !== 'string') {
    return ghError(
      422,
      'Invalid request.\n\n"access_token" wasn\'t supplied.',
      'https://docs.github.com/rest/apps/oauth-applications',
    );
  }
  const token = call.state.tokens.find(value);
  if (token?.kind !== 'access' || token.revoked || token.grant.revoked) {
    return ghError(404, 'Not Found', 'https://docs.github.com/rest/apps/oauth-applications');
  }
  if (what === 'grant') token.grant.revoked = true;
  else token.revoked = true;
  return { status: 204 };
}

/** Primary rate-limit window for an identity and resource: core per hour, search per minute. */
export function rateBucket(
  state: GitHubState,
  identity: string,
  resource: 'core' | 'search',
  authed: boolean,
) {
  const key = `${identity}:${resource}`;
  const now = state.opts.now();
  let bucket = state.buckets.get(key);
  if (!bucket || now >= bucket.resetAt) {
    bucket = { resetAt: now + (resource === 'core' ? 3_600_000 : 60_000), used: 0 };
    state.buckets.set(key, bucket);
  }
  // Unauthenticated callers get 60/h core and 10/min search (rate-limits-for-the-rest-api).
  const limit = authed
    ? resource === 'core'
      ? state.opts.coreLimit
      : state.opts.searchLimit
    : resource === 'core'
      ? 60
      : 10;
  return { bucket, limit };
}

/** The five X-RateLimit-* headers GitHub sends on every API response. */
export function rateHeaders(
  limit: number,
  used: number,
  resetAt: number,
  resource: string,
): Record<string, string> {
  return {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(Math.max(limit - used, 0)),
    'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    'x-ratelimit-used': String(used),
    'x-ratelimit-resource': resource,
  };
}

/** Resolves which token (if any) a request carries, for rate-limit identity on fault replies too. */
export function identify(state: GitHubState, req: FakeRequest): IssuedToken<GitHubGrant> | null {
  const value = presentedToken(req);
  if (value === null) return null;
  const { token, problem } = state.tokens.check(value, 'access');
  return problem ? null : token;
}

/**
 * Runs one REST call as api.github.com does: User-Agent required, then credentials, the primary rate
 * limit, and the route. OAuth App tokens get `X-OAuth-Scopes` and `X-Accepted-OAuth-Scopes`.
 */
export function callApi(
  state: GitHubState,
  req: FakeRequest,
  route: Route,
  path: Record<string, string>,
): Reply {
  const base: Record<string, string> = {
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
  };
  const finish = (reply: Reply): Reply => ({ ...reply, headers: { ...base, ...reply.headers } });
  if (!req.headers['user-agent']) {
    return finish({
      status: 403,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body:
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header ' +
        '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). ' +
        'Check https://developer.github.com for other possible causes.\n',
    });
  }
  let token: IssuedToken<GitHubGrant> | null = null;
  if (route.auth === 'client') {
    const basic = basicCredentials(req.headers);
    const valid = basic?.id === state.opts.clientId && basic.secret === state.opts.clientSecret;
    if (!valid || path['client_id'] !== state.opts.clientId) return finish(ghError(404, 'Not Found'));
  } else if (req.headers.authorization !== undefined) {
    const value = presentedToken(req);
    const checked = value === null ? null : state.tokens.check(value, 'access');
    // Expired, revoked and unknown tokens all look alike to the caller: 401 Bad credentials.
    if (!checked?.token || checked.problem) return finish(ghError(401, 'Bad credentials'));
    token = checked.token;
  } else if (route.auth === 'token') {
    return finish(ghError(401, 'Requires authentication'));
  }
  const identity = token ? `user:${token.grant.subject}` : 'anonymous';
  const { bucket, limit } = rateBucket(state, identity, route.resource, token !== null);
  if (bucket.used >= limit) {
    return finish(primaryLimit(token?.grant.userId ?? null, limit, bucket.resetAt, route.resource, 403));
  }
  bucket.used += 1;
  Object.assign(base, rateHeaders(limit, bucket.used, bucket.resetAt, route.resource));
  if (token && state.opts.mode === 'oauth-app') {
    base['x-oauth-scopes'] = [...token.grant.scopes].join(', ');
    base['x-accepted-oauth-scopes'] = route.accepted;
  }
  const body = jsonBody(req);
  if (body === null) return finish(ghError(400, 'Problems parsing JSON'));
  return finish(route.run({ state, req, token, path, body: body ?? {} }));
}

/** Primary limit exhausted: 403 (or 429) with remaining 0 and the reset time. */
export function primaryLimit(
  userId: number | null,
  limit: number,
  resetAt: number,
  resource: string,
  status: number,
): Reply {
  const who = userId === null ? 'your IP address' : `user ID ${userId}`;
  const reply = ghError(
    status,
    `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID.`,
    'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
  );
  return { ...reply, headers: rateHeaders(limit, limit, resetAt, resource) };
}
