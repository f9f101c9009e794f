import type { IssuedToken } from './grants.js';
import { mint, pkceMatches } from './grants.js';
import { basicCredentials, type FakeRequest, htmlReply, type Reply, redirect } from './http.js';
import type { SlackGrant, SlackState } from './slack-state.js';

const CODE_TTL_MS = 10 * 60 * 1000;
// Slack scope names look like `chat:write`, `channels:history`, `users.profile:read`.
const SCOPE_NAME = /^[a-z][a-z._]*(:[a-z._]+)*$/;

/** Slack separates scopes with commas only; a space-separated list is an invalid scope name here. */
function parseScopes(raw: string | undefined): Set<string> | null {
  if (raw === undefined || raw === '') return new Set();
  const list = raw.split(',');
  return list.every((s) => SCOPE_NAME.test(s)) ? new Set(list) : null;
}

function fail(error: string): Reply {
  return { status: 200, body: { ok: false, error } };
}

/**
 * `GET /oauth/v2/authorize`: a browser page at Slack. Bad client or redirect get an error page (no
 * redirect, so nothing leaks to an unregistered URI); otherwise the consenting user approves at once.
 */
export function authorize(state: SlackState, req: FakeRequest): Reply {
  const p = req.params;
  if (p['client_id'] !== state.opts.clientId) return htmlReply(400, 'Invalid client_id parameter');
  const redirectUri = p['redirect_uri'];
  const registered = state.opts.redirectUris;
  if (registered && redirectUri !== undefined && !registered.includes(redirectUri)) {
    return htmlReply(400, 'redirect_uri did not match any configured URIs');
  }
  const target = redirectUri ?? registered?.[0];
  if (target === undefined) return htmlReply(400, 'No redirect_uri configured');
  const userScopes = parseScopes(p['user_scope']);
  const botScopes = parseScopes(p['scope']);
  if (!userScopes || !botScopes || userScopes.size + botScopes.size === 0) {
    return htmlReply(400, 'Invalid permissions requested');
  }
  const consent = state.consent;
  if (consent.deny) return redirect(target, { error: 'access_denied', state: p['state'] });

  const grant = state.grantFor(consent, userScopes, botScopes);
  const code = mint('');
  const challenge = p['code_challenge'];
  state.codes.add(code, {
    grant,
    clientId: state.opts.clientId,
    redirectUri: redirectUri ?? null,
    challenge:
      challenge === undefined ? null : { value: challenge, method: p['code_challenge_method'] ?? 'plain' },
    expiresAt: state.opts.now() + CODE_TTL_MS,
    used: false,
    scopes: userScopes,
    botScopes,
  });
  return redirect(target, { code, state: p['state'] });
}

function issuePair(state: SlackState, grant: SlackGrant, audience: 'user' | 'bot') {
  const scopes = audience === 'user' ? grant.scopes : grant.botScopes;
  const prefix = audience === 'user' ? 'xoxe.xoxp-1-' : 'xoxe.xoxb-1-';
  const access = state.tokens.issue(
    grant,
    'access',
    audience,
    mint(prefix),
    scopes,
    state.opts.accessTtlSeconds,
  );
  const refresh = state.tokens.issue(
    grant,
    'refresh',
    audience,
    mint('xoxe-1-'),
    scopes,
    state.opts.refreshTtlSeconds,
  );
  return { access, refresh, scope: [...scopes].join(',') };
}

function installEnvelope(grant: SlackGrant) {
  return {
    team: { id: grant.teamId, name: grant.teamName },
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** Reads client credentials from HTTP Basic (preferred by the docs) or the body. */
function clientProblem(state: SlackState, req: FakeRequest): string | null {
  const basic = basicCredentials(req.headers);
  const id = basic?.id ?? req.params['client_id'];
  const secret = basic?.secret ?? req.params['client_secret'];
  if (id !== state.opts.clientId) return 'invalid_client_id';
  if (secret !== state.opts.clientSecret) return 'bad_client_secret';
  return null;
}

/** The credential a token request presents, for the request log. */
export function presentedGrant(req: FakeRequest): { token: string | null; grantType: string } {
  const grantType = req.params['grant_type'] ?? 'authorization_code';
  const token = grantType === 'refresh_token' ? req.params['refresh_token'] : req.params['code'];
  return { token: token ?? null, grantType };
}

/**
 * `POST /api/oauth.v2.access`: code exchange and refresh with rotation. Errors are HTTP 200
 * `{ok:false,error}` as with every Slack method (NOTES.md provider table).
 */
export function access(state: SlackState, req: FakeRequest): Reply {
  const grantType = req.params['grant_type'] ?? 'authorization_code';
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') return fail('invalid_grant_type');
  const client = clientProblem(state, req);
  if (client) return fail(client);
  return grantType === 'refresh_token' ? refresh(state, req) : exchange(state, req);
}

function exchange(state: SlackState, req: FakeRequest): Reply {
  const code = req.params['code'];
  const entry = code === undefined ? null : state.codes.peek(code);
  if (!entry || code === undefined) return fail('invalid_code');
  if (entry.redirectUri !== null && req.params['redirect_uri'] !== entry.redirectUri) {
    return fail('bad_redirect_uri');
  }
  if (entry.challenge) {
    const verifier = req.params['code_verifier'];
    if (verifier === undefined || !pkceMatches(entry.challenge.value, entry.challenge.method, verifier)) {
      return fail('invalid_code_verifier');
    }
  }
  state.codes.consume(code);
  const grant = entry.grant;
  if (grant.revoked) return fail('invalid_code');
  const body: Record<string, unknown> = { ok: true, app_id: state.opts.appId };
  const authedUser: Record<string, unknown> = { id: grant.subject };
  if (entry.scopes.size > 0) {
    const user = issuePair(state, grant, 'user');
    Object.assign(authedUser, {
      scope: user.scope,
      access_token: user.access.value,
      token_type: 'user',
      refresh_token: user.refresh.value,
      expires_in: state.opts.accessTtlSeconds,
    });
  }
  body['authed_user'] = authedUser;
  if (entry.botScopes.size > 0) {
    const bot = issuePair(state, grant, 'bot');
    Object.assign(body, {
      scope: bot.scope,
      token_type: 'bot',
      access_token: bot.access.value,
      bot_user_id: grant.botUserId,
      refresh_token: bot.refresh.value,
      expires_in: state.opts.accessTtlSeconds,
    });
  }
  return { status: 200, body: { ...body, ...installEnvelope(grant) } };
}

function refresh(state: SlackState, req: FakeRequest): Reply {
  const presented = req.params['refresh_token'];
  if (presented === undefined) return fail('invalid_refresh_token');
  const { token, problem } = state.tokens.check(presented, 'refresh');
  if (problem === 'revoked') return fail('token_revoked');
  if (problem === 'expired') return fail('token_expired');
  // A rotated (already used) refresh token is simply no longer valid: there is no reuse grace.
  if (problem || !token) return fail('invalid_refresh_token');
  token.rotated = true;
  const pair = issuePair(state, token.grant, token.audience);
  return { status: 200, body: refreshBody(state, token, pair) };
}

function refreshBody(
  state: SlackState,
  old: IssuedToken<SlackGrant>,
  pair: ReturnType<typeof issuePair>,
): Record<string, unknown> {
  const grant = old.grant;
  return {
    ok: true,
    app_id: state.opts.appId,
    access_token: pair.access.value,
    token_type: old.audience,
    scope: pair.scope,
    ...(old.audience === 'bot' ? { bot_user_id: grant.botUserId } : {}),
    refresh_token: pair.refresh.value,
    expires_in: state.opts.accessTtlSeconds,
    ...installEnvelope(grant),
  };
}
