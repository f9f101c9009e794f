import type { Clock } from '../../src/clock.js';

/**
 * An instrumented `fetch` for toolvault (AppOptions.fetch): it sees every request toolvault sends — token
 * endpoint, API calls, probes — and judges each bearer call against the expiry toolvault was told when that
 * token was issued, by toolvault's own (fake) clock. That is how a test proves "no call ever went out with an
 * expired token" without sleeping. It can also answer requests itself (faults the servers cannot produce: a
 * 429 with Retry-After, an error code nobody knows, an API 503) and bounds token requests with a short
 * timeout so a held (`timeout`) fault costs milliseconds, not openid-client's 15 s.
 */

export interface WireTokenRequest {
  /** Toolvault clock at send. */
  at: number;
  grantType: string | null;
  /** The refresh token presented: to prove no refresh token was ever presented twice. */
  refreshToken: string | null;
  /** Status received (null: no response — reset, timeout). */
  status: number | null;
  /** Set when the wire answered itself instead of the server. */
  injected: boolean;
}

export interface WireApiCall {
  at: number;
  url: string;
  method: string;
  token: string;
  /** A probe (the provider's userinfo URL carries `probeMarker`), not an action. */
  probe: boolean;
  /** The token's expiry had passed by toolvault's clock when the call left. */
  expired: boolean;
  /** The wire never saw this token issued. */
  unknown: boolean;
  status: number | null;
  injected: boolean;
}

export interface CannedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request that is never answered: the caller gives up after `hangMs` with fetch's TimeoutError. */
export interface Hang {
  hangMs: number;
}

export interface Wire {
  fetch: typeof fetch;
  tokenRequests(grantType?: string): WireTokenRequest[];
  apiCalls(opts?: { probes?: boolean }): WireApiCall[];
  /** Non-probe calls that carried an expired or unknown token. */
  badCalls(): WireApiCall[];
  /** The next `count` token requests get `reply` from the wire (the server never sees them). */
  failTokenNext(reply: CannedReply | Hang, count?: number): void;
  /**
   * The next token request is abandoned after `ms` real ms (pair it with the server's `timeout` fault, which
   * holds the request unprocessed; otherwise openid-client waits 15 s).
   */
  armTimeout(ms?: number): void;
  /** While set, every token request gets `reply` (a provider outage); null ends it. */
  setTokenOutage(reply: CannedReply | null): void;
  /** The next `count` non-probe API calls get `reply` from the wire. */
  failApiNext(reply: CannedReply, count?: number): void;
  /** The next `count` probes get `reply` from the wire. */
  failProbeNext(reply: CannedReply, count?: number): void;
  /** Largest number of token requests in flight at once. */
  maxTokenConcurrency(): number;
  /**
   * Rewrites the JSON of successful token responses before toolvault reads them (a provider that leaves out
   * `expires_in`, or adds `refresh_token_expires_in`); null stops.
   */
  rewriteTokenResponses(fn: ((json: Record<string, unknown>, grantType: string | null) => void) | null): void;
  /**
   * The next `count` successful refresh responses are lost on the way back: the server processed (and
   * rotated), then the connection reset. With `graceMs`, the wire plays a provider with a reuse grace window
   * (Atlassian, Okta): the same refresh token presented again within `graceMs` (toolvault's clock) gets the
   * lost answer — a replay inside the window also counts against `count`. oidc-provider has no grace window.
   */
  loseRefreshResponses(count?: number, opts?: { graceMs?: number }): void;
  reset(): void;
}

export function createWire(o: {
  clock: Clock;
  /** Default for `armTimeout` (real ms, default 50). */
  tokenTimeoutMs?: number;
  /** Substring of probe URLs (configure the provider's userinfoUrl with it). Default `probe=1`. */
  probeMarker?: string;
  base?: typeof fetch;
}): Wire {
  const base = o.base ?? fetch;
  const marker = o.probeMarker ?? 'probe=1';
  const expiry = new Map<string, number | null>();
  let tokenReqs: WireTokenRequest[] = [];
  let calls: WireApiCall[] = [];
  const tokenFaults: Array<CannedReply | Hang> = [];
  const apiFaults: CannedReply[] = [];
  const probeFaults: CannedReply[] = [];
  let outage: CannedReply | null = null;
  const timeouts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let rewrite: ((json: Record<string, unknown>, grantType: string | null) => void) | null = null;
  let toLose = 0;
  let graceMs = 0;
  /** Answers lost on the way back, by the refresh token that asked. */
  const lostAnswers = new Map<string, { body: string; at: number }>();
  const resetError = () =>
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
  const noteIssued = (json: Record<string, unknown>) => {
    if (typeof json['access_token'] !== 'string') return;
    const ttl = typeof json['expires_in'] === 'number' ? json['expires_in'] : null;
    expiry.set(json['access_token'], ttl === null ? null : o.clock.now() + ttl * 1000);
  };

  const canned = (r: CannedReply): Response => {
    const body = r.body === undefined ? null : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const type = typeof r.body === 'string' ? 'text/html' : 'application/json';
    return new Response(body, { status: r.status, headers: { 'content-type': type, ...r.headers } });
  };

  const wired: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const body = init?.body;
    if (method === 'POST' && body instanceof URLSearchParams && body.has('grant_type')) {
      const rec: WireTokenRequest = {
        at: o.clock.now(),
        grantType: body.get('grant_type'),
        refreshToken: body.get('refresh_token'),
        status: null,
        injected: false,
      };
      tokenReqs.push(rec);
      const replay = rec.refreshToken ? lostAnswers.get(rec.refreshToken) : undefined;
      if (replay && o.clock.now() - replay.at < graceMs) {
        // Inside the provider's reuse grace window: the same answer again, without asking the server.
        rec.injected = true;
        if (toLose > 0) {
          toLose--;
          throw resetError();
        }
        rec.status = 200;
        noteIssued(JSON.parse(replay.body) as Record<string, unknown>);
        return new Response(replay.body, { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const fault = outage ?? tokenFaults.shift();
      if (fault && 'hangMs' in fault) {
        rec.injected = true;
        await new Promise((r) => setTimeout(r, fault.hangMs));
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      }
      if (fault) {
        rec.injected = true;
        rec.status = fault.status;
        return canned(fault);
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        // Only an armed request gets the short timeout. Aborting one the server did process would lose a
        // rotation (the new refresh token never arrives, the old one is spent): that is a different fault.
        let signal = init?.signal ?? undefined;
        const armed = timeouts.shift();
        if (armed !== undefined) {
          const timeout = AbortSignal.timeout(armed);
          signal = signal ? AbortSignal.any([signal, timeout]) : timeout;
        }
        let res = await base(input, { ...init, ...(signal ? { signal } : {}) });
        rec.status = res.status;
        if (res.ok) {
          const json = (await res.clone().json()) as Record<string, unknown>;
          if (rewrite) {
            rewrite(json, rec.grantType);
            const headers = new Headers(res.headers);
            headers.delete('content-length');
            res = new Response(JSON.stringify(json), { status: res.status, headers });
          }
          if (toLose > 0 && rec.grantType === 'refresh_token') {
            toLose--;
            if (rec.refreshToken)
              lostAnswers.set(rec.refreshToken, { body: JSON.stringify(json), at: o.clock.now() });
            throw resetError();
          }
          noteIssued(json);
        }
        return res;
      } finally {
        inFlight--;
      }
    }
    const auth = headers.get('authorization');
    if (auth?.startsWith('Bearer ')) {
      const token = auth.slice(7);
      const known = expiry.has(token);
      const exp = expiry.get(token) ?? null;
      const call: WireApiCall = {
        at: o.clock.now(),
        url,
        method,
        token,
        probe: url.includes(marker),
        expired: exp !== null && o.clock.now() >= exp,
        unknown: !known,
        status: null,
        injected: false,
      };
      calls.push(call);
      const fault = call.probe ? probeFaults.shift() : apiFaults.shift();
      if (fault) {
        call.injected = true;
        call.status = fault.status;
        return canned(fault);
      }
      const res = await base(input, init);
      call.status = res.status;
      return res;
    }
    return base(input, init);
  };

  return {
    fetch: wired,
    tokenRequests: (grantType) =>
      tokenReqs.filter((r) => grantType === undefined || r.grantType === grantType),
    apiCalls: (opts = {}) => calls.filter((c) => opts.probes === undefined || c.probe === opts.probes),
    badCalls: () => calls.filter((c) => !c.probe && (c.expired || c.unknown)),
    failTokenNext: (reply, count = 1) => {
      for (let i = 0; i < count; i++) tokenFaults.push(reply);
    },
    failApiNext: (reply, count = 1) => {
      for (let i = 0; i < count; i++) apiFaults.push(reply);
    },
    armTimeout: (ms = o.tokenTimeoutMs ?? 50) => {
      timeouts.push(ms);
    },
    setTokenOutage: (reply) => {
      outage = reply;
    },
    failProbeNext: (reply, count = 1) => {
      for (let i = 0; i < count; i++) probeFaults.push(reply);
    },
    maxTokenConcurrency: () => maxInFlight,
    rewriteTokenResponses: (fn) => {
      rewrite = fn;
    },
    loseRefreshResponses: (count = 1, opts = {}) => {
      toLose += count;
      if (opts.graceMs !== undefined) graceMs = opts.graceMs;
    },
    reset: () => {
      tokenReqs = [];
      calls = [];
      maxInFlight = 0;
    },
  };
}
