import { CodeBook, type Grant, TokenBook } from './grants.js';

/** A Slack conversation as seeded by a test. */
export interface SlackChannel {
  id: string;
  name: string;
  is_private: boolean;
  is_archived: boolean;
  /** Whether the installing user (and bot) is in the channel; `not_in_channel` otherwise. */
  is_member: boolean;
  created: number;
}

/** A message as Slack returns it from conversations.history. */
export interface SlackMessage {
  type: 'message';
  ts: string;
  user: string;
  text: string;
  thread_ts?: string;
  reply_count?: number;
}

/** Who approves the next authorization, and whether they deny it. */
export interface SlackConsent {
  userId: string;
  teamId: string;
  teamName: string;
  deny: boolean;
}

/** One install of the app by one user in one workspace. */
export interface SlackGrant extends Grant {
  teamId: string;
  teamName: string;
  botScopes: Set<string>;
  botUserId: string;
  /** `account_inactive`: the user was deactivated. */
  inactive: boolean;
}

/** Options for {@link startSlackFake}; every field has a test-friendly default. */
export interface SlackFakeOptions {
  clientId?: string;
  clientSecret?: string;
  appId?: string;
  /** Registered redirect URLs; when omitted any redirect_uri is accepted. */
  redirectUris?: string[];
  /** Clock in ms for code and token expiry; tests move it instead of sleeping. */
  now?: () => number;
  /** Access token lifetime with rotation on: 12 h (using-token-rotation guide). */
  accessTtlSeconds?: number;
  /** Slack refresh tokens do not expire by time; set one to test `token_expired` on refresh. */
  refreshTtlSeconds?: number | null;
  /** Retry-After for the `ratelimited` fault when the fault does not say. */
  retryAfterSeconds?: number;
}

/** Options with defaults filled in. */
export type ResolvedSlackOptions = Required<Omit<SlackFakeOptions, 'redirectUris'>> & {
  redirectUris: string[] | null;
};

/** Everything the Slack fake knows; the OAuth and Web API halves share it. */
export class SlackState {
  readonly opts: ResolvedSlackOptions;
  readonly tokens: TokenBook<SlackGrant>;
  readonly codes: CodeBook<SlackGrant>;
  readonly grants: SlackGrant[] = [];
  readonly channels = new Map<string, SlackChannel>();
  readonly messages = new Map<string, SlackMessage[]>();
  readonly tokenRequests: Record<string, number> = {};
  consent: SlackConsent = {
    userId: 'U0000000001',
    teamId: 'T0000000001',
    teamName: 'Fake Team',
    deny: false,
  };
  #tsSeq = 0;
  #grantSeq = 0;

  constructor(options: SlackFakeOptions) {
    this.opts = {
      clientId: options.clientId ?? '1111111111.2222222222',
      clientSecret: options.clientSecret ?? 'slack-client-secret',
      appId: options.appId ?? 'A0FAKEAPP01',
      redirectUris: options.redirectUris ?? null,
      now: options.now ?? Date.now,
      accessTtlSeconds: options.accessTtlSeconds ?? 43_200,
      refreshTtlSeconds: options.refreshTtlSeconds ?? null,
      retryAfterSeconds: options.retryAfterSeconds ?? 30,
    };
    this.tokens = new TokenBook(this.opts.now);
    this.codes = new CodeBook(this.opts.now);
  }

  /** Re-consent by the same user in the same team adds scopes to the existing install, as Slack does. */
  grantFor(consent: SlackConsent, userScopes: Set<string>, botScopes: Set<string>): SlackGrant {
    const existing = this.grants.find(
      (g) => g.subject === consent.userId && g.teamId === consent.teamId && !g.revoked,
    );
    if (existing) {
      for (const s of userScopes) existing.scopes.add(s);
      for (const s of botScopes) existing.botScopes.add(s);
      return existing;
    }
    const grant: SlackGrant = {
      id: ++this.#grantSeq,
      subject: consent.userId,
      scopes: new Set(userScopes),
      revoked: false,
      teamId: consent.teamId,
      teamName: consent.teamName,
      botScopes: new Set(botScopes),
      botUserId: `UB${String(this.#grantSeq).padStart(9, '0')}`,
      inactive: false,
    };
    this.grants.push(grant);
    return grant;
  }

  /** A message timestamp: unique and increasing, seconds from the injected clock. */
  nextTs(): string {
    const seconds = Math.floor(this.opts.now() / 1000);
    this.#tsSeq += 1;
    return `${seconds}.${String(this.#tsSeq).padStart(6, '0')}`;
  }

  countTokenRequest(grantType: string): void {
    this.tokenRequests[grantType] = (this.tokenRequests[grantType] ?? 0) + 1;
  }
}
