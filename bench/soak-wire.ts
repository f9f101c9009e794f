import type { Clock } from '../src/clock.js';
import type { ProviderId, World } from './soak-world.js';

/**
 * Every request toolvault sends in the soak passes through here. It checks each bearer call against the
 * token's expiry as its issuer knows it (by toolvault's clock), collects every credential seen on the wire
 * (for the secret sweep), and injects faults aimed at one connection: at its next refresh (5xx, 429, a
 * timeout, or a lost response after the provider rotated) or its next API call (the same, through the
 * fakes' own fault injection where they have it).
 */

export type TokenFault = '500' | '429' | 'timeout' | 'lost';
export type ApiFault = '500' | '429' | 'timeout' | 'reset' | 'lost';

export interface FiredFault {
  where: 'token' | 'api';
  fault: string;
  user: string;
  provider: ProviderId;
  at: number;
}

export interface BearerCall {
  provider: ProviderId;
  user: string | null;
  url: string;
  probe: boolean;
  /** Sent after the token's expiry, by toolvault's clock. */
  expired: boolean;
  at: number;
}

export interface SoakWire {
  fetch: typeof fetch;
  aimTokenFault(user: string, provider: ProviderId, fault: TokenFault): void;
  aimApiFault(user: string, provider: ProviderId, fault: ApiFault): void;
  /** Aimed faults that have fired, in order. */
  fired: FiredFault[];
  /** Token-endpoint requests, by provider and grant type. */
  tokenRequests: Map<string, number>;
  bearerCalls: number;
  probes: number;
  /** Action calls (not probes) that carried a token past its expiry. */
  badCalls: BearerCall[];
  /** Bearer calls with a token its provider never issued (or, oidc-provider, no longer knows). */
  unknownCalls: BearerCall[];
  /** Every credential seen in a token response, or presented. */
  secrets: Set<string>;
  pendingFaults(): number;
}

const PROBE: Record<ProviderId, (url: URL) => boolean> = {
  github: (u) => u.pathname === '/user',
  slack: (u) => u.pathname.endsWith('/auth.test'),
  demo: (u) => u.searchParams.get('probe') === '1',
};

const timeoutError = (): Error =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError');
const resetError = (): Error =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });

function canned(provider: ProviderId, fault: '500' | '429'): Response {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  if (fault === '429') {
    const retry = { 'retry-after': '30' };
    if (provider === 'slack') return json(429, { ok: false, error: 'ratelimited' }, retry);
    if (provider === 'github')
      return json(429, { message: 'You have exceeded a secondary rate limit.' }, retry);
    return json(429, { error: 'temporarily_unavailable' }, retry);
  }
  if (provider === 'slack')
    return new Response('<html><body><h1>500 Internal Server Error</h1></body></html>', {
      status: 500,
      headers: { 'content-type': 'text/html' },
    });
  return provider === 'github'
    ? json(500, { message: 'Server Error' })
    : json(500, { error: 'server_error' });
}

function collect(secrets: Set<string>, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string' && /token|secret|code/i.test(k) && v.length >= 8) secrets.add(v);
    else if (typeof v === 'object') collect(secrets, v);
  }
}

export function createSoakWire(o: {
  clock: Clock;
  world: World;
  base?: typeof fetch;
  /** Self-test: strip expires_in from these providers' token responses (toolvault then never refreshes). */
  hideExpiry?: ProviderId[];
}): SoakWire {
  const base = o.base ?? fetch;
  const { world, clock } = o;
  const tokenFaults = new Map<string, TokenFault>();
  const apiFaults = new Map<string, ApiFault>();
  const key = (user: string, provider: ProviderId) => `${user}/${provider}`;
  const w: SoakWire = {
    fetch: undefined as unknown as typeof fetch,
    aimTokenFault: (user, provider, fault) => void tokenFaults.set(key(user, provider), fault),
    aimApiFault: (user, provider, fault) => void apiFaults.set(key(user, provider), fault),
    fired: [],
    tokenRequests: new Map(),
    bearerCalls: 0,
    probes: 0,
    badCalls: [],
    unknownCalls: [],
    secrets: new Set(),
    pendingFaults: () => tokenFaults.size + apiFaults.size,
  };

  const take = <F>(faults: Map<string, F>, user: string | undefined, provider: ProviderId): F | undefined => {
    if (!user) return undefined;
    const f = faults.get(key(user, provider));
    if (f !== undefined) faults.delete(key(user, provider));
    return f;
  };

  /** Reads a token response for its credentials (and, for oidc-provider, the expiry it states). */
  const learn = async (provider: ProviderId, res: Response): Promise<void> => {
    if (!(res.headers.get('content-type') ?? '').includes('json')) return;
    const body = (await res
      .clone()
      .json()
      .catch(() => null)) as Record<string, unknown> | null;
    collect(w.secrets, body);
    if (provider === 'demo' && body && typeof body['access_token'] === 'string') {
      const ttl = typeof body['expires_in'] === 'number' ? body['expires_in'] : null;
      world.learnExpiry(body['access_token'], ttl === null ? null : clock.now() + ttl * 1000);
    }
  };

  w.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const provider = world.providerOf(url);
    if (!provider) return base(input, init);
    const body = init?.body;
    if (body instanceof URLSearchParams && body.has('grant_type')) {
      const grant = body.get('grant_type') ?? '?';
      const counter = `${provider} ${grant}`;
      w.tokenRequests.set(counter, (w.tokenRequests.get(counter) ?? 0) + 1);
      for (const field of ['refresh_token', 'code', 'client_secret', 'code_verifier']) {
        const v = body.get(field);
        if (v) w.secrets.add(v);
      }
      const presented = body.get('refresh_token');
      const who = presented ? await world.owner(provider, presented) : null;
      const fault = take(tokenFaults, who?.user, provider);
      if (fault && who) {
        w.fired.push({ where: 'token', fault, user: who.user, provider, at: clock.now() });
        if (fault === '500' || fault === '429') return canned(provider, fault);
        if (fault === 'timeout') throw timeoutError();
        // The provider rotated (the old refresh token is spent) but the answer never arrives.
        const res = await base(input, init);
        await learn(provider, res);
        await res.arrayBuffer();
        throw resetError();
      }
      const res = await base(input, init);
      await learn(provider, res);
      if (!o.hideExpiry?.includes(provider) || !res.ok) return res;
      const {
        expires_in: _e,
        refresh_token_expires_in: _r,
        ...rest
      } = (await res.json()) as Record<string, unknown>;
      return new Response(JSON.stringify(rest), {
        status: res.status,
        headers: { 'content-type': 'application/json' },
      });
    }
    const auth = new Headers(init?.headers).get('authorization');
    if (!auth?.startsWith('Bearer ')) return base(input, init);
    const token = auth.slice('Bearer '.length);
    const who = await world.owner(provider, token);
    const probe = PROBE[provider](new URL(url));
    const expired = who !== null && who.expiresAt !== null && clock.now() >= who.expiresAt;
    const call: BearerCall = { provider, user: who?.user ?? null, url, probe, expired, at: clock.now() };
    w.bearerCalls++;
    if (who === null) w.unknownCalls.push(call);
    if (probe) w.probes++;
    // A probe with a dead token is how toolvault gathers evidence; an action with one is a bug.
    else if (expired) w.badCalls.push(call);
    const fault = probe ? undefined : take(apiFaults, who?.user, provider);
    if (fault && who) {
      w.fired.push({ where: 'api', fault, user: who.user, provider, at: clock.now() });
      if (fault === 'timeout') throw timeoutError();
      if (provider === 'demo') {
        if (fault === '500' || fault === '429') return canned(provider, fault);
        if (fault === 'reset') throw resetError();
        const res = await base(input, init);
        await res.arrayBuffer();
        throw resetError();
      }
      // The fakes' own faults, aimed at this request: nothing else is in flight to this route now.
      const route = provider === 'github' ? 'POST /repos/{owner}/{repo}/issues' : 'chat.postMessage';
      const spec =
        fault === '500'
          ? '500'
          : fault === '429'
            ? { kind: 'ratelimited' as const, status: 429, retryAfter: 30 }
            : fault === 'reset'
              ? 'reset'
              : 'lose_response';
      if (provider === 'github') world.github.failNext(route, spec);
      else world.slack.failNext(route, spec);
    }
    return base(input, init);
  };
  return w;
}
