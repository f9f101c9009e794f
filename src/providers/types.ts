import type { ErrorKind } from '../contract.js';

/**
 * Provider declarations: everything toolvault knows about a provider, as data. Where a provider really
 * differs (Slack's `authed_user`, GitHub's 200-status errors) the difference is a function in that provider's
 * own module, referenced from here; shared code never asks which provider it is talking to.
 */

/** Who consented at the provider (Slack user + team, GitHub login, OIDC sub). */
export interface Account {
  id: string;
  name?: string;
  team?: string;
}

/** The sealed payload of a connection. Only ever leaves the vault into an Authorization header. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** As the provider said it (Slack says `user` or `bot`); we always send `Bearer`. */
  tokenType: string;
  idToken?: string;
  /** Further credentials of the same grant, refreshed separately (Slack's bot token beside the user token). */
  extra?: Record<string, { accessToken: string; refreshToken?: string; expiresAt?: number }>;
  /**
   * Values of this connection that are not credentials but say where its API lives (Jira's cloud id,
   * Salesforce's instance URL, Zendesk's subdomain): `{name}` placeholders of `endpoints.apiBaseUrl`. Sealed
   * with the tokens because they belong to the same grant; carried over by every refresh.
   */
  values?: Record<string, string>;
}

/** A token endpoint answer in toolvault's terms. */
export interface NormalizedGrant {
  tokens: TokenSet;
  /** Seconds; absent when the provider did not say (then `token.defaultAccessLifetimeSec` applies). */
  expiresIn?: number;
  /** Scopes the provider says it granted; absent when it did not say (then the requested ones). */
  scopes?: string[];
  account?: Account;
  /** Absolute lifetime of the refresh token, when the provider says it (GitHub `refresh_token_expires_in`). */
  refreshExpiresIn?: number;
}

export interface Endpoints {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
  userinfoUrl?: string;
  /** Base of the provider's API; the authenticated client sends the token only to URLs under it. */
  apiBaseUrl?: string;
  /** OIDC issuer: with `discovery`, endpoints come from its metadata; also checked in id_tokens. */
  issuer?: string;
}

/** What a response from the provider's API means, read from the provider's own signals. */
export interface ApiSignal {
  kind: ErrorKind;
  /** The provider's error code (`token_revoked`, `bad credentials`...), safe to log. */
  code?: string;
  retryAfterSeconds?: number;
  /** Scopes the call needed that the token lacks, when the provider says. */
  missingScopes?: string[];
  /** Scopes the token has, when the provider says. */
  grantedScopes?: string[];
  /** The request provably never reached the provider (connection refused, DNS): even a write may be retried. */
  neverReached?: boolean;
}

/**
 * A provider-reported failure of the request itself, not of the credential (Slack `channel_not_found`,
 * GitHub 404 or 422). The auth layer leaves the connection alone; the tool turns `code` into a clear message.
 */
export interface ApiRequestError {
  status: number;
  /** The provider's code, safe to show: `channel_not_found`, `not_found`, `validation_failed`. */
  code: string;
  /** Structured particulars safe to show (GitHub 422: `Issue.title: missing_field`); never raw body text. */
  details?: string[];
}

/** The token to revoke and which kind it is (RFC 7009 §2.1 `token_type_hint`). */
export interface RevocationToken {
  token: string;
  hint: 'access_token' | 'refresh_token';
}

/** What a revocation achieved. `already_invalid` is success for a disconnect: the token is dead either way. */
export type RevocationOutcome =
  | { result: 'revoked' }
  | { result: 'already_invalid'; code: string }
  /** The provider cannot revoke this kind of token this way (Slack and GitHub refresh tokens). */
  | { result: 'unsupported' }
  | { result: 'failed'; signal: ApiSignal };

/**
 * A provider's own way of revoking at `endpoints.revokeUrl` where it is not RFC 7009. It lives in that
 * provider's module (slack-revocation.ts, github-revocation.ts); providers/revocation.ts sends it.
 */
export interface ProviderRevocation {
  /** A short name for logs and tests: `slack-auth-revoke`, `github-grant`. */
  name: string;
  /** The request that revokes `t` at `url`, or null when this kind of token cannot be revoked this way. */
  request(
    configured: ConfiguredProvider,
    url: string,
    t: RevocationToken,
  ): { url: string; init: RequestInit } | null;
  /** Reads the provider's own answers; null leaves the response to the standard reading. */
  read(response: ApiResponse): RevocationOutcome | null;
}

/**
 * How tokens are revoked at `endpoints.revokeUrl`: `rfc7009` (the OAuth client's RFC 7009 request, with the
 * token endpoint's client authentication), or the provider's own.
 */
export type Revocation = 'rfc7009' | ProviderRevocation;

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body was JSON, else the text. */
  body: unknown;
}

export type ProbeVerdict = 'valid' | 'invalid' | 'unknown';

/**
 * Where a connection's `{name}` placeholders of `endpoints.apiBaseUrl` come from, besides the token response
 * (a `readGrant` may set `tokens.values`, as Salesforce's `instance_url`): configuration (`settings.values`,
 * e.g. Zendesk's `subdomain`, copied onto the connection at consent, so it keeps calling the account it was
 * made for) and a call made with the new access token right after consent (Atlassian's accessible-resources).
 * A consent that cannot learn every name stores nothing.
 */
export interface ConnectionValuesDeclaration {
  /** Every placeholder name the API base needs. */
  names: readonly string[];
  discover?: {
    /** Absolute URL of a read-only call that takes the new access token. */
    url: string;
    read: (response: ApiResponse) => Record<string, string> | undefined;
  };
}

export interface ProviderDeclaration {
  id: string;
  displayName: string;
  endpoints: Endpoints;
  /** Resolve endpoints from `endpoints.issuer` via OIDC discovery at start-up. */
  discovery?: boolean;
  /** How scopes are joined in the authorize request (Slack and GitHub: comma). */
  scopeSeparator: ' ' | ',';
  defaultScopes: string[];
  /** Scopes always requested so a refresh token is issued (OIDC `offline_access`). */
  offlineScopes?: string[];
  /** Extra authorize parameters (Google: `access_type=offline`, `prompt=consent`). */
  authorizeParams?: Record<string, string>;
  /**
   * Builds the scope parameters of the authorize request when they are not a plain `scope`
   * (Slack: user scopes in `user_scope`, bot scopes in `scope`).
   */
  scopeParams?: (scopes: string[]) => Record<string, string>;
  clientAuth: 'client_secret_post' | 'client_secret_basic';
  /**
   * Extra parameters of every token request (Zendesk: `expires_in`, so that clients registered before
   * 2026-04-30 get expiring tokens with the refresh token that is now mandatory).
   */
  tokenParams?: Record<string, string>;
  /** How token requests carry their parameters: `form` (RFC 6749, the default) or `json` (Notion). */
  tokenRequestBody?: 'form' | 'json';
  /** Send PKCE (S256). Every provider we know accepts it or ignores it. */
  pkce: boolean;
  /**
   * Rewrites token endpoint responses into standard OAuth shapes before openid-client reads them
   * (200-status errors -> 400 with `error`; Slack `ratelimited` -> 429; non-bearer token types).
   */
  adaptTokenResponse?: (response: Response) => Promise<Response>;
  /**
   * Turns a token endpoint JSON body into a NormalizedGrant; default reads standard RFC 6749 fields.
   * `tokens` describe the credential that was issued or refreshed; `previous.extra` and `previous.refreshToken`
   * are carried over when the response does not replace them. `now` (ms) dates `extra[*].expiresAt`.
   */
  readGrant?: (body: Record<string, unknown>, previous?: TokenSet, now?: number) => NormalizedGrant;
  /** Provider-specific token endpoint error codes and what they mean (standard RFC 6749 codes are known). */
  tokenErrors?: Record<string, ErrorKind>;
  token: {
    /** Lifetime assumed when a token response has no `expires_in`; absent = assume it does not expire. */
    defaultAccessLifetimeSec?: number;
    /** The provider issues a new refresh token on every refresh and kills the old one. */
    rotatesRefreshToken: boolean;
    /** Seconds a rotated refresh token still works (Atlassian 600, Okta 30); 0 when none. */
    reuseGraceSec: number;
    /** A refresh token unused this long dies (Google 6 months, Atlassian 90 days). */
    refreshIdleLimitSec?: number;
    /**
     * A refresh token dies this long after it was issued, whatever its use (GitHub App user tokens: 6 months),
     * when the token response does not say (`refresh_token_expires_in` wins). With rotation every new refresh
     * token starts afresh; without, the end stays where consent put it and only a reconnect moves it.
     */
    refreshAbsoluteLifetimeSec?: number;
    /**
     * What `refreshAbsoluteLifetimeSec` counts from: each new refresh token (`token`, the default: GitHub) or
     * the consent (`consent`: Atlassian's 365 days end a grant however often it rotates), in which case no
     * refresh moves the end and only a reconnect does.
     */
    absoluteLifetimeFrom?: 'token' | 'consent';
  };
  /** Per-connection values the API base is built from; see {@link ConnectionValuesDeclaration}. */
  connectionValues?: ConnectionValuesDeclaration;
  /** How tokens are revoked at `endpoints.revokeUrl`; default `rfc7009` when there is a revokeUrl. */
  revocation?: Revocation;
  /** A cheap read-only call that tells whether an access token is alive. */
  probe?: {
    method: 'GET' | 'POST';
    /** Absolute, or relative to `endpoints.apiBaseUrl`; `userinfo` means `endpoints.userinfoUrl`. */
    path: string;
    /** A JSON body to send (Linear's GraphQL `{ viewer { id } }`). */
    json?: unknown;
    judge: (response: ApiResponse) => ProbeVerdict;
    /** Who the token belongs to, when the probe says. */
    account?: (response: ApiResponse) => Account | undefined;
  };
  api?: {
    /** Extra headers every API request carries (GitHub: Accept, X-GitHub-Api-Version). */
    headers?: Record<string, string>;
    /**
     * Reads an API response for credential and transport signals: null when the credential is fine (the
     * request may still have failed, see `requestError`). Slack errors come with 200. `now` in ms.
     */
    inspect: (response: ApiResponse, now: number) => ApiSignal | null;
    /** Reads a failure that is not about the credential (inspect said null); default: any status >= 400. */
    requestError?: (response: ApiResponse) => ApiRequestError | null;
  };
}

/** Client credentials and endpoint overrides from configuration. */
export interface ProviderSettings {
  clientId: string;
  clientSecret?: string;
  /** A previous client secret to fall back on during secret rotation. */
  previousClientSecret?: string;
  scopes?: string[];
  /** Configured per-connection values (Zendesk `subdomain`), see {@link ConnectionValuesDeclaration}. */
  values?: Record<string, string>;
  /** The `<provider>.request` tool: on unless turned off, with its policies. */
  requestTool?: RequestToolSettings;
}

/** What a call needs before it runs: nothing, a person's approval, or it is refused. */
export type CallPolicy = 'allow' | 'approve' | 'deny';

/** Operators' settings of a provider's request tool. */
export interface RequestToolSettings {
  enabled: boolean;
  /** GET and HEAD. */
  read: CallPolicy;
  /** Every other method. */
  write: CallPolicy;
}

/** A declaration ready to use: configured credentials and resolved endpoints. */
export interface ConfiguredProvider {
  declaration: ProviderDeclaration;
  settings: ProviderSettings;
}
