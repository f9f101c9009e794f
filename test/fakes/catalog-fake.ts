import type { Grant, IssuedToken } from './grants.js';
import { type FakeHttp, type FakeRequest, htmlReply, type Reply, startFakeHttp } from './http.js';
import type { OAuthFake } from './oauth-fake.js';

/**
 * The server half of the catalog fakes: one HTTP server with the provider's OAuth endpoints and its API
 * routes, every request recorded, and faults injected per route key (`failNext('POST /rest/api/3/issue',
 * 'ratelimited')`). API routes run only for a live access token; anything else gets the provider's own
 * 401. Each provider module supplies its routes and how it words a 401, a rate limit and an outage.
 */

export interface ApiRoute {
  method: string;
  /** Matched against the path; named groups become `params`. */
  pattern: RegExp;
  /** The fault key, e.g. `POST /v1/pages`. */
  key: string;
  run(req: FakeRequest, params: Record<string, string>, who: IssuedToken<Grant>): Reply;
  /** Answers without a bearer token (revocation endpoints authenticate the client instead). */
  open?: boolean;
}

export interface CatalogFakeOptions {
  oauth: OAuthFake;
  routes: ApiRoute[];
  unauthorized: (problem: string) => Reply;
  rateLimited: (retryAfter: number) => Reply;
  /** Default: a JSON 500. */
  serverError?: () => Reply;
}

export type CatalogFault = 'ratelimited';

export interface CatalogFake extends FakeHttp<CatalogFault> {
  oauth: OAuthFake;
  /** API requests (not OAuth) seen, as `key`s in order. */
  apiCalls(): string[];
}

export async function startCatalogFake(o: CatalogFakeOptions): Promise<CatalogFake> {
  const http = await startFakeHttp<CatalogFault>({
    route: (req) => {
      const oauth = o.oauth.route(req);
      if (oauth) return oauth;
      for (const r of o.routes) {
        const m = r.method === req.method ? r.pattern.exec(req.path) : null;
        if (!m) continue;
        const who = o.oauth.bearer(req);
        if (r.open) return { key: r.key, token: null, run: () => r.run(req, { ...m.groups }, who.token!) };
        return {
          key: r.key,
          token: who.value,
          run: () =>
            who.token && !who.problem
              ? r.run(req, { ...m.groups }, who.token)
              : o.unauthorized(who.problem ?? 'missing'),
        };
      }
      return { key: 'unknown', token: null, run: () => ({ status: 404, body: { error: 'no such route' } }) };
    },
    renderFault: (fault) => {
      if (fault === '500' || fault === 500)
        return o.serverError?.() ?? { status: 500, body: { error: 'internal' } };
      if (fault === '503_html') return htmlReply(503, 'Service Unavailable');
      if (typeof fault === 'object' && 'reply' in fault) return fault.reply;
      if (typeof fault === 'object' && 'error' in fault) return { status: 400, body: { error: fault.error } };
      const retryAfter = typeof fault === 'object' && 'retryAfter' in fault ? (fault.retryAfter ?? 30) : 30;
      return o.rateLimited(retryAfter);
    },
    keys: ['authorize', 'token', 'unknown', ...o.routes.map((r) => r.key)],
  });
  return {
    ...http,
    oauth: o.oauth,
    apiCalls: () =>
      http
        .requests()
        .filter((r) => r.key !== 'authorize' && r.key !== 'token')
        .map((r) => r.key),
  };
}
