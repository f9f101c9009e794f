import { retryAfterSeconds } from './retry-after.js';
import { str } from './standard-grant.js';
import type { ApiRequestError, ApiResponse, ApiSignal, ProviderDeclaration } from './types.js';

/**
 * How a standards-following resource server signals trouble: RFC 6750 §3 (`WWW-Authenticate: Bearer
 * error="invalid_token"` / `"insufficient_scope"`), RFC 6585 429 with Retry-After, 5xx. The default `inspect`
 * of generic providers and the base the built-in ones fall back on.
 */

/** Parameters of the Bearer challenge in a `WWW-Authenticate` header (`error`, `scope`, ...), lower-cased keys. */
export function bearerChallenge(headers: Headers): Record<string, string> | undefined {
  const raw = headers.get('www-authenticate');
  if (!raw) return undefined;
  const at = raw.search(/\bbearer\b/i);
  if (at < 0) return undefined;
  const params: Record<string, string> = {};
  const re = /([a-z_][a-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi;
  for (const m of raw.slice(at + 6).matchAll(re)) {
    const key = m[1]!.toLowerCase();
    if (key in params) break; // the next challenge's parameters
    params[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return params;
}

/** The signal every provider shares: 429 is a rate limit, 5xx is the provider's trouble, not ours. */
export function transportSignal(response: ApiResponse, now: number): ApiSignal | null {
  if (response.status === 429) {
    const signal: ApiSignal = { kind: 'rate_limited', code: 'http_429' };
    const wait = retryAfterSeconds(response.headers, now);
    if (wait !== undefined) signal.retryAfterSeconds = wait;
    return signal;
  }
  if (response.status >= 500) return { kind: 'transient', code: `http_${response.status}` };
  return null;
}

/** RFC 6750 reading of a resource server response; null when the credential is not the problem. */
export function standardInspect(response: ApiResponse, now: number): ApiSignal | null {
  const transport = transportSignal(response, now);
  if (transport) return transport;
  const challenge = bearerChallenge(response.headers);
  if (response.status === 401) {
    // RFC 6750 §3.1: invalid_token covers expired and revoked alike; one refresh tells them apart.
    return { kind: 'expired_access', code: challenge?.['error'] ?? 'http_401' };
  }
  if (response.status === 403 && challenge?.['error'] === 'insufficient_scope') {
    const signal: ApiSignal = { kind: 'missing_scope', code: 'insufficient_scope' };
    const needed = challenge['scope']?.split(/\s+/).filter(Boolean);
    if (needed && needed.length > 0) signal.missingScopes = needed;
    return signal;
  }
  return null;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'too_large',
  422: 'validation_failed',
};

/** Names an HTTP failure status (`not_found`, `validation_failed`, else `http_<status>`). */
export function statusCode(status: number): string {
  return STATUS_CODES[status] ?? `http_${status}`;
}

/** Default `requestError`: any status >= 400, named by its status. */
export function standardRequestError(response: ApiResponse): ApiRequestError | null {
  if (response.status < 400) return null;
  return { status: response.status, code: statusCode(response.status) };
}

/**
 * A probe against the OIDC UserInfo endpoint (OIDC Core §5.3): 200 means the token is alive, 401 that it is
 * not; anything else (429, 5xx) says nothing about the token. The account is `sub` named by email or name.
 */
export const userinfoProbe: NonNullable<ProviderDeclaration['probe']> = {
  method: 'GET',
  path: 'userinfo',
  judge: (r) => (r.status === 200 ? 'valid' : r.status === 401 ? 'invalid' : 'unknown'),
  account: (r) => {
    if (typeof r.body !== 'object' || r.body === null) return undefined;
    const body = r.body as Record<string, unknown>;
    const id = str(body, 'sub');
    if (!id) return undefined;
    const name = str(body, 'email') ?? str(body, 'preferred_username') ?? str(body, 'name');
    return name ? { id, name } : { id };
  },
};
