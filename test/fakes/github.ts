import {
  callApi,
  GITHUB_ROUTES,
  identify,
  jsonBody,
  matchRoute,
  presentedToken,
  primaryLimit,
  rateBucket,
  rateHeaders,
} from './github-api.js';
import { ghError } from './github-issues.js';
import { accessToken, authorize, presentedGrant, tokenError } from './github-oauth.js';
import { type GitHubComment, type GitHubFakeOptions, type GitHubIssue, GitHubState } from './github-state.js';
import {
  type Dispatch,
  type FakeRequest,
  type FaultSpec,
  htmlReply,
  type Reply,
  type RequestRecord,
  startFakeHttp,
} from './http.js';

export type { GitHubComment, GitHubFakeOptions, GitHubIssue, GitHubMode } from './github-state.js';
export type { RequestRecord } from './http.js';

/** GitHub faults: the shared kinds plus GitHub's two rate limits (403 by default; `status: 429` allowed). */
export type GitHubFault = FaultSpec<'primary_rate_limit' | 'secondary_rate_limit'>;

/** A repository to seed. */
export interface GitHubRepoSeed {
  owner: string;
  name: string;
  private?: boolean;
  /** Logins besides the owner that can see a private repo. */
  visibleTo?: string[];
  hasIssues?: boolean;
  appInstalled?: boolean;
}

/** A token as the fake tracks it. */
export interface GitHubTokenView {
  value: string;
  kind: 'access' | 'refresh';
  login: string;
  expiresAt: number | null;
  rotated: boolean;
  revoked: boolean;
}

/** A running GitHub fake (OAuth on `/login/oauth/*`, REST on the same origin) and its controls. */
export interface GitHubFake {
  url: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
  addRepo(seed: GitHubRepoSeed): void;
  /** Who consents next (and whether they deny); persists until changed. */
  setConsentingUser(consent: { login: string; deny?: boolean }): void;
  /** Revokes one token's whole authorization, or every authorization of a login. */
  revoke(tokenOrLogin: string): void;
  /** Removes an OAuth scope (oauth-app) or App permission (github-app) from a login's authorization. */
  dropScope(login: string, scope: string): void;
  /** Queues `fault` for the next `count` requests to a route key such as
   * `POST /repos/{owner}/{repo}/issues` or `POST /login/oauth/access_token`. */
  failNext(routeKey: string, fault: GitHubFault, count?: number): void;
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Token endpoint requests by grant type, counted on arrival (faulted ones included). */
  tokenRequests(): Record<string, number>;
  issues(owner: string, repo: string): GitHubIssue[];
  comments(owner: string, repo: string, issueNumber: number): GitHubComment[];
  issuedTokens(): GitHubTokenView[];
}

const TOKEN_KEY = 'POST /login/oauth/access_token';
const SECONDARY =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID.';

function renderFault(state: GitHubState, fault: GitHubFault, req: FakeRequest, key: string): Reply {
  if (fault === '500' || fault === 500) return { status: 500, body: { message: 'Server Error' } };
  if (fault === '503_html') return htmlReply(503, 'Unicorn! · GitHub');
  if (typeof fault === 'object' && 'reply' in fault) return fault.reply;
  if (typeof fault === 'object' && 'error' in fault) {
    return key === TOKEN_KEY ? tokenError(req, fault.error) : ghError(400, fault.error);
  }
  const kind = typeof fault === 'object' ? fault.kind : fault;
  const token = identify(state, req);
  const resource = key === 'GET /search/issues' ? 'search' : 'core';
  const { bucket, limit } = rateBucket(
    state,
    token ? `user:${token.grant.subject}` : 'anonymous',
    resource,
    !!token,
  );
  if (kind === 'primary_rate_limit') {
    const status = typeof fault === 'object' ? (fault.status ?? 403) : 403;
    return primaryLimit(token?.grant.userId ?? null, limit, bucket.resetAt, resource, status);
  }
  // Secondary limits (and the generic `ratelimited`) carry Retry-After; remaining need not be 0.
  const retryAfter =
    typeof fault === 'object'
      ? (fault.retryAfter ?? state.opts.retryAfterSeconds)
      : state.opts.retryAfterSeconds;
  const status =
    typeof fault === 'object' && fault.status ? fault.status : kind === 'ratelimited' ? 429 : 403;
  const reply = ghError(
    status,
    SECONDARY,
    'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  );
  return {
    ...reply,
    headers: {
      'retry-after': String(retryAfter),
      ...rateHeaders(limit, bucket.used, bucket.resetAt, resource),
    },
  };
}

function route(state: GitHubState, req: FakeRequest): Dispatch {
  if (req.method === 'GET' && req.path === '/login/oauth/authorize') {
    return { key: 'GET /login/oauth/authorize', token: null, run: () => authorize(state, req) };
  }
  if (req.method === 'POST' && req.path === '/login/oauth/access_token') {
    const { token, grantType } = presentedGrant(req);
    state.countTokenRequest(grantType);
    return { key: TOKEN_KEY, token, grantType, run: () => accessToken(state, req) };
  }
  const match = matchRoute(req.method, req.path);
  if (!match) return { key: 'unknown', token: null, run: () => ghError(404, 'Not Found') };
  const { route: r, params } = match;
  // For the revocation routes the credential that matters is the token being revoked, in the body.
  const token =
    r.auth === 'client' ? String(jsonBody(req)?.['access_token'] ?? '') || null : presentedToken(req);
  return { key: `${r.method} ${r.template}`, token, run: () => callApi(state, req, r, params) };
}

/** Starts a wire-faithful GitHub OAuth + REST fake on 127.0.0.1:0, in `github-app` mode by default. */
export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const state = new GitHubState(options);
  const http = await startFakeHttp<'primary_rate_limit' | 'secondary_rate_limit'>({
    route: (req) => route(state, req),
    renderFault: (fault, req, key) => renderFault(state, fault, req, key),
    keys: ['GET /login/oauth/authorize', TOKEN_KEY, ...GITHUB_ROUTES.map((r) => `${r.method} ${r.template}`)],
  });
  state.apiUrl = http.url;
  const repoOf = (owner: string, name: string) => state.repo(owner, name);

  return {
    url: http.url,
    clientId: state.opts.clientId,
    clientSecret: state.opts.clientSecret,
    close: http.close,
    failNext: http.failNext,
    requests: http.requests,
    clearRequests: http.clearRequests,
    addRepo: (seed) => {
      state.repos.set(`${seed.owner}/${seed.name}`.toLowerCase(), {
        owner: seed.owner,
        name: seed.name,
        private: seed.private ?? false,
        visibleTo: new Set(seed.visibleTo ?? []),
        hasIssues: seed.hasIssues ?? true,
        appInstalled: seed.appInstalled ?? true,
        issues: [],
        comments: new Map(),
      });
    },
    setConsentingUser: ({ login, deny }) => {
      state.userId(login);
      state.consent = { login, deny: deny ?? false };
    },
    revoke: (tokenOrLogin) => {
      const token = state.tokens.find(tokenOrLogin);
      const grants = token ? [token.grant] : state.grants.filter((g) => g.subject === tokenOrLogin);
      for (const g of grants) g.revoked = true;
    },
    dropScope: (login, scope) => {
      for (const g of state.grants) if (g.subject === login) g.scopes.delete(scope);
    },
    tokenRequests: () => ({ ...state.tokenRequests }),
    issues: (owner, name) => structuredClone(repoOf(owner, name)?.issues ?? []),
    comments: (owner, name, n) => structuredClone(repoOf(owner, name)?.comments.get(n) ?? []),
    issuedTokens: () =>
      state.tokens.all().map((t) => ({
        value: t.value,
        kind: t.kind,
        login: t.grant.subject,
        expiresAt: t.expiresAt,
        rotated: t.rotated,
        revoked: t.revoked || t.grant.revoked,
      })),
  };
}
