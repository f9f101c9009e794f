import { num, obj, readStandardGrant, splitScopes, str } from './standard-grant.js';
import type { NormalizedGrant, TokenSet } from './types.js';

/**
 * Slack's `oauth.v2.access` is OAuth 2 in name only (docs.slack.dev/reference/methods/oauth.v2.access):
 * - errors come as HTTP 200 `{ok:false, error}`; rate limits as `ratelimited`;
 * - a user-scope install puts the user token under `authed_user` and leaves the top level without a token;
 *   an install with bot scopes puts the bot token at the top level beside `authed_user`;
 * - `token_type` is `user` or `bot`, which openid-client rejects (it accepts `bearer` and `dpop` only);
 * - with token rotation on, a refresh answers at the top level with the `token_type` of the token refreshed
 *   (@slack/oauth's InstallProvider switches on it the same way).
 * The adapter rewrites all this into RFC 6749 shapes before openid-client reads it; readGrant reads either.
 */

/** A bot token lifted aside when the user token becomes the primary credential. */
interface SlackBotToken {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  bot_user_id?: string;
}

function json(original: Response, status: number, body: Record<string, unknown>): Response {
  const headers = new Headers(original.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status, statusText: '', headers });
}

/**
 * Moves the user token to the top level (keeping the bot token under `bot`), and turns `token_type` into
 * `bearer`, keeping Slack's value in `slack_token_type`. Idempotent: an already lifted body is unchanged.
 */
export function liftSlackTokens(body: Record<string, unknown>): Record<string, unknown> {
  if ('slack_token_type' in body) return body;
  const user = obj(body, 'authed_user');
  const userToken = user ? str(user, 'access_token') : undefined;
  if (!user || !userToken) {
    return { ...body, token_type: 'bearer', slack_token_type: str(body, 'token_type') ?? 'bot' };
  }
  const {
    access_token: botToken,
    refresh_token: botRefresh,
    expires_in: botExpires,
    scope: botScope,
    bot_user_id: botUserId,
    token_type: _botType,
    ...rest
  } = body;
  const lifted: Record<string, unknown> = {
    ...rest,
    access_token: userToken,
    token_type: 'bearer',
    slack_token_type: str(user, 'token_type') ?? 'user',
    authed_user: { id: user['id'] },
  };
  for (const key of ['refresh_token', 'expires_in', 'scope'] as const) {
    if (user[key] !== undefined) lifted[key] = user[key];
  }
  if (typeof botToken === 'string' && botToken !== '') {
    const bot: SlackBotToken = { access_token: botToken };
    if (typeof botRefresh === 'string') bot.refresh_token = botRefresh;
    if (typeof botExpires === 'number') bot.expires_in = botExpires;
    if (typeof botScope === 'string') bot.scope = botScope;
    if (typeof botUserId === 'string') bot.bot_user_id = botUserId;
    lifted['bot'] = bot;
  }
  return lifted;
}

/**
 * `adaptTokenResponse` for Slack: `{ok:false, error}` becomes 400 `{error}` (or 429 for `ratelimited`, keeping
 * Retry-After; a 4xx/5xx status Slack already set is kept), `{ok:true}` is lifted by {@link liftSlackTokens}.
 * Anything that is not a JSON object passes through for the classifier to judge.
 */
export async function adaptSlackTokenResponse(response: Response): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return response;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return response;
  const record = body as Record<string, unknown>;
  if (record['ok'] === false) {
    const error = str(record, 'error') ?? 'unknown_error';
    const status = error === 'ratelimited' ? 429 : Math.max(response.status, 400);
    return json(response, status, { error });
  }
  if (record['ok'] === true) return json(response, response.status, liftSlackTokens(record));
  return response;
}

/** Slack scopes in toolvault's naming: user scopes plain, bot scopes prefixed `bot:`. */
function botScopes(scope: string | undefined): string[] {
  return (splitScopes(scope) ?? []).map((s) => `bot:${s}`);
}

/**
 * `readGrant` for Slack, from a raw or adapted body. The user token is the primary credential when there is
 * one; the bot token of the same install goes to `extra.bot`, refreshed separately. Scopes come back in
 * toolvault's naming. On a refresh that carries only the user token while a bot token exists, the full scope
 * set is unknown, so `scopes` is left out (the stored set stays).
 */
export function readSlackGrant(
  body: Record<string, unknown>,
  previous?: TokenSet,
  now = Date.now(),
): NormalizedGrant {
  const lifted = liftSlackTokens(body);
  const base = readStandardGrant(lifted, previous);
  const tokenType = str(lifted, 'slack_token_type') ?? 'bot';
  const tokens: TokenSet = { ...base.tokens, tokenType };
  const bot = obj(lifted, 'bot');
  const botToken = bot ? str(bot, 'access_token') : undefined;
  if (bot && botToken) {
    const extra: NonNullable<TokenSet['extra']>[string] = { accessToken: botToken };
    const refresh = str(bot, 'refresh_token');
    if (refresh) extra.refreshToken = refresh;
    const expiresIn = num(bot, 'expires_in');
    if (expiresIn !== undefined) extra.expiresAt = now + expiresIn * 1000;
    tokens.extra = { ...previous?.extra, bot: extra };
  }

  const grant: NormalizedGrant = { ...base, tokens };
  delete grant.scopes;
  const primaryScopes = str(lifted, 'scope');
  if (tokenType === 'user') {
    const scopes = [...(splitScopes(primaryScopes) ?? []), ...botScopes(bot ? str(bot, 'scope') : undefined)];
    const botUnknown = !bot && previous?.extra?.['bot'] !== undefined;
    if (scopes.length > 0 && !botUnknown) grant.scopes = scopes;
  } else {
    const scopes = botScopes(primaryScopes);
    if (scopes.length > 0) grant.scopes = scopes;
  }

  const userId = str(obj(lifted, 'authed_user') ?? {}, 'id');
  const teamId = str(obj(lifted, 'team') ?? {}, 'id') ?? str(lifted, 'team_id');
  if (userId) grant.account = teamId ? { id: userId, team: teamId } : { id: userId };
  else delete grant.account;
  return grant;
}
