import {
  type Dispatch,
  type FakeRequest,
  type FaultSpec,
  htmlReply,
  type Reply,
  type RequestRecord,
  startFakeHttp,
} from './http.js';
import { callMethod, presentedToken, SLACK_METHODS } from './slack-api.js';
import { access, authorize, presentedGrant } from './slack-oauth.js';
import { compareTs } from './slack-paging.js';
import {
  type SlackChannel,
  type SlackConsent,
  type SlackFakeOptions,
  type SlackMessage,
  SlackState,
} from './slack-state.js';

export type { RequestRecord } from './http.js';
export type { SlackChannel, SlackConsent, SlackFakeOptions, SlackMessage } from './slack-state.js';

/** Slack faults: the shared kinds, `{ error }` for a 200 `{ok:false,error}`, or a literal reply. */
export type SlackFault = FaultSpec<never>;

/** A channel to seed; unset flags default to a public, live channel the user is in. */
export type SlackChannelSeed = Pick<SlackChannel, 'id' | 'name'> & Partial<Omit<SlackChannel, 'id' | 'name'>>;

/** A token as the fake tracks it, for assertions (e.g. that a rotated refresh token is dead). */
export interface SlackTokenView {
  value: string;
  kind: 'access' | 'refresh';
  audience: 'user' | 'bot';
  userId: string;
  expiresAt: number | null;
  rotated: boolean;
  revoked: boolean;
}

/** A running Slack fake and its controls. */
export interface SlackFake {
  url: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
  /** Who consents next (and whether they deny); persists until changed. */
  setConsentingUser(consent: Partial<SlackConsent> & { userId: string }): void;
  /** Revokes one token's install (all its tokens) or, given a user id, every install of that user. */
  revoke(tokenOrUser: string): void;
  /** Removes a scope from a user's installs (user and bot sides), as if an admin reduced it. */
  dropScope(userId: string, scope: string): void;
  /** Deactivates a user: their tokens answer `account_inactive`. */
  deactivate(userId: string): void;
  addChannel(seed: SlackChannelSeed): void;
  /** Seeds messages; `ts` defaults to a fresh timestamp from the clock. */
  addMessages(channelId: string, messages: (Partial<SlackMessage> & { text: string })[]): SlackMessage[];
  /** Every message in a channel, oldest first (seeded and posted, replies included). */
  messages(channelId: string): SlackMessage[];
  /** Queues `fault` for the next `count` requests to a method (`chat.postMessage`, `oauth.v2.access`,
   * `oauth/v2/authorize`). */
  failNext(method: string, fault: SlackFault, count?: number): void;
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Token endpoint requests by grant type, counted on arrival (faulted ones included). */
  tokenRequests(): Record<string, number>;
  issuedTokens(): SlackTokenView[];
}

function renderFault(fault: SlackFault, state: SlackState): Reply {
  if (fault === '500' || fault === 500) return htmlReply(500, 'Internal Server Error');
  if (fault === '503_html') return htmlReply(503, 'Service Unavailable');
  if (typeof fault === 'object' && 'error' in fault)
    return { status: 200, body: { ok: false, error: fault.error } };
  if (typeof fault === 'object' && 'reply' in fault) return fault.reply;
  // Web API rate limits: HTTP 429 with Retry-After in seconds and an `ratelimited` body.
  const retryAfter =
    typeof fault === 'object'
      ? (fault.retryAfter ?? state.opts.retryAfterSeconds)
      : state.opts.retryAfterSeconds;
  return {
    status: typeof fault === 'object' ? (fault.status ?? 429) : 429,
    headers: { 'retry-after': String(retryAfter) },
    body: { ok: false, error: 'ratelimited' },
  };
}

function route(state: SlackState, req: FakeRequest): Dispatch {
  if (req.path === '/oauth/v2/authorize') {
    return { key: 'oauth/v2/authorize', token: null, run: () => authorize(state, req) };
  }
  const method = /^\/api\/([\w.]+)$/.exec(req.path)?.[1];
  if (method === 'oauth.v2.access') {
    const { token, grantType } = presentedGrant(req);
    state.countTokenRequest(grantType);
    return { key: method, token, grantType, run: () => access(state, req) };
  }
  if (method !== undefined) {
    return { key: method, token: presentedToken(req), run: () => callMethod(state, method, req) };
  }
  return { key: 'unknown', token: null, run: () => htmlReply(404, 'Not Found') };
}

/** Starts a wire-faithful Slack Web API and OAuth v2 fake (token rotation on) on 127.0.0.1:0. */
export async function startSlackFake(options: SlackFakeOptions = {}): Promise<SlackFake> {
  const state = new SlackState(options);
  const http = await startFakeHttp<never>({
    route: (req) => route(state, req),
    renderFault: (fault) => renderFault(fault, state),
    keys: ['oauth/v2/authorize', 'oauth.v2.access', ...SLACK_METHODS],
  });
  const grantsOf = (userId: string) => state.grants.filter((g) => g.subject === userId);

  return {
    url: http.url,
    clientId: state.opts.clientId,
    clientSecret: state.opts.clientSecret,
    close: http.close,
    failNext: http.failNext,
    requests: http.requests,
    clearRequests: http.clearRequests,
    setConsentingUser: (c) => {
      state.consent = {
        userId: c.userId,
        teamId: c.teamId ?? state.consent.teamId,
        teamName: c.teamName ?? state.consent.teamName,
        deny: c.deny ?? false,
      };
    },
    revoke: (tokenOrUser) => {
      const token = state.tokens.find(tokenOrUser);
      for (const g of token ? [token.grant] : grantsOf(tokenOrUser)) g.revoked = true;
    },
    dropScope: (userId, scope) => {
      for (const g of grantsOf(userId)) {
        g.scopes.delete(scope);
        g.botScopes.delete(scope);
      }
    },
    deactivate: (userId) => {
      for (const g of grantsOf(userId)) g.inactive = true;
    },
    addChannel: (seed) => {
      state.channels.set(seed.id, {
        is_private: false,
        is_archived: false,
        is_member: true,
        created: Math.floor(state.opts.now() / 1000),
        ...seed,
      });
    },
    addMessages: (channelId, seeds) => {
      const list = state.messages.get(channelId) ?? [];
      const added = seeds.map((m) => ({
        type: 'message' as const,
        user: state.consent.userId,
        ...m,
        ts: m.ts ?? state.nextTs(),
      }));
      list.push(...added);
      state.messages.set(channelId, list);
      return added.map((m) => ({ ...m }));
    },
    messages: (channelId) =>
      [...(state.messages.get(channelId) ?? [])].sort((a, b) => compareTs(a.ts, b.ts)).map((m) => ({ ...m })),
    tokenRequests: () => ({ ...state.tokenRequests }),
    issuedTokens: () =>
      state.tokens.all().map((t) => ({
        value: t.value,
        kind: t.kind,
        audience: t.audience,
        userId: t.grant.subject,
        expiresAt: t.expiresAt,
        rotated: t.rotated,
        revoked: t.revoked || t.grant.revoked,
      })),
  };
}
