import { basicCredentials, type Dispatch, type FakeRequest, redirect, type Reply } from './http.js';
import { CodeBook, type Grant, type IssuedToken, mint, pkceMatches, TokenBook } from './grants.js';

/**
 * The OAuth half of the catalog fakes (Notion, Linear, Jira, HubSpot, Salesforce, Zendesk): an authorize
 * endpoint that approves at once, and a token endpoint with each provider's rules as options — how the
 * client authenticates and what body it must send, access and refresh lifetimes, rotation with an optional
 * reuse window (outside it, reuse revokes the whole grant), the status and shape of its errors, and extra
 * fields of its token responses. API routes ask {@link OAuthFake.bearer} who is calling.
 */

export interface OAuthFakeOptions {
  now: () => number;
  prefix: string;
  clientId?: string;
  clientSecret?: string;
  authorizePath?: string;
  tokenPath?: string;
  /** How the client must authenticate at the token endpoint. */
  clientAuth: 'basic' | 'post';
  /** Notion reads JSON token requests only. */
  body?: 'form' | 'json';
  /** Seconds; null: tokens never expire and the response has no `expires_in`. */
  accessTtl: number | null;
  /** Issue refresh tokens (Notion: only with rotation on). */
  refresh: boolean;
  rotate: boolean;
  /** A rotated refresh token still works this long (Atlassian 10 minutes); 0: reuse revokes the grant. */
  reuseGraceMs?: number;
  /** Status of `invalid_grant` (Atlassian 403). */
  grantErrorStatus?: number;
  /** Renders a token endpoint error (HubSpot's own shape); default RFC 6749 JSON. */
  tokenError?: (error: string, status: number) => Reply;
  /** Extra fields of a token response (Salesforce `instance_url`, HubSpot `hub_id`, Notion's owner). */
  extra?: (grant: Grant) => Record<string, unknown>;
  /** Rewrites a successful token body (HubSpot's camelCase). */
  shape?: (body: Record<string, unknown>) => Record<string, unknown>;
  subject?: string;
  /** Lifetimes chosen per token request (Zendesk: expiring tokens only when the request asks). */
  issuePolicy?: (params: Record<string, string>) => { accessTtl: number | null; refresh: boolean };
}

export interface OAuthFake {
  clientId: string;
  clientSecret: string;
  book: TokenBook<Grant>;
  /** Routes authorize and token requests; null for anything else. */
  route(req: FakeRequest): Dispatch | null;
  /** The access token a request presents, and why it is not usable (null: usable). */
  bearer(req: FakeRequest): {
    token: IssuedToken<Grant> | null;
    problem: string | null;
    value: string | null;
  };
  /** Token requests by grant type. */
  tokenRequests(): Record<string, number>;
  /** Kills every grant: refresh → invalid_grant, API → 401. */
  revokeAll(): void;
  /** Expires every access token now (the provider ended the session: Salesforce's org policy). */
  expireAccess(): void;
}

export function createOAuthFake(o: OAuthFakeOptions): OAuthFake {
  const clientId = o.clientId ?? `${o.prefix}client`;
  const clientSecret = o.clientSecret ?? `${o.prefix}secret`;
  const book = new TokenBook<Grant>(o.now);
  const codes = new CodeBook<Grant>(o.now);
  const counts: Record<string, number> = {};
  const grants: Grant[] = [];
  let nextGrant = 1;
  const authorizePath = o.authorizePath ?? '/oauth/authorize';
  const tokenPath = o.tokenPath ?? '/oauth/token';

  const error = (code: string, status = 400): Reply =>
    o.tokenError?.(code, status) ?? { status, body: { error: code, error_description: `fake: ${code}` } };

  const issue = (grant: Grant, params: Record<string, string>): Reply => {
    const { accessTtl, refresh } = o.issuePolicy?.(params) ?? o;
    const access = book.issue(grant, 'access', 'user', mint(`${o.prefix}at-`), grant.scopes, accessTtl);
    const body: Record<string, unknown> = {
      access_token: access.value,
      token_type: 'bearer',
      scope: [...grant.scopes].join(' '),
      ...(accessTtl !== null ? { expires_in: accessTtl } : {}),
      ...o.extra?.(grant),
    };
    if (refresh)
      body['refresh_token'] = book.issue(
        grant,
        'refresh',
        'user',
        mint(`${o.prefix}rt-`),
        grant.scopes,
        null,
      ).value;
    return { status: 200, body: o.shape ? o.shape(body) : body };
  };

  const token = (req: FakeRequest): Reply => {
    const p = req.params;
    if (o.body === 'json' && !String(req.headers['content-type'] ?? '').includes('json'))
      return error('invalid_request');
    const basic = basicCredentials(req.headers);
    const id = o.clientAuth === 'basic' ? basic?.id : p['client_id'];
    const secret = o.clientAuth === 'basic' ? basic?.secret : p['client_secret'];
    if (id !== clientId || secret !== clientSecret) return error('invalid_client', 401);
    if (p['grant_type'] === 'authorization_code') {
      const entry = codes.consume(p['code'] ?? '');
      if (!entry) return error('invalid_grant', o.grantErrorStatus);
      if (
        entry.challenge &&
        !pkceMatches(entry.challenge.value, entry.challenge.method, p['code_verifier'] ?? '')
      )
        return error('invalid_grant', o.grantErrorStatus);
      return issue(entry.grant, p);
    }
    if (p['grant_type'] === 'refresh_token') {
      const { token: t, problem } = book.check(p['refresh_token'] ?? '', 'refresh');
      const graceOk =
        problem === 'rotated' &&
        t &&
        o.reuseGraceMs !== undefined &&
        o.now() - (t.rotatedAt ?? 0) < o.reuseGraceMs;
      if (problem === 'rotated' && t && !graceOk) t.grant.revoked = true; // reuse detection
      if (!t || (problem && !graceOk)) return error('invalid_grant', o.grantErrorStatus);
      if (o.rotate && !t.rotated) {
        t.rotated = true;
        t.rotatedAt = o.now();
      }
      const reply = issue(t.grant, p);
      if (!o.rotate && reply.body && typeof reply.body === 'object') {
        (reply.body as Record<string, unknown>)[o.shape ? 'refreshToken' : 'refresh_token'] = t.value;
      }
      return reply;
    }
    return error('unsupported_grant_type');
  };

  return {
    clientId,
    clientSecret,
    book,
    route(req) {
      if (req.method === 'GET' && req.path === authorizePath) {
        return {
          key: 'authorize',
          token: null,
          run: () => {
            const grant: Grant = {
              id: nextGrant++,
              subject: o.subject ?? 'user-1',
              scopes: new Set((req.query.get('scope') ?? '').split(/[\s,]+/).filter(Boolean)),
              revoked: false,
            };
            grants.push(grant);
            const code = mint(`${o.prefix}code-`);
            const challenge = req.query.get('code_challenge');
            codes.add(code, {
              grant,
              clientId: req.query.get('client_id') ?? '',
              redirectUri: req.query.get('redirect_uri'),
              challenge: challenge
                ? { value: challenge, method: req.query.get('code_challenge_method') ?? 'plain' }
                : null,
              expiresAt: o.now() + 600_000,
              used: false,
              scopes: grant.scopes,
              botScopes: new Set(),
            });
            return redirect(req.query.get('redirect_uri') ?? '', {
              code,
              state: req.query.get('state') ?? undefined,
            });
          },
        };
      }
      if (req.method === 'POST' && req.path === tokenPath) {
        const grantType = req.params['grant_type'] ?? null;
        return {
          key: 'token',
          token: req.params['refresh_token'] ?? req.params['code'] ?? null,
          grantType,
          run: () => {
            counts[grantType ?? 'none'] = (counts[grantType ?? 'none'] ?? 0) + 1;
            return token(req);
          },
        };
      }
      return null;
    },
    bearer(req) {
      const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      if (!m) return { token: null, problem: 'missing', value: null };
      const { token: t, problem } = book.check(m[1]!, 'access');
      return { token: t, problem, value: m[1]! };
    },
    tokenRequests: () => ({ ...counts }),
    revokeAll() {
      for (const g of grants) g.revoked = true;
    },
    expireAccess() {
      for (const t of book.all()) if (t.kind === 'access') t.expiresAt = o.now();
    },
  };
}
