import type { ProviderRevocation } from './types.js';

/** Slack error codes that say the token is already dead: revoking it again is done. */
const ALREADY_INVALID = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'token_expired']);

/**
 * Slack's Web API method `auth.revoke` (docs.slack.dev): it authenticates with the token it revokes, so a
 * rotating refresh token cannot call it, but revoking the access token ends the whole token. Slack answers
 * HTTP 200 with `ok` and an `error` code.
 */
export const slackRevocation: ProviderRevocation = {
  name: 'slack-auth-revoke',
  request(configured, url, t) {
    if (t.hint !== 'access_token') return null;
    const headers = { ...(configured.declaration.api?.headers ?? {}), authorization: `Bearer ${t.token}` };
    return { url, init: { method: 'POST', headers } };
  },
  read({ status, body }) {
    if (status !== 200) return null;
    if ((body as { ok?: unknown } | null)?.ok === true) return { result: 'revoked' };
    const e = (body as { error?: unknown } | null)?.error;
    const code = typeof e === 'string' ? e : 'unknown_error';
    if (ALREADY_INVALID.has(code)) return { result: 'already_invalid', code };
    return { result: 'failed', signal: { kind: code === 'ratelimited' ? 'rate_limited' : 'unknown', code } };
  },
};
