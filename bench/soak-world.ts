import type { ProviderConfig } from '../src/app/config.js';
import { type GitHubFake, startGitHubFake } from '../test/fakes/github.js';
import { type SlackFake, startSlackFake } from '../test/fakes/slack.js';
import type { FakeClock } from '../test/support/clock.js';
import { type OidcServer, startOidcServer } from '../test/support/oidc-server.js';
import { githubProviderConfig } from './github-rig.js';

/**
 * The soak's outside world: the GitHub fake (GitHub App mode: expiring, rotating user tokens), the Slack fake
 * (token rotation on) and oidc-provider (rotation with reuse detection) as toolvault's `demo` provider, all
 * with short token lifetimes. The fakes run on toolvault's fake clock, so they know by it when a token has
 * expired; oidc-provider keeps real time (its tokens outlive the run) and expiry is judged from what it said.
 * It also answers "whose token is this?" for every credential toolvault sends.
 */

export type ProviderId = 'github' | 'slack' | 'demo';
export const PROVIDERS: readonly ProviderId[] = ['github', 'slack', 'demo'];

export const REPO = { owner: 'soak', name: 'issues' };
export const CHANNEL = 'C0SOAK0001';
export const SLACK_SCOPES = ['channels:read', 'channels:history', 'chat:write'];

export interface TokenOwner {
  user: string;
  kind: 'access' | 'refresh';
  /** Fake clock ms; null: never expires or unknown. */
  expiresAt: number | null;
}

export interface World {
  github: GitHubFake;
  slack: SlackFake;
  oidc: OidcServer;
  providers: Record<ProviderId, ProviderConfig>;
  /** Which provider an outbound URL belongs to, if any. */
  providerOf(url: string): ProviderId | null;
  /** Whose token `value` is, by the provider that issued it. */
  owner(provider: ProviderId, value: string): Promise<TokenOwner | null>;
  /** Remembers an oidc access token's expiry (oidc-provider keeps real time; toolvault's clock decides). */
  learnExpiry(value: string, expiresAt: number | null): void;
  /** Sets who consents next at `provider`'s fake. */
  consentAs(provider: ProviderId, user: string): void;
  slackUserId(user: string): string;
  close(): Promise<void>;
}

export async function startWorld(clock: FakeClock, o: { accessTtlSec: number }): Promise<World> {
  const now = () => clock.now();
  const github = await startGitHubFake({ mode: 'github-app', now, accessTtlSeconds: o.accessTtlSec });
  github.addRepo({ owner: REPO.owner, name: REPO.name });
  const slack = await startSlackFake({ now, accessTtlSeconds: o.accessTtlSec });
  slack.addChannel({ id: CHANNEL, name: 'soak' });
  const oidc = await startOidcServer({ accessTokenTtlSec: o.accessTtlSec });
  const slackUsers = new Map<string, string>();
  const slackUserId = (user: string): string => `U${user.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;

  // Indexes over what the fakes issued, extended only from where they left off (tokens are appended).
  const indexes = { github: new Map<string, TokenOwner>(), slack: new Map<string, TokenOwner>() };
  const reindex = (p: 'github' | 'slack'): void => {
    const idx = indexes[p];
    if (p === 'github') {
      for (const t of github.issuedTokens().slice(idx.size))
        idx.set(t.value, { user: t.login, kind: t.kind, expiresAt: t.expiresAt });
    } else {
      for (const t of slack.issuedTokens().slice(idx.size))
        idx.set(t.value, {
          user: slackUsers.get(t.userId) ?? t.userId,
          kind: t.kind,
          expiresAt: t.expiresAt,
        });
    }
  };
  const oidcExpiry = new Map<string, number | null>();
  const oidcOwners = new Map<string, TokenOwner>();
  const origins: [string, ProviderId][] = [
    [new URL(github.url).origin, 'github'],
    [new URL(slack.url).origin, 'slack'],
    [new URL(oidc.issuer).origin, 'demo'],
  ];

  return {
    github,
    slack,
    oidc,
    providers: {
      github: githubProviderConfig(github),
      slack: {
        clientId: slack.clientId,
        clientSecret: slack.clientSecret,
        authorizeUrl: `${slack.url}/oauth/v2/authorize`,
        tokenUrl: `${slack.url}/api/oauth.v2.access`,
        revokeUrl: `${slack.url}/api/auth.revoke`,
        apiBaseUrl: `${slack.url}/api/`,
      },
      demo: {
        type: 'oidc',
        issuer: oidc.issuer,
        clientId: oidc.clientId,
        clientSecret: oidc.clientSecret,
        apiBaseUrl: oidc.issuer,
        userinfoUrl: `${oidc.issuer}/me?probe=1`,
      },
    },
    providerOf(url) {
      const origin = new URL(url).origin;
      return origins.find(([o]) => o === origin)?.[1] ?? null;
    },
    async owner(provider, value) {
      if (provider === 'github' || provider === 'slack') {
        let found = indexes[provider].get(value);
        if (!found) {
          reindex(provider);
          found = indexes[provider].get(value);
        }
        return found ?? null;
      }
      // Remembered once seen: a revoked grant's tokens vanish from oidc-provider's store.
      const known = oidcOwners.get(value);
      if (known) return { ...known, expiresAt: oidcExpiry.get(value) ?? known.expiresAt };
      const p = oidc.provider;
      const access = await p.AccessToken.find(value);
      const refresh = access ? undefined : await p.RefreshToken.find(value, { ignoreExpiration: true });
      const found = access ?? refresh;
      if (!found?.accountId) return null;
      const o: TokenOwner = {
        user: found.accountId,
        kind: access ? 'access' : 'refresh',
        expiresAt: access ? (oidcExpiry.get(value) ?? null) : null,
      };
      oidcOwners.set(value, o);
      return o;
    },
    learnExpiry(value, expiresAt) {
      oidcExpiry.set(value, expiresAt);
    },
    consentAs(provider, user) {
      if (provider === 'github') github.setConsentingUser({ login: user });
      if (provider === 'slack') {
        slackUsers.set(slackUserId(user), user);
        slack.setConsentingUser({ userId: slackUserId(user) });
      }
    },
    slackUserId,
    async close() {
      await Promise.allSettled([github.close(), slack.close(), oidc.close()]);
    },
  };
}
