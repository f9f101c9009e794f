import type { AccessResult } from '../../src/auth/access.js';
import type { ProviderConfig } from '../../src/app/config.js';
import type { ConnectionRow, EventRow } from '../../src/vault/types.js';
import { completeConsent } from './browser.js';
import { FakeClock } from './clock.js';
import { type OidcServer, startOidcServer } from './oidc-server.js';
import { type Harness, startToolvault } from './toolvault.js';
import { createWire, type Wire } from './wire.js';

/**
 * The refresh engine's test bench: a real oidc-provider (rotation, reuse detection) configured as toolvault's
 * `demo` provider, toolvault in-process on a FakeClock, and every outbound request going through a Wire.
 * Probes go to `userinfo?probe=1` so the wire can tell evidence-gathering from actions.
 */

export interface Rig {
  as: OidcServer;
  tv: Harness;
  clock: FakeClock;
  wire: Wire;
  /** Refresh tokens presented to the AS, in arrival order, from any process. */
  presentedRefreshTokens: string[];
  /** Grants the AS revoked on its own (reuse detection fires `grant.revoked`). */
  grantRevocations: string[];
  /**
   * The AS holds the next token request unanswered and toolvault gives up on it quickly (`timeout`). Do not
   * queue other AS faults alongside: the wire's short timeout goes to the next request that reaches it.
   */
  hangNext(): void;
  /** Walks `user` through consent (the account id at the AS is `user`); returns the stored row. */
  connect(user: string): Promise<ConnectionRow>;
  row(user: string): Promise<ConnectionRow>;
  /** One action through the AccessBroker (GET userinfo); ok carries the account id. */
  act(user: string): Promise<AccessResult<string>>;
  events(user: string, type?: string): Promise<EventRow[]>;
  /** State changes other than consent completing (pending/reauth -> healthy through a link). */
  stateChanges(user: string): Promise<EventRow[]>;
  /** Moves the clock to `fraction` of the user's current access token life. */
  toLife(row: ConnectionRow, fraction: number): void;
  close(): Promise<void>;
}

export interface RigOptions {
  accessTokenTtlSec?: number;
  authMethod?: 'client_secret_post' | 'client_secret_basic';
  tokenTimeoutMs?: number;
  clock?: FakeClock;
  home?: string;
  masterKey?: string;
  env?: Record<string, string>;
  /** More of the demo provider's declaration (token lifetimes, rotation, reuse grace, idle limit). */
  demo?: Partial<ProviderConfig>;
  /** Jitter source for toolvault (due times, backoff); seeded where a run must replay exactly. */
  random?: () => number;
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const clock = o.clock ?? new FakeClock(Date.UTC(2026, 2, 1));
  const authMethod = o.authMethod ?? 'client_secret_post';
  const as = await startOidcServer({
    authMethod,
    ...(o.accessTokenTtlSec ? { accessTokenTtlSec: o.accessTokenTtlSec } : {}),
  });
  const presentedRefreshTokens: string[] = [];
  const grantRevocations: string[] = [];
  // Added before the first request, so Koa composes it into the provider's middleware.
  as.provider.use(async (ctx, next) => {
    await next();
    const body = (ctx.oidc as { body?: Record<string, unknown> } | undefined)?.body;
    if (body?.['grant_type'] === 'refresh_token' && typeof body['refresh_token'] === 'string')
      presentedRefreshTokens.push(body['refresh_token']);
  });
  as.provider.on('grant.revoked', (_ctx: unknown, grantId: string) => grantRevocations.push(grantId));
  const wire = createWire({ clock, ...(o.tokenTimeoutMs ? { tokenTimeoutMs: o.tokenTimeoutMs } : {}) });
  const tv = await startToolvault({
    clock,
    fetch: wire.fetch,
    ...(o.random ? { random: o.random } : {}),
    ...(o.home ? { home: o.home } : {}),
    ...(o.masterKey ? { masterKey: o.masterKey } : {}),
    ...(o.env ? { env: o.env } : {}),
    providers: {
      demo: {
        type: 'oidc',
        issuer: as.issuer,
        clientId: as.clientId,
        clientSecret: as.clientSecret,
        apiBaseUrl: as.issuer,
        userinfoUrl: `${as.issuer}/me?probe=1`,
        clientAuth: authMethod,
        ...o.demo,
      },
    },
  });
  await as.setRedirectUris([`${tv.url}/oauth/callback`]);
  const store = tv.app.vault.store;

  const row = async (user: string): Promise<ConnectionRow> => {
    const r = await store.getConnection(user, 'demo');
    if (!r) throw new Error(`no connection for ${user}`);
    return r;
  };

  const events = async (user: string, type?: string): Promise<EventRow[]> => {
    const r = await row(user);
    const all = await store.listEvents({ connectionId: r.id, limit: 10_000 });
    return type ? all.filter((e) => e.type === type) : all;
  };

  return {
    as,
    tv,
    clock,
    wire,
    presentedRefreshTokens,
    grantRevocations,
    row,
    hangNext() {
      as.failNext('timeout');
      wire.armTimeout();
    },
    async connect(user) {
      const started = await tv.app.services.consent.start(user, 'demo');
      if (started.status !== 'pending') throw new Error(`${user} is already connected`);
      const page = await completeConsent(started.authUrl, { name: user });
      if (!page.html.includes('is connected')) throw new Error(`consent failed: ${page.status}`);
      return row(user);
    },
    act(user) {
      return tv.app.services.access.call(user, 'demo', ['openid'], async (api) => {
        const r = await api.request('GET', 'me');
        return (r.body as { sub?: string } | null)?.sub ?? `status ${r.status}`;
      });
    },
    events,
    async stateChanges(user) {
      const all = await events(user, 'state_changed');
      return all.filter((e) => !e.reason?.startsWith('consent_completed'));
    },
    toLife(r, fraction) {
      if (r.accessIssuedAt === null || r.accessExpiresAt === null) throw new Error('token never expires');
      clock.set(r.accessIssuedAt + Math.ceil((r.accessExpiresAt - r.accessIssuedAt) * fraction));
    },
    async close() {
      await tv.close();
      await as.close();
    },
  };
}
