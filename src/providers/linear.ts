import { retryAfterSeconds } from './retry-after.js';
import { transportSignal } from './standard-api.js';
import { obj, str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProbeVerdict, ProviderDeclaration } from './types.js';

/**
 * Linear (linear.app/developers/oauth-2-0-authentication). Since 2026-04-01 every app gets 24-hour access
 * tokens with a refresh token. The API is GraphQL: failures come as `errors[]` in the body, usually with HTTP
 * 200 (400 for some), each with `extensions.code` (`AUTHENTICATION_ERROR`, `FORBIDDEN`, `RATELIMITED`,
 * `INVALID_INPUT`, `ENTITY_NOT_FOUND`...) and `extensions.userPresentableMessage`. Rate limits are a leaky
 * bucket reported in `X-RateLimit-Requests-Reset` (epoch milliseconds) and the error's extensions.
 */

interface GraphqlError {
  code: string;
  message: string | undefined;
  extensions: Record<string, unknown>;
}

/** The first GraphQL error of a response, normalised (`extensions.code` or `extensions.type`). */
export function graphqlError(response: ApiResponse): GraphqlError | undefined {
  const b = response.body;
  if (typeof b !== 'object' || b === null) return undefined;
  const errors = (b as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = (typeof errors[0] === 'object' && errors[0] !== null ? errors[0] : {}) as Record<
    string,
    unknown
  >;
  const extensions = obj(first, 'extensions') ?? {};
  const raw = str(extensions, 'code') ?? str(extensions, 'type') ?? 'graphql_error';
  return {
    code: raw.toUpperCase().replace(/[\s-]+/g, '_'),
    message: str(extensions, 'userPresentableMessage') ?? str(first, 'message'),
    extensions,
  };
}

/** Seconds until Linear's bucket refills: Retry-After, else the reset header or extension (epoch ms). */
function linearWait(response: ApiResponse, extensions: Record<string, unknown>, now: number): number {
  const header = retryAfterSeconds(response.headers, now);
  if (header !== undefined && response.headers.has('retry-after')) return header;
  const reset =
    Number(response.headers.get('x-ratelimit-requests-reset') ?? NaN) ||
    Number(obj(extensions, 'meta')?.['resetAt'] ?? extensions['resetAt'] ?? NaN);
  if (Number.isFinite(reset) && reset > 0) return Math.max(1, Math.ceil((reset - now) / 1000));
  return 60;
}

export function inspectLinear(response: ApiResponse, now: number): ApiSignal | null {
  const e = graphqlError(response);
  if (e?.code === 'RATELIMITED')
    return {
      kind: 'rate_limited',
      code: 'ratelimited',
      retryAfterSeconds: linearWait(response, e.extensions, now),
    };
  const transport = transportSignal(response, now);
  if (transport) return transport;
  if (response.status === 401 || e?.code === 'AUTHENTICATION_ERROR')
    return { kind: 'expired_access', code: 'authentication_error' };
  // "Invalid scope: `write` required": the grant lacks a scope, which a new consent can add.
  if (e?.code === 'FORBIDDEN' && /scope/i.test(e.message ?? '')) {
    const needed = /`([a-z:_]+)`/i.exec(e.message ?? '')?.[1];
    return { kind: 'missing_scope', code: 'forbidden_scope', ...(needed ? { missingScopes: [needed] } : {}) };
  }
  return null;
}

/** Every other GraphQL error is the request's own: its code, and Linear's user-presentable message. */
export function linearRequestError(response: ApiResponse): ApiRequestError | null {
  const e = graphqlError(response);
  if (e) {
    return {
      status: response.status,
      code: e.code.toLowerCase(),
      ...(e.message ? { details: [e.message.slice(0, 300)] } : {}),
    };
  }
  return response.status >= 400 ? { status: response.status, code: `http_${response.status}` } : null;
}

function judgeViewer(r: ApiResponse): ProbeVerdict {
  const viewer = obj(obj((r.body ?? {}) as Record<string, unknown>, 'data') ?? {}, 'viewer');
  if (r.status === 200 && viewer && str(viewer, 'id')) return 'valid';
  const e = graphqlError(r);
  return r.status === 401 || e?.code === 'AUTHENTICATION_ERROR' ? 'invalid' : 'unknown';
}

export const linear: ProviderDeclaration = {
  id: 'linear',
  displayName: 'Linear',
  endpoints: {
    authorizeUrl: 'https://linear.app/oauth/authorize',
    tokenUrl: 'https://api.linear.app/oauth/token',
    revokeUrl: 'https://api.linear.app/oauth/revoke',
    apiBaseUrl: 'https://api.linear.app',
  },
  // "scope: a comma separated list of scopes".
  scopeSeparator: ',',
  defaultScopes: ['read', 'write'],
  // `actor=user`: actions appear as the user, not as the app.
  authorizeParams: { actor: 'user', prompt: 'consent' },
  clientAuth: 'client_secret_post',
  pkce: true,
  revocation: 'rfc7009',
  token: { rotatesRefreshToken: true, reuseGraceSec: 0, defaultAccessLifetimeSec: 86_400 },
  probe: {
    method: 'POST',
    path: 'graphql',
    json: { query: '{ viewer { id name email } }' },
    judge: judgeViewer,
    account: (r) => {
      const viewer = obj(obj((r.body ?? {}) as Record<string, unknown>, 'data') ?? {}, 'viewer');
      const id = viewer && str(viewer, 'id');
      if (!id) return undefined;
      const name = str(viewer!, 'email') ?? str(viewer!, 'name');
      return name ? { id, name } : { id };
    },
  },
  api: { inspect: inspectLinear, requestError: linearRequestError },
};
