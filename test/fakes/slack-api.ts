import type { IssuedToken } from './grants.js';
import type { FakeRequest, Reply } from './http.js';
import { compareTs, page } from './slack-paging.js';
import type { SlackChannel, SlackGrant, SlackMessage, SlackState } from './slack-state.js';

/** What a Web API method handler gets once the token has passed. */
interface Call {
  state: SlackState;
  req: FakeRequest;
  token: IssuedToken<SlackGrant>;
  /** Fails with `missing_scope` unless the token holds `scope`; answers null when it does. */
  need(scope: string): Reply | null;
}

interface Method {
  /** Scopes the method accepts, sent as `X-Accepted-OAuth-Scopes` (Slack sends them on every response). */
  accepted: string[];
  run(call: Call): Reply;
}

const MAX_TEXT = 40_000; // chat.postMessage truncates at 40k chars and errors beyond (msg_too_long)

function ok(body: Record<string, unknown>): Reply {
  return { status: 200, body: { ok: true, ...body } };
}

function fail(error: string, extra: Record<string, unknown> = {}): Reply {
  return { status: 200, body: { ok: false, error, ...extra } };
}

const TS = /^\d+(\.\d+)?$/;

function scopesOf(token: IssuedToken<SlackGrant>): Set<string> {
  return token.audience === 'user' ? token.grant.scopes : token.grant.botScopes;
}

/** Resolves `channel` by id or by name (`general` or `#general`), as chat.postMessage allows. */
function findChannel(state: SlackState, ref: string | undefined): SlackChannel | undefined {
  if (ref === undefined) return undefined;
  const byId = state.channels.get(ref);
  if (byId) return byId;
  const name = ref.replace(/^#/, '');
  return [...state.channels.values()].find((c) => c.name === name);
}

function channelObject(c: SlackChannel) {
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.is_private,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.is_private,
    is_archived: c.is_archived,
    is_general: c.name === 'general',
    is_member: c.is_member,
    created: c.created,
  };
}

/** Finds a readable channel for history/replies; private channels the caller is not in do not exist. */
function readable(call: Call): { channel: SlackChannel } | Reply {
  const channel = call.state.channels.get(call.req.params['channel'] ?? '');
  if (!channel || (channel.is_private && !channel.is_member)) return fail('channel_not_found');
  const denied = call.need(channel.is_private ? 'groups:history' : 'channels:history');
  if (denied) return denied;
  // Bots must be in a conversation to read it; user tokens can read public channels they are not in.
  if (!channel.is_member && call.token.audience === 'bot') return fail('not_in_channel');
  return { channel };
}

const HISTORY_SCOPES = ['channels:history', 'groups:history', 'im:history', 'mpim:history'];

const methods: Record<string, Method> = {
  'auth.test': {
    accepted: [],
    run: ({ token }) => {
      const g = token.grant;
      const bot = token.audience === 'bot';
      return ok({
        url: `https://${g.teamName.toLowerCase().replace(/\W+/g, '-')}.slack.com/`,
        team: g.teamName,
        user: bot ? 'fake-bot' : g.subject.toLowerCase(),
        team_id: g.teamId,
        user_id: bot ? g.botUserId : g.subject,
        ...(bot ? { bot_id: `B${g.botUserId.slice(2)}` } : {}),
        is_enterprise_install: false,
      });
    },
  },
  'auth.revoke': {
    accepted: [],
    run: ({ state, req, token }) => {
      const test = req.params['test'] === 'true' || req.params['test'] === '1';
      if (!test) {
        // Revoking a rotating token ends that audience's whole chain: its access and refresh tokens.
        for (const t of state.tokens.all()) {
          if (t.grant === token.grant && t.audience === token.audience) t.revoked = true;
        }
      }
      return ok({ revoked: !test });
    },
  },
  'chat.postMessage': {
    accepted: ['chat:write', 'chat:write:user', 'chat:write:bot'],
    run: (call) => {
      const { state, req, token } = call;
      const denied = call.need('chat:write');
      if (denied) return denied;
      const channel = findChannel(state, req.params['channel']);
      if (!channel || (channel.is_private && !channel.is_member)) return fail('channel_not_found');
      if (channel.is_archived) return fail('is_archived');
      if (!channel.is_member) return fail('not_in_channel');
      const text = req.params['text'] ?? '';
      if (text === '' && !req.params['blocks'] && !req.params['attachments']) return fail('no_text');
      if (text.length > MAX_TEXT) return fail('msg_too_long');
      const message: SlackMessage = {
        type: 'message',
        ts: state.nextTs(),
        user: token.audience === 'bot' ? token.grant.botUserId : token.grant.subject,
        text,
      };
      const threadTs = req.params['thread_ts'];
      if (threadTs) {
        message.thread_ts = threadTs;
        const parent = state.messages.get(channel.id)?.find((m) => m.ts === threadTs);
        if (parent) {
          parent.thread_ts = parent.ts;
          parent.reply_count = (parent.reply_count ?? 0) + 1;
        }
      }
      const list = state.messages.get(channel.id) ?? [];
      list.push(message);
      state.messages.set(channel.id, list);
      return ok({ channel: channel.id, ts: message.ts, message: { ...message, team: token.grant.teamId } });
    },
  },
  'conversations.list': {
    accepted: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    run: (call) => {
      const { state, req } = call;
      const types = (req.params['types'] ?? 'public_channel').split(',');
      const needs: Record<string, string> = {
        public_channel: 'channels:read',
        private_channel: 'groups:read',
        im: 'im:read',
        mpim: 'mpim:read',
      };
      for (const t of types) {
        const scope = needs[t];
        if (!scope) return fail('invalid_types');
        const denied = call.need(scope);
        if (denied) return denied;
      }
      const excludeArchived =
        req.params['exclude_archived'] === 'true' || req.params['exclude_archived'] === '1';
      const visible = [...state.channels.values()].filter(
        (c) =>
          (c.is_private
            ? types.includes('private_channel') && c.is_member
            : types.includes('public_channel')) && !(excludeArchived && c.is_archived),
      );
      const result = page(visible, req, (c) => c.id, 'team:', 1000);
      if (result === 'invalid_cursor') return fail('invalid_cursor');
      return ok({
        channels: result.items.map(channelObject),
        response_metadata: { next_cursor: result.next },
      });
    },
  },
  'conversations.history': {
    accepted: HISTORY_SCOPES,
    run: (call) => {
      const found = readable(call);
      if ('status' in found) return found;
      const p = call.req.params;
      const oldest = p['oldest'];
      const latest = p['latest'];
      if (oldest !== undefined && !TS.test(oldest)) return fail('invalid_ts_oldest');
      if (latest !== undefined && !TS.test(latest)) return fail('invalid_ts_latest');
      const inclusive = p['inclusive'] === 'true' || p['inclusive'] === '1';
      const inRange = (m: SlackMessage) =>
        (oldest === undefined || compareTs(m.ts, oldest) > (inclusive ? -1 : 0)) &&
        (latest === undefined || compareTs(m.ts, latest) < (inclusive ? 1 : 0));
      // History holds top-level messages and thread parents; replies live in conversations.replies.
      const list = (call.state.messages.get(found.channel.id) ?? [])
        .filter((m) => (m.thread_ts === undefined || m.thread_ts === m.ts) && inRange(m))
        .sort((a, b) => compareTs(b.ts, a.ts));
      const result = page(list, call.req, (m) => m.ts, 'next_ts:', 999);
      if (result === 'invalid_cursor') return fail('invalid_cursor');
      const hasMore = result.next !== '';
      return ok({
        messages: result.items,
        has_more: hasMore,
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        ...(hasMore ? { response_metadata: { next_cursor: result.next } } : {}),
      });
    },
  },
  'conversations.replies': {
    accepted: HISTORY_SCOPES,
    run: (call) => {
      const found = readable(call);
      if ('status' in found) return found;
      const ts = call.req.params['ts'];
      const all = call.state.messages.get(found.channel.id) ?? [];
      const parent = all.find((m) => m.ts === ts);
      if (!parent || ts === undefined) return fail('thread_not_found');
      const thread = all
        .filter((m) => m.ts === ts || m.thread_ts === ts)
        .sort((a, b) => compareTs(a.ts, b.ts));
      const result = page(thread, call.req, (m) => m.ts, 'next_ts:', 999);
      if (result === 'invalid_cursor') return fail('invalid_cursor');
      return ok({
        messages: result.items,
        has_more: result.next !== '',
        response_metadata: { next_cursor: result.next },
      });
    },
  },
  'chat.getPermalink': {
    accepted: [],
    run: ({ state, req, token }) => {
      const channel = state.channels.get(req.params['channel'] ?? '');
      if (!channel) return fail('channel_not_found');
      const ts = req.params['message_ts'] ?? '';
      if (!state.messages.get(channel.id)?.some((m) => m.ts === ts)) return fail('message_not_found');
      const host = token.grant.teamName.toLowerCase().replace(/\W+/g, '-');
      return ok({
        channel: channel.id,
        permalink: `https://${host}.slack.com/archives/${channel.id}/p${ts.replace('.', '')}`,
      });
    },
  },
};

/** The token a Web API request presents: Bearer header, or the legacy `token` body field. */
export function presentedToken(req: FakeRequest): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return bearer?.[1] ?? req.params['token'] ?? null;
}

/**
 * Runs `POST /api/{method}`: token checks in Slack's order, then the method. Every answer carries
 * `X-OAuth-Scopes` (what the token holds) and `X-Accepted-OAuth-Scopes` (what the method takes).
 */
export function callMethod(state: SlackState, name: string, req: FakeRequest): Reply {
  const method = methods[name];
  if (!method) return { status: 404, body: { ok: false, error: 'unknown_method', req_method: name } };
  const headers: Record<string, string> = {
    'x-oauth-scopes': '',
    'x-accepted-oauth-scopes': method.accepted.join(','),
  };
  const withHeaders = (reply: Reply): Reply => ({ ...reply, headers: { ...headers, ...reply.headers } });
  if (req.badJson) return withHeaders(fail('invalid_json'));
  const value = presentedToken(req);
  if (value === null) return withHeaders(fail('not_authed'));
  const { token, problem } = state.tokens.check(value, 'access');
  if (problem === 'revoked') return withHeaders(fail('token_revoked'));
  if (problem === 'expired') return withHeaders(fail('token_expired'));
  if (problem || !token) return withHeaders(fail('invalid_auth'));
  if (token.grant.inactive) return withHeaders(fail('account_inactive'));
  const scopes = scopesOf(token);
  headers['x-oauth-scopes'] = [...scopes].join(',');
  const need = (scope: string): Reply | null =>
    scopes.has(scope) ? null : fail('missing_scope', { needed: scope, provided: [...scopes].join(',') });
  return withHeaders(method.run({ state, req, token, need }));
}

/** Web API methods the fake implements (besides oauth.v2.access). */
export const SLACK_METHODS: readonly string[] = Object.keys(methods);
