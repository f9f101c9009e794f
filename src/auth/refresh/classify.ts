import type { ErrorKind } from '../../contract.js';
import { ToolvaultError } from '../../errors.js';
import { NEVER_REACHED_CODES } from '../../providers/network.js';
import { retryAfterSeconds } from '../../providers/retry-after.js';
import type { ApiSignal, ProviderDeclaration } from '../../providers/types.js';

export { retryAfterSeconds } from '../../providers/retry-after.js';

/**
 * The one place that turns a failed token endpoint call (code exchange, refresh, revocation) into an error
 * kind. Seed 004 is the reason it exists: a catch block that read "any 400" as "credential dead" marked a
 * healthy credential expired for ten days. Here only a definitive grant error (`invalid_grant` and the
 * provider codes that mean the same) says `revoked`; a malformed request, a bad client secret, a wrong grant
 * type, a 5xx, a timeout or anything not understood never does. Even then the refresh engine must see a live
 * probe fail before it downgrades a connection (DESIGN, "Connection states").
 */

/** What a failed token endpoint call means. Safe to log: no token, no body text. */
export interface TokenFailure {
  kind: ErrorKind;
  /** The provider's error code (`invalid_grant`, `bad_refresh_token`) or ours (`timeout`, `http_503`). */
  code?: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** Raw wait the provider asked for; callers cap it (DESIGN: 60 s). */
  retryAfterSeconds?: number;
  /**
   * The provider said the grant or refresh token itself is invalid (RFC 6749 §5.2 `invalid_grant` or a
   * declared equivalent). Necessary, not sufficient, for a downgrade: a failing live probe must confirm it.
   */
  definitiveGrantError: boolean;
  /** The request provably never reached the provider (connection refused, DNS): retrying is safe. */
  neverReached?: boolean;
  /** One line for logs, built from the fields above only. */
  message: string;
}

/** RFC 6749 §5.2 codes (plus RFC 6749 §4.1.2.1 server codes that appear at token endpoints). */
const STANDARD: Record<string, ErrorKind> = {
  invalid_grant: 'revoked',
  invalid_client: 'config_error',
  unauthorized_client: 'config_error',
  unsupported_grant_type: 'config_error',
  invalid_request: 'config_error',
  invalid_scope: 'config_error',
  redirect_uri_mismatch: 'config_error',
  invalid_redirect_uri: 'config_error',
  // RFC 7009 §2.2.1: the server cannot revoke this kind of token — our choice of token, not the user's grant.
  unsupported_token_type: 'config_error',
  server_error: 'transient',
  temporarily_unavailable: 'transient',
  slow_down: 'rate_limited',
};

/** openid-client ClientError codes that say our configuration is wrong. */
const CONFIG_CODES = new Set([
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_MISSING_SERVER_METADATA',
  'OAUTH_INVALID_SERVER_METADATA',
  // A token_type openid-client does not know (Slack's `user`/`bot` without the adapter). The cause holds the
  // whole success body, tokens included: it must never be logged.
  'OAUTH_UNSUPPORTED_OPERATION',
]);

const NETWORK = new Set([
  ...NEVER_REACHED_CODES,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

type Declaration = Pick<ProviderDeclaration, 'tokenErrors'> | undefined;

type Fields = Omit<TokenFailure, 'message' | 'definitiveGrantError'>;

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function finish(f: Fields): TokenFailure {
  const definitiveGrantError = f.kind === 'revoked';
  const parts = [f.code, f.status === undefined ? undefined : `HTTP ${f.status}`].filter(Boolean);
  const what = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  const wait = f.retryAfterSeconds === undefined ? '' : `, retry after ${f.retryAfterSeconds}s`;
  const out: TokenFailure = {
    ...f,
    definitiveGrantError,
    message: `token endpoint: ${f.kind}${what}${wait}`,
  };
  return out;
}

/**
 * The kind of a provider error code: the declaration's `tokenErrors` first, then RFC 6749, then the status
 * (429 rate limit, 5xx transient — whatever the code, a server failure is never evidence about the grant).
 */
export function kindOfCode(
  code: string | undefined,
  status: number | undefined,
  declaration?: Declaration,
): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status !== undefined && status >= 500) return 'transient';
  if (code) {
    const kind = declaration?.tokenErrors?.[code] ?? STANDARD[code];
    if (kind) return kind;
  }
  return 'unknown';
}

/** Kind of a response that carried no error code (openid-client's OAUTH_RESPONSE_IS_NOT_CONFORM / _NOT_JSON). */
function kindOfBareStatus(status: number | undefined): ErrorKind {
  if (status === undefined) return 'unknown';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'transient';
  // A wrong token endpoint URL (404/405), or client authentication refused without a body (401).
  if (status === 401 || status === 404 || status === 405) return 'config_error';
  return 'unknown';
}

function fromResponse(res: unknown, now: number): { status?: number; retryAfterSeconds?: number } {
  const r = rec(res);
  const status = typeof r?.['status'] === 'number' ? r['status'] : undefined;
  const headers = r?.['headers'] instanceof Headers ? r['headers'] : undefined;
  const out: { status?: number; retryAfterSeconds?: number } = {};
  if (status !== undefined) out.status = status;
  if (status === 429 || (status !== undefined && status >= 500)) {
    const wait = retryAfterSeconds(headers, now);
    if (wait !== undefined) out.retryAfterSeconds = wait;
  }
  return out;
}

function withCode(kind: ErrorKind, code: string | undefined, extra: Partial<Fields>): Fields {
  return code === undefined ? { ...extra, kind } : { ...extra, kind, code };
}

function network(err: unknown): TokenFailure | undefined {
  const e = rec(err);
  const name = e?.['name'];
  if (name === 'TimeoutError') return finish({ kind: 'transient', code: 'timeout' });
  if (name === 'AbortError') return finish({ kind: 'transient', code: 'aborted' });
  const causeCode = rec(e?.['cause'])?.['code'];
  const code =
    typeof causeCode === 'string' ? causeCode : typeof e?.['code'] === 'string' ? (e['code'] as string) : '';
  if (NETWORK.has(code) || code.startsWith('UND_ERR_')) {
    const f: Fields = { kind: 'transient', code: code.toLowerCase() };
    if (NEVER_REACHED_CODES.has(code)) f.neverReached = true;
    return finish(f);
  }
  // undici's generic "fetch failed" with a cause we do not know: still a transport failure.
  if (err instanceof TypeError && e?.['message'] === 'fetch failed')
    return finish({ kind: 'transient', code: 'network_error' });
  return undefined;
}

/**
 * Classifies any failure of a token endpoint call made with openid-client 6 (or plain fetch). Handles
 * ResponseBodyError, WWWAuthenticateChallengeError, ClientError (OAUTH_RESPONSE_IS_NOT_CONFORM,
 * OAUTH_RESPONSE_IS_NOT_JSON, OAUTH_INVALID_RESPONSE with a 200-status error body hidden in its cause,
 * OAUTH_TIMEOUT, OAUTH_ABORT...), DOMException Timeout/AbortError, `TypeError: fetch failed`, and
 * ToolvaultError; anything else is `unknown`. Never throws.
 */
export function classifyTokenError(
  err: unknown,
  declaration?: Declaration,
  now: number = Date.now(),
): TokenFailure {
  if (err instanceof ToolvaultError) {
    const f: Fields = withCode(err.kind, err.code, {});
    if (err.status !== undefined) f.status = err.status;
    if (err.retryAfterSeconds !== undefined) f.retryAfterSeconds = err.retryAfterSeconds;
    return finish(f);
  }
  const e = rec(err);
  const code = typeof e?.['code'] === 'string' ? (e['code'] as string) : undefined;

  // ResponseBodyError: a standard error body (`.error`, `.status`, `.response`).
  if (code === 'OAUTH_RESPONSE_BODY_ERROR' && typeof e?.['error'] === 'string') {
    const meta = fromResponse(e['response'], now);
    const status = typeof e['status'] === 'number' ? e['status'] : meta.status;
    const providerCode = e['error'];
    const f = withCode(kindOfCode(providerCode, status, declaration), providerCode, meta);
    if (status !== undefined) f.status = status;
    if (f.kind === 'rate_limited' && f.retryAfterSeconds === undefined) {
      const wait = retryAfterSeconds(rec(e['response'])?.['headers'] as Headers | undefined, now);
      if (wait !== undefined) f.retryAfterSeconds = wait;
    }
    return finish(f);
  }

  // WWWAuthenticateChallengeError: a 401 with a challenge, body unread. At a token endpoint that is client
  // authentication (RFC 6749 §5.2 invalid_client), unless the challenge names another error.
  if (code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
    const meta = fromResponse(e?.['response'], now);
    const status = typeof e?.['status'] === 'number' ? e['status'] : meta.status;
    const challenges = Array.isArray(e?.['cause']) ? (e['cause'] as unknown[]) : [];
    const named = challenges
      .map((c) => rec(rec(c)?.['parameters'])?.['error'])
      .find((x) => typeof x === 'string');
    const providerCode = typeof named === 'string' ? named : 'invalid_client';
    const kind = kindOfCode(providerCode, status, declaration);
    const f = withCode(kind === 'unknown' ? 'config_error' : kind, providerCode, meta);
    if (status !== undefined) f.status = status;
    return finish(f);
  }

  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
    const meta = fromResponse(e?.['cause'], now);
    const ours = code === 'OAUTH_RESPONSE_IS_NOT_JSON' ? 'response_not_json' : undefined;
    const bare = meta.status === undefined ? ours : `http_${meta.status}`;
    return finish(withCode(kindOfBareStatus(meta.status), ours ?? bare, meta));
  }

  // A 200 that is not a token response. Providers that report errors with 200 (Slack, GitHub) land here
  // when no adapter rewrote them: the body sits in cause.cause.body (openid-client wraps oauth4webapi's error).
  if (code === 'OAUTH_INVALID_RESPONSE' || code === 'OAUTH_PARSE_ERROR') {
    const body = rec(rec(rec(e?.['cause'])?.['cause'])?.['body']) ?? rec(rec(e?.['cause'])?.['body']);
    const providerCode = body && typeof body['error'] === 'string' ? body['error'] : undefined;
    if (providerCode)
      return finish({ kind: kindOfCode(providerCode, 200, declaration), code: providerCode, status: 200 });
    return finish({
      kind: 'unknown',
      code: code === 'OAUTH_PARSE_ERROR' ? 'parse_error' : 'invalid_token_response',
    });
  }

  if (code === 'OAUTH_TIMEOUT') return finish({ kind: 'transient', code: 'timeout' });
  if (code === 'OAUTH_ABORT') return finish({ kind: 'transient', code: 'aborted' });
  if (code && CONFIG_CODES.has(code)) return finish({ kind: 'config_error', code: code.toLowerCase() });

  // openid-client's "something went wrong" wraps what it did not recognise: look inside once.
  const inner = network(err) ?? (e?.['name'] === 'ClientError' ? network(e['cause']) : undefined);
  if (inner) return inner;
  return finish(code ? { kind: 'unknown', code: code.toLowerCase() } : { kind: 'unknown' });
}

/**
 * The same failure as a ToolvaultError, its message built from the classification only. The original error
 * is deliberately not kept as `cause`: openid-client errors carry response bodies, and a body can carry
 * tokens (a Slack success body refused for its `token_type`), which a logger would then print.
 */
export function toToolvaultError(failure: TokenFailure): ToolvaultError {
  const opts: { code?: string; status?: number; retryAfterSeconds?: number } = {};
  if (failure.code !== undefined) opts.code = failure.code;
  if (failure.status !== undefined) opts.status = failure.status;
  if (failure.retryAfterSeconds !== undefined) opts.retryAfterSeconds = failure.retryAfterSeconds;
  return new ToolvaultError(failure.kind, failure.message, opts);
}

/**
 * An API signal (from `ApiClient.request`) as a ToolvaultError, for code that reacts by kind: expired_access
 * (one refresh and retry), missing_scope (scope_update_required), rate_limited (Retry-After), transient.
 */
export function apiSignalError(signal: ApiSignal): ToolvaultError {
  const opts: { code?: string; retryAfterSeconds?: number } = {};
  if (signal.code !== undefined) opts.code = signal.code;
  if (signal.retryAfterSeconds !== undefined) opts.retryAfterSeconds = signal.retryAfterSeconds;
  const what = signal.code ? ` (${signal.code})` : '';
  return new ToolvaultError(signal.kind, `provider API: ${signal.kind}${what}`, opts);
}
