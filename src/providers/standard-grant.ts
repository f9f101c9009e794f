import { ToolvaultError } from '../errors.js';
import type { Account, NormalizedGrant, TokenSet } from './types.js';

/**
 * The default `readGrant`: an RFC 6749 §5.1 token response. Used by generic providers, as the base of the
 * built-in ones, and as the fallback when a declaration has no `readGrant`.
 */

/** Reads a string field; undefined when absent or not a non-empty string. */
export function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Reads a number field that some providers send as a string (`"3600"`); undefined when not a finite number. */
export function num(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Reads a nested object field; undefined when absent or not a plain object. */
export function obj(body: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = body[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/**
 * Splits a granted-scope string. RFC 6749 §3.3 says space-delimited, but GitHub (`repo,gist`) and Slack
 * (`chat:write,channels:read`) answer with commas; no scope contains either, so splitting on both is safe.
 * An empty string means "did not say" (GitHub App user tokens always send `scope: ""`, because apps have
 * permissions, not scopes): treating it as "granted nothing" would ask for consent forever.
 */
export function splitScopes(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const list = scope.split(/[\s,]+/).filter((s) => s !== '');
  return list.length > 0 ? list : undefined;
}

/**
 * The subject of an ID token, read without verifying it: openid-client validated the ID token of a code
 * exchange before we see the body; here it only names the account.
 */
export function idTokenAccount(idToken: string | undefined): Account | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const c = claims as Record<string, unknown>;
    const id = str(c, 'sub');
    if (!id) return undefined;
    const name = str(c, 'email') ?? str(c, 'preferred_username') ?? str(c, 'name');
    return name ? { id, name } : { id };
  } catch {
    return undefined;
  }
}

/**
 * Reads an RFC 6749 token response. Keeps `previous.refreshToken` when the response has none (RFC 6749 §6:
 * the server MAY issue a new one; when it does not, the old one stays valid) and carries `previous.extra`.
 * Throws a ToolvaultError (`unknown`, code `invalid_token_response`) when there is no access token.
 */
export function readStandardGrant(body: Record<string, unknown>, previous?: TokenSet): NormalizedGrant {
  const accessToken = str(body, 'access_token');
  if (!accessToken) {
    throw new ToolvaultError('unknown', 'token response has no access_token', {
      code: 'invalid_token_response',
    });
  }
  const tokens: TokenSet = { accessToken, tokenType: str(body, 'token_type') ?? 'bearer' };
  const refreshToken = str(body, 'refresh_token') ?? previous?.refreshToken;
  if (refreshToken) tokens.refreshToken = refreshToken;
  const idToken = str(body, 'id_token');
  if (idToken) tokens.idToken = idToken;
  if (previous?.extra) tokens.extra = previous.extra;
  if (previous?.values) tokens.values = { ...previous.values };

  const grant: NormalizedGrant = { tokens };
  const expiresIn = num(body, 'expires_in');
  if (expiresIn !== undefined) grant.expiresIn = expiresIn;
  const scopes = splitScopes(str(body, 'scope'));
  if (scopes) grant.scopes = scopes;
  const account = idTokenAccount(idToken);
  if (account) grant.account = account;
  // Not in RFC 6749, but the common name for an absolute refresh lifetime (GitHub App user tokens).
  const refreshExpiresIn = num(body, 'refresh_token_expires_in');
  if (refreshExpiresIn !== undefined) grant.refreshExpiresIn = refreshExpiresIn;
  return grant;
}
