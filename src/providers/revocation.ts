import { networkSignal } from './api-client.js';
import { standardInspect, statusCode } from './standard-api.js';
import type { ApiResponse, ApiSignal, ConfiguredProvider, RevocationStyle } from './types.js';

/**
 * Revoking a token at its provider, in whichever style the declaration names (see {@link RevocationStyle}).
 * Kept here so `auth.disconnect` never asks which provider it is talking to.
 */

/** What a revocation achieved. `already_invalid` is success for a disconnect: the token is dead either way. */
export type RevocationOutcome =
  | { result: 'revoked' }
  | { result: 'already_invalid'; code: string }
  /** The provider cannot revoke this kind of token this way (no revokeUrl; Slack and GitHub refresh tokens). */
  | { result: 'unsupported' }
  | { result: 'failed'; signal: ApiSignal };

/** The token to revoke and which kind it is (RFC 7009 §2.1 `token_type_hint`). */
export interface RevocationToken {
  token: string;
  hint: 'access_token' | 'refresh_token';
}

function basic(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode each part before base64.
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

interface Built {
  url: string;
  init: RequestInit;
}

function build(
  configured: ConfiguredProvider,
  style: RevocationStyle,
  url: string,
  t: RevocationToken,
): Built | null {
  const { clientId, clientSecret = '' } = configured.settings;
  const apiHeaders = configured.declaration.api?.headers ?? {};
  switch (style) {
    case 'slack-auth-revoke':
      // auth.revoke authenticates with the token it revokes; a rotating refresh token cannot call it,
      // but revoking the access token ends the whole token (docs.slack.dev auth.revoke).
      if (t.hint !== 'access_token') return null;
      return {
        url,
        init: { method: 'POST', headers: { ...apiHeaders, authorization: `Bearer ${t.token}` } },
      };
    case 'github-grant':
      // DELETE /applications/{client_id}/grant takes the access token in the body, with Basic client auth.
      if (t.hint !== 'access_token') return null;
      return {
        url: url.replace('{client_id}', encodeURIComponent(clientId)),
        init: {
          method: 'DELETE',
          headers: {
            ...apiHeaders,
            authorization: basic(clientId, clientSecret),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ access_token: t.token }),
        },
      };
    case 'rfc7009': {
      const form = new URLSearchParams({ token: t.token, token_type_hint: t.hint });
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (configured.declaration.clientAuth === 'client_secret_basic') {
        headers['authorization'] = basic(clientId, clientSecret);
      } else {
        form.set('client_id', clientId);
        if (clientSecret) form.set('client_secret', clientSecret);
      }
      return { url, init: { method: 'POST', headers, body: form.toString() } };
    }
  }
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const e = (body as { error?: unknown }).error;
  return typeof e === 'string' ? e : undefined;
}

/** Reads a revocation response in the given style. */
export function readRevocationResponse(
  style: RevocationStyle,
  response: ApiResponse,
  now: number,
): RevocationOutcome {
  const { status, body } = response;
  if (style === 'slack-auth-revoke' && status === 200) {
    if ((body as { ok?: unknown } | null)?.ok === true) return { result: 'revoked' };
    const code = errorCode(body) ?? 'unknown_error';
    if (
      code === 'invalid_auth' ||
      code === 'token_revoked' ||
      code === 'account_inactive' ||
      code === 'token_expired'
    ) {
      return { result: 'already_invalid', code };
    }
    return { result: 'failed', signal: { kind: code === 'ratelimited' ? 'rate_limited' : 'unknown', code } };
  }
  if (status >= 200 && status < 300) return { result: 'revoked' };
  // GitHub answers 404 when the grant or token is already gone; RFC 7009 §2.2 answers 200 for unknown tokens.
  if (style === 'github-grant' && status === 404) return { result: 'already_invalid', code: 'not_found' };
  const signal = standardInspect(response, now);
  if (signal && signal.kind !== 'expired_access') return { result: 'failed', signal };
  // 401 here means our client credentials were refused, never the user's token (RFC 7009 §2.1).
  const code = errorCode(body) ?? statusCode(status);
  return {
    result: 'failed',
    signal: { kind: status === 401 || status === 400 ? 'config_error' : 'unknown', code },
  };
}

/**
 * Revokes a token at the provider. Never throws for provider or network failures (they come back as
 * `failed` with a signal); the token goes only into the request the style prescribes, never a URL.
 */
export async function revokeToken(
  configured: ConfiguredProvider,
  token: RevocationToken,
  options: { fetch?: typeof fetch; timeoutMs?: number; now?: number } = {},
): Promise<RevocationOutcome> {
  const { declaration } = configured;
  const url = declaration.endpoints.revokeUrl;
  if (!url) return { result: 'unsupported' };
  const style = declaration.revocationStyle ?? 'rfc7009';
  const built = build(configured, style, url, token);
  if (!built) return { result: 'unsupported' };
  let response: ApiResponse;
  try {
    const res = await (options.fetch ?? fetch)(built.url, {
      ...built.init,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : (JSON.parse(text) as unknown);
    } catch {
      // not JSON: keep the text for status-based reading only
    }
    response = { status: res.status, headers: res.headers, body };
  } catch (err) {
    return { result: 'failed', signal: networkSignal(err) };
  }
  return readRevocationResponse(style, response, options.now ?? Date.now());
}
